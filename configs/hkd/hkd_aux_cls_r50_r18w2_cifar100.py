# Information-flow KD (Passalis, Tzelepi & Tefas, "Heterogeneous Knowledge Distillation using Information Flow
# Modeling", CVPR 2020), step 1 of 2 on CIFAR-100: train the auxiliary teacher, a 2x wider ResNet-18
# (configs/hkd/cls_r18w2_cifar100.py), from the ResNet-50 teacher. The paper puts such an auxiliary network,
# of the student's architecture with more capacity, between a teacher and a student whose layers do not
# correspond; as we read it, the auxiliary network learns from the teacher's final representation only (layer
# matching across heterogeneous architectures being what it avoids), so the point has one position: the
# globally pooled last-stage feature that head.fc receives (2048-d teacher, 1024-d auxiliary: only in-batch
# similarities are compared). Loss: mmkd.InformationFlowLoss with its single (last) layer at final_weight 1,
# cosine + Student-t kernels, Jeffreys divergence (the authors' release). Added to the cross-entropy. Then
# step 2, configs/hkd/hkd_cls_r50_r18_cifar100.py, distils the student from this run's student checkpoint.
#   python tools/train.py configs/hkd/hkd_aux_cls_r50_r18w2_cifar100.py
_base_ = ['../_base_/distillers/cls_r50_r18_cifar100.py']

model = dict(
    student=dict(backbone=dict(base_channels=128), head=dict(in_channels=1024)),
    distill_points=dict(
        hkd_aux=dict(
            student=[dict(source='head.fc', io='input')],
            teacher=[dict(source='head.fc', io='input')],
            connector=dict(type='mmkd.IdentityConnector', strict=False),
            loss=dict(type='mmkd.InformationFlowLoss', kernels=('cosine', 'student_t'), divergence='jeffreys',
                      final_weight=1.0))),
    diagnostics=dict(student='head.fc', teacher='head.fc'))
