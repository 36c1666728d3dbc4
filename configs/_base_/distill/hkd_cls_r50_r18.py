# Information-flow KD (Passalis, Tzelepi & Tefas, "Heterogeneous Knowledge Distillation using Information Flow
# Modeling", CVPR 2020): ResNet-50 -> auxiliary 2x wide ResNet-18 -> ResNet-18, the two points of the
# mmkd.AssistantDistiller of configs/hkd/hkd_cls_r50_r18_{toy,cifar100}.py.
#
# Step 1, `hkd_aux_points`: the auxiliary network learns from the teacher. The paper puts it, of the
# student's architecture with more capacity, between a teacher and a student whose layers do not
# correspond; as we read it, it learns from the teacher's final representation only (layer matching across
# heterogeneous architectures being what it avoids), so the point has one position: the globally pooled
# last-stage feature that head.fc receives (2048-d teacher, 1024-d auxiliary: only in-batch similarities
# are compared), at final_weight 1.
#
# Step 2, `hkd_points`: the student learns from the auxiliary network through the outputs of the four
# stages (backbone.layer1-4) and the penultimate pooled feature (head.fc's input), auxiliary layer i paired
# with student layer i (same architecture, so matching=None; 'flow' would pair them by information flow),
# with the critical-period schedule of the authors' release: intermediate layers weighted 100 x 0.7^t,
# decayed per epoch on CIFAR-100 (the authors' CIFAR-10 release) and per 20 iterations on the toy data (ten
# decays over the 200-iteration step, as ten epochs), the last layer 1. t counts from the start of step 2.
#
# Both: mmkd.InformationFlowLoss, cosine + Student-t kernels, Jeffreys divergence on the in-batch
# conditional probabilities (the authors' release), added to the cross-entropy.

hkd_aux_points = dict(
    hkd_aux=dict(
        student=[dict(source='head.fc', io='input')],
        teacher=[dict(source='head.fc', io='input')],
        connector=dict(type='mmkd.IdentityConnector', strict=False),
        loss=dict(type='mmkd.InformationFlowLoss', kernels=('cosine', 'student_t'), divergence='jeffreys',
                  final_weight=1.0)))


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
