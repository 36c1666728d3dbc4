# Factor transfer (Kim et al., "Paraphrasing Complex Network: Network Compression via Factor Transfer",
# NeurIPS 2018): SSD300 ResNet-50 -> ResNet-18.
# A paraphraser (conv auto-encoder) turns the teacher feature into a factor F_t = P_enc(t) of k = 0.5 C
# channels; a translator maps the student feature to F_s; L_FT = 1/N sum_n || F_s / ||F_s||_2 - F_t /
# ||F_t||_2 ||_1.
# Position: the output of the last backbone stage (backbone.layer3: 1024 channels teacher, 256 student,
# 19x19), the end of the feature extractor. Translator: mmkd.FTTranslator (three 3x3 conv-BN-LeakyReLU) to k =
# 512.
# Stages: 'paraphraser' (the first ~15% of the schedule: the twins set the end): the paraphraser learns to
# reconstruct the teacher feature (MSE; task loss weight 0, the student is not trained), then 'transfer': L_FT
# plus the student's own losses, with weight beta / (k H W), beta = 500 (the authors' release averages the L1
# distance over the factor elements; this per-sample norm divided by k H W = 512 x 19 x 19 is the same
# objective; 512 x 10 x 10 at SSD160's 10x10 map, the `toy_easy` stages of the easy toy twin).
# find_unused_parameters: each stage leaves parameters without gradients under DDP.
# Shared by the toy and real twins configs/ft/ft_ssd_r50_r18_{toy,voc0712}.py; what differs
# between them (data, stage ends) is said in their headers.


def stage_list(size=19, **end):
    """The stages; `end` (end_iter or end_epoch) ends the first one and differs between the
    twins; 'transfer' is weighted 500 / (k H W), H = W = size."""
    return [
        dict(name='paraphraser', **end, task_loss_weight=0.0,
             points=dict(ft=1.0)),
        dict(name='transfer', points=dict(ft=500 / (512 * size * size)))]


ft_points = dict(
    ft=dict(student='backbone.layer3', teacher='backbone.layer3',
            connector=dict(type='mmkd.FTTranslator', out_channels=512),
            loss=dict(type='mmkd.FTLoss', in_channels=1024, factor_rate=0.5, p=1)))
ft_stages = dict(toy=stage_list(end_iter=30), voc0712=stage_list(end_epoch=4),
                 toy_easy=stage_list(10, end_iter=30))
