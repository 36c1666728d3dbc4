# Factor transfer (Kim et al., "Paraphrasing Complex Network: Network Compression via Factor Transfer",
# NeurIPS 2018): ResNet-50 -> ResNet-18.
# A paraphraser (conv auto-encoder) turns the teacher feature into a factor F_t = P_enc(t) of k = 0.5 C
# channels; a translator maps the student feature to F_s; L_FT = 1/N sum_n || F_s / ||F_s||_2 - F_t /
# ||F_t||_2 ||_1.
# Position: the output of the last stage (backbone.layer4: 2048 channels teacher, 512 student, 4x4), the
# paper's position (the last group, before the classifier). Its paraphraser is large (two 2048 -> 2048 3x3
# convolutions, ~130M parameters) but runs on 4x4 maps. Translator: mmkd.FTTranslator (three 3x3
# conv-BN-LeakyReLU) to k = 1024.
# Stages: 'paraphraser' (the first ~15% of the schedule: the twins set the end): the paraphraser learns to
# reconstruct the teacher feature (MSE; task loss weight 0, the student is not trained), then 'transfer': L_FT
# plus the student's own losses, with weight beta / (k H W), beta = 500 (the authors' release averages the L1
# distance over the factor elements; this per-sample norm divided by k H W = 1024 x 4 x 4 is the same
# objective).
# find_unused_parameters: each stage leaves parameters without gradients under DDP.
# Shared by the toy and real twins configs/ft/ft_cls_r50_r18_{toy,cifar100}.py; what differs
# between them (data, stage ends) is said in their headers.


def stage_list(**end):
    """The stages; `end` (end_iter or end_epoch) ends the first one and differs between the
    twins."""
    return [
        dict(name='paraphraser', **end, task_loss_weight=0.0,
             points=dict(ft=1.0)),
        dict(name='transfer', points=dict(ft=500 / (1024 * 4 * 4)))]


ft_points = dict(
    ft=dict(student='backbone.layer4', teacher='backbone.layer4',
            connector=dict(type='mmkd.FTTranslator', out_channels=1024),
            loss=dict(type='mmkd.FTLoss', in_channels=2048, factor_rate=0.5, p=1)))
ft_stages = dict(toy=stage_list(end_iter=30), cifar100=stage_list(end_epoch=30))
