# MGD (Yang et al., "Masked Generative Distillation", ECCV 2022): DeepLabV3+ ResNet-101-D8 -> ResNet-18-D8.
# alpha * 1/N sum (G(M * align(s)) - t)^2: a random spatial mask M (ratio lambda) on the aligned student
# feature, and a generator G (3x3 conv, ReLU, 3x3 conv) must regenerate the teacher's whole feature.
# Position: the last backbone stage (backbone.layer4: 512 channels student, 2048 teacher, stride 8), as the
# authors' segmentation release; alpha = 2e-5, lambda = 0.75: its segmentation setting. Added to the student's
# cross-entropy.
# Shared by the toy and real twins configs/mgd/mgd_deeplabv3plus_r101_r18_{toy,voc12aug}.py; what differs
# between them (data) is said in their headers.

mgd_points = dict(
    mgd=dict(student='backbone.layer4', teacher='backbone.layer4',
             loss=dict(type='mmkd.MGDLoss', student_channels=512, teacher_channels=2048,
                       alpha_mgd=2e-5, lambda_mgd=0.75)))
