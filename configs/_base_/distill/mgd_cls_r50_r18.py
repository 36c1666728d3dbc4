# MGD (Yang et al., "Masked Generative Distillation", ECCV 2022): ResNet-50 -> ResNet-18.
# alpha * 1/N sum (G(M * align(s)) - t)^2: a random spatial mask M (ratio lambda) on the aligned student
# feature, and a generator G (3x3 conv, ReLU, 3x3 conv) must regenerate the teacher's whole feature.
# Position: the last stage output (backbone.layer4: 512 channels student, 2048 teacher, 4x4), the paper's
# classification position; alpha = 7e-5, lambda = 0.5: its classification setting. Added to the student's
# cross-entropy.
# Shared by the toy and real twins configs/mgd/mgd_cls_r50_r18_{toy,cifar100}.py; what differs
# between them (data) is said in their headers.

mgd_points = dict(
    mgd=dict(student='backbone.layer4', teacher='backbone.layer4',
             loss=dict(type='mmkd.MGDLoss', student_channels=512, teacher_channels=2048,
                       alpha_mgd=7e-5, lambda_mgd=0.5)))
