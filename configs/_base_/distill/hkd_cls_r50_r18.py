# Information-flow KD (Passalis, Tzelepi & Tefas, "Heterogeneous Knowledge Distillation using Information Flow
# Modeling", CVPR 2020), step 2 of 2: ResNet-50 -> (auxiliary 2x wide ResNet-18) -> ResNet-18, the teacher
# being step 1's exported student (StudentCheckpointHook writes <ckpt>_student.pth). One point with lists of
# positions: the outputs of the four stages (backbone.layer1-4) and the penultimate pooled feature (head.fc's
# input), auxiliary layer i paired with student layer i (same architecture, so matching=None; 'flow' would
# pair them by information flow). Loss: mmkd.InformationFlowLoss, cosine + Student-t kernels, Jeffreys
# divergence on the in-batch conditional probabilities; the critical-period schedule of the authors' release:
# intermediate layers weighted 100 x 0.7^t, decayed per epoch on CIFAR-100 (the authors' CIFAR-10 release)
# and per 20 iterations on the toy data (ten decays over the 200-iteration schedule, as ten epochs), the last
# layer 1. Added to the student's cross-entropy.
# Shared by the toy and real twins configs/hkd/hkd_cls_r50_r18_{toy,cifar100}.py.


def hkd_points_for(decay_by, decay_interval):
    """The information-flow point, its intermediate weights decayed every `decay_interval` `decay_by`s."""
    return dict(
        hkd=dict(
            student=['backbone.layer1', 'backbone.layer2', 'backbone.layer3', 'backbone.layer4',
                     dict(source='head.fc', io='input')],
            teacher=['backbone.layer1', 'backbone.layer2', 'backbone.layer3', 'backbone.layer4',
                     dict(source='head.fc', io='input')],
            connector=dict(type='mmkd.IdentityConnector', strict=False),
            loss=dict(type='mmkd.InformationFlowLoss', kernels=('cosine', 'student_t'), divergence='jeffreys',
                      matching=None, init_weight=100.0, decay=0.7,
                      decay_by=decay_by, decay_interval=decay_interval, final_weight=1.0)))


hkd_points = dict(toy=hkd_points_for('iter', 20), cifar100=hkd_points_for('epoch', 1))
