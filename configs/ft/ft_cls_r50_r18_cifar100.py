# Factor transfer (Kim et al., "Paraphrasing Complex Network: Network Compression via Factor Transfer",
# NeurIPS 2018): ResNet-50 -> ResNet-18 on CIFAR-100.
# A paraphraser (conv auto-encoder) turns the teacher feature into a factor F_t = P_enc(t) of k = 0.5 C
# channels; a translator maps the student feature to F_s; L_FT = 1/N sum_n || F_s / ||F_s||_2 - F_t /
# ||F_t||_2 ||_1.
# Position: the output of the last stage (backbone.layer4: 2048 channels teacher, 512 student, 4x4), the
# paper's position (the last group, before the classifier). Its paraphraser is large (two 2048 -> 2048 3x3
# convolutions, ~130M parameters) but runs on 4x4 maps. Translator: mmkd.FTTranslator (three 3x3
# conv-BN-LeakyReLU) to k = 1024.
# Stages: 'paraphraser' (until end_epoch=30, 15% of the 200-epoch CIFAR-100 schedule): the paraphraser learns
# to reconstruct the teacher feature (MSE; task loss weight 0, the student is not trained), then 'transfer':
# L_FT plus the student's own losses, with weight beta / (k H W), beta = 500 (the authors' release averages
# the L1 distance over the factor elements; this per-sample norm divided by k H W = 1024 x 4 x 4 is the same
# objective).
# find_unused_parameters: each stage leaves parameters without gradients under DDP.
_base_ = ['../_base_/distillers/cls_r50_r18_cifar100.py']

model = dict(
    distill_points=dict(
        ft=dict(student='backbone.layer4', teacher='backbone.layer4',
                connector=dict(type='mmkd.FTTranslator', out_channels=1024),
                loss=dict(type='mmkd.FTLoss', in_channels=2048, factor_rate=0.5, p=1))),
    stages=[
        dict(name='paraphraser', end_epoch=30, task_loss_weight=0.0,
             points=dict(ft=1.0)),
        dict(name='transfer', points=dict(ft=500 / (1024 * 4 * 4)))],
    diagnostics=dict(student='head.fc', teacher='head.fc'))

find_unused_parameters = True
