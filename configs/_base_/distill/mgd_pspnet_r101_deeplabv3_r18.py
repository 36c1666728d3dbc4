# MGD (Yang et al., "Masked Generative Distillation", ECCV 2022): PSPNet ResNet-101-D8 -> DeepLabV3
# ResNet-18-D8, the authors' segmentation recipe (yzd-v/MGD, seg/configs/distillers/mgd/
# psp_r101_distill_deepv3_r18_40k_512x512_city.py; its README: 73.20 mIoU for the student alone, 76.31 with
# MGD, on Cityscapes val).
# alpha * 1/N sum (G(M * align(s)) - t)^2: a random spatial mask M (ratio lambda) on the aligned student
# feature, and a generator G (3x3 conv, ReLU, 3x3 conv) must regenerate the teacher's whole feature.
# Positions:
# - mgd: the last backbone stage (backbone.layer4: 512 channels student, 2048 teacher, stride 8 in both);
#   alpha = 2e-5, lambda = 0.75, the release's segmentation setting.
# - logits: the release trains with `use_logit=True`, which adds channel-wise distillation of the
#   segmentation logits, tau^2 / (N C) * sum KL at tau = 4 times 3: mmkd.ChannelWiseDivergence(tau=4,
#   loss_weight=3) on decode_head.conv_seg (Shu et al., ICCV 2021).
# Both are added to the student's cross-entropy. The release trains 40k iterations on 512x512 crops from
# mmseg's 40k PSPNet teacher; the configs here take mmseg's 80k Cityscapes configs of both models, as the
# other Cityscapes pairs.
# Shared by the toy and real twins configs/mgd/mgd_pspnet_r101_deeplabv3_r18_{toy,cityscapes}.py; what
# differs between them (data) is said in their headers.

mgd_points = dict(
    mgd=dict(student='backbone.layer4', teacher='backbone.layer4',
             loss=dict(type='mmkd.MGDLoss', student_channels=512, teacher_channels=2048,
                       alpha_mgd=2e-5, lambda_mgd=0.75)),
    logits=dict(student='decode_head.conv_seg', teacher='decode_head.conv_seg',
                loss=dict(type='mmkd.ChannelWiseDivergence', tau=4.0, loss_weight=3.0)))
