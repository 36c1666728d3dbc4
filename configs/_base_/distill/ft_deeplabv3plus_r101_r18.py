# Factor transfer (Kim et al., "Paraphrasing Complex Network: Network Compression via Factor Transfer",
# NeurIPS 2018): DeepLabV3+ ResNet-101-D8 -> ResNet-18-D8.
# A paraphraser (conv auto-encoder) turns the teacher feature into a factor F_t = P_enc(t) of k = 0.5 C
# channels; a translator maps the student feature to F_s; L_FT = 1/N sum_n || F_s / ||F_s||_2 - F_t /
# ||F_t||_2 ||_1.
# Position: the ASPP output (decode_head.bottleneck: 512 channels teacher, 128 student, stride 8; 16 in
# the toy configs), the encoder's last feature before decoding; the backbone's 2048-channel layer4 would
# need a ~130M-parameter paraphraser at stride 8. Translator: mmkd.FTTranslator (three 3x3
# conv-BN-LeakyReLU) to k = 256.
# Stages: 'paraphraser' (the first 15% of the schedule: end_iter=30 of the toy 200 iterations, end_iter=6000
# of VOC's 40k): the paraphraser learns to reconstruct the teacher feature (MSE; task loss weight 0, the
# student is not trained), then 'transfer': L_FT plus the student's own losses, with weight beta / (k H W),
# beta = 500 (the authors' release averages the L1 distance over the factor elements; this per-sample norm
# divided by k H W = 256 x 8 x 8 at the toy 128x128 crops (output stride 16), 256 x 64 x 64 at VOC's
# 512x512 crops, is the same objective).
# find_unused_parameters: each stage leaves parameters without gradients under DDP.
# Shared by the toy and real twins configs/ft/ft_deeplabv3plus_r101_r18_{toy,voc12aug}.py.


def stage_list(end_iter, size):
    """The two stages: 'paraphraser' until `end_iter`, then 'transfer' weighted 500 / (k H W), H = W = size."""
    return [
        dict(name='paraphraser', end_iter=end_iter, task_loss_weight=0.0,
             points=dict(ft=1.0)),
        dict(name='transfer', points=dict(ft=500 / (256 * size * size)))]


ft_points = dict(
    ft=dict(student='decode_head.bottleneck', teacher='decode_head.bottleneck',
            connector=dict(type='mmkd.FTTranslator', out_channels=256),
            loss=dict(type='mmkd.FTLoss', in_channels=512, factor_rate=0.5, p=1)))
ft_stages = dict(toy=stage_list(30, 8), voc12aug=stage_list(6000, 64))
