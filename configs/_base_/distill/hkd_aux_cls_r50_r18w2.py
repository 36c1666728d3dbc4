# Information-flow KD (Passalis, Tzelepi & Tefas, "Heterogeneous Knowledge Distillation using Information Flow
# Modeling", CVPR 2020), step 1 of 2: the auxiliary teacher, a 2x wider ResNet-18, learns from the ResNet-50
# teacher. The paper puts such an auxiliary network, of the student's architecture with more capacity, between
# a teacher and a student whose layers do not correspond; as we read it, the auxiliary network learns from the
# teacher's final representation only (layer matching across heterogeneous architectures being what it
# avoids), so the point has one position: the globally pooled last-stage feature that head.fc receives
# (2048-d teacher, 1024-d auxiliary: only in-batch similarities are compared). Loss: mmkd.InformationFlowLoss
# with its single (last) layer at final_weight 1, cosine + Student-t kernels, Jeffreys divergence (the
# authors' release). Added to the cross-entropy.
# Shared by the toy and real twins configs/hkd/hkd_aux_cls_r50_r18w2_{toy,cifar100}.py.

hkd_aux_points = dict(
    hkd_aux=dict(
        student=[dict(source='head.fc', io='input')],
        teacher=[dict(source='head.fc', io='input')],
        connector=dict(type='mmkd.IdentityConnector', strict=False),
        loss=dict(type='mmkd.InformationFlowLoss', kernels=('cosine', 'student_t'), divergence='jeffreys',
                  final_weight=1.0)))
