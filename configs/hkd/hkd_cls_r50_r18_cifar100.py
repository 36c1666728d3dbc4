# Information-flow KD (Passalis, Tzelepi & Tefas, "Heterogeneous Knowledge Distillation using Information Flow
# Modeling", CVPR 2020), step 2 of 2 on CIFAR-100: ResNet-50 -> (auxiliary 2x wide ResNet-18) -> ResNet-18.
# Two configs, not one with `stages`: the paper first trains the auxiliary teacher from the teacher, then the
# student from the auxiliary teacher, and a FeatureDistiller has one frozen teacher and one student -- its
# stages switch points and weights, not which network teaches or learns, and the auxiliary network must be
# trained before it can be a frozen teacher. So:
#   python tools/train.py configs/hkd/hkd_aux_cls_r50_r18w2_cifar100.py          # step 1: the auxiliary teacher
#   python tools/train.py configs/hkd/hkd_cls_r50_r18_cifar100.py                # step 2 (this file)
# The teacher here is step 1's exported student (StudentCheckpointHook writes <ckpt>_student.pth). One point
# with lists of positions: the outputs of the four stages (backbone.layer1-4) and the penultimate pooled
# feature (head.fc's input), auxiliary layer i paired with student layer i (same architecture, so
# matching=None; 'flow' would pair them by information flow). Loss: mmkd.InformationFlowLoss, cosine +
# Student-t kernels, Jeffreys divergence on the in-batch conditional probabilities; the critical-period
# schedule of the authors' release: intermediate layers weighted 100 x 0.7^t, decayed per epoch (the authors'
# CIFAR-10 release), the last layer 1. Added to the student's cross-entropy.
_base_ = ['../_base_/distillers/cls_r50_r18_cifar100.py']

model = dict(
    teacher=dict(
        _delete_=True,
        config='configs/hkd/cls_r18w2_cifar100.py',
        checkpoint='work_dirs/hkd_aux_cls_r50_r18w2_cifar100/epoch_200_student.pth'),
    distill_points=dict(
        hkd=dict(
            student=['backbone.layer1', 'backbone.layer2', 'backbone.layer3', 'backbone.layer4',
                     dict(source='head.fc', io='input')],
            teacher=['backbone.layer1', 'backbone.layer2', 'backbone.layer3', 'backbone.layer4',
                     dict(source='head.fc', io='input')],
            connector=dict(type='mmkd.IdentityConnector', strict=False),
            loss=dict(type='mmkd.InformationFlowLoss', kernels=('cosine', 'student_t'), divergence='jeffreys',
                      matching=None, init_weight=100.0, decay=0.7,
                      decay_by='epoch', decay_interval=1, final_weight=1.0))),
    diagnostics=dict(student='head.fc', teacher='head.fc'))
