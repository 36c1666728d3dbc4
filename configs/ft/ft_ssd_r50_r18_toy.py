# Factor transfer (Kim et al., "Paraphrasing Complex Network: Network Compression via Factor Transfer",
# NeurIPS 2018): SSD300 ResNet-50 -> ResNet-18 on the toy VOC detection data (300x300).
# A paraphraser (conv auto-encoder) turns the teacher feature into a factor F_t = P_enc(t) of k = 0.5 C
# channels; a translator maps the student feature to F_s; L_FT = 1/N sum_n || F_s / ||F_s||_2 - F_t /
# ||F_t||_2 ||_1.
# Position: the output of the last backbone stage (backbone.layer3: 1024 channels teacher, 256 student,
# 19x19), the end of the feature extractor. Translator: mmkd.FTTranslator (three 3x3 conv-BN-LeakyReLU) to k =
# 512.
# Stages: 'paraphraser' (until end_iter=30, 15% of the 200-iteration toy schedule): the paraphraser learns to
# reconstruct the teacher feature (MSE; task loss weight 0, the student is not trained), then 'transfer': L_FT
# plus the student's own losses, with weight beta / (k H W), beta = 500 (the authors' release averages the L1
# distance over the factor elements; this per-sample norm divided by k H W = 512 x 19 x 19 is the same
# objective).
# find_unused_parameters: each stage leaves parameters without gradients under DDP.
_base_ = ['../_base_/distillers/ssd_r50_r18_toy.py']

model = dict(
    distill_points=dict(
        ft=dict(student='backbone.layer3', teacher='backbone.layer3',
                connector=dict(type='mmkd.FTTranslator', out_channels=512),
                loss=dict(type='mmkd.FTLoss', in_channels=1024, factor_rate=0.5, p=1))),
    stages=[
        dict(name='paraphraser', end_iter=30, task_loss_weight=0.0,
             points=dict(ft=1.0)),
        dict(name='transfer', points=dict(ft=500 / (512 * 19 * 19)))])

find_unused_parameters = True
