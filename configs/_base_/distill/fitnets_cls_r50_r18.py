# FitNets (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015), two stages in one run: ResNet-50 ->
# ResNet-18.
# L_HT = 1/2 ||u_h - r(v_g)||^2 between the teacher's hint u_h and the regressed guided feature r(v_g) of the
# student.
# Stage 'hint' (the first ~15% of the schedule: the twins set the end): L_HT alone, task loss weight 0, so
# only the student up to the guided layer and the regressor are trained.
# Stage 'kd' (to the end): Hinton KD, tau^2 KL(softmax(t / tau) || softmax(s / tau)) on the logits (tau 4,
# weight 0.9), plus the student's cross-entropy (weight 0.1), as configs/kd/.
# Hint and guided layers: the output of stage 2 of 4 (512 channels teacher, 128 student, 8x8), the middle of
# both networks as in the paper. Regressor r: a 1x1 convolution to the teacher's channels followed by a ReLU
# (mmkd.ConvConnector): the hint is a post-ReLU feature and the paper ends r with the hint layer's
# non-linearity; the maps have the same size, so a 1x1 kernel suffices. Hint weight: 1/2 ||.||^2 averaged over
# the elements x 200 = 100 x the MSE, the FitNets weight of the CIFAR-100 benchmark of Tian et al.
# ("Contrastive Representation Distillation", ICLR 2020).
# find_unused_parameters: each stage leaves parameters without gradients under DDP.
# Shared by the toy and real twins configs/fitnets/fitnets_cls_r50_r18_{toy,cifar100}.py; what differs
# between them (data, stage ends) is said in their headers.


def stage_list(**end):
    """The stages; `end` (end_iter or end_epoch) ends the first one and differs between the
    twins."""
    return [
        dict(name='hint', **end, task_loss_weight=0.0,
             points=dict(hint=1.0)),
        dict(name='kd', points=dict(kd=1.0))]


fitnets_points = dict(
    hint=dict(
        student='backbone.layer2', teacher='backbone.layer2',
        connector=dict(type='mmkd.ConvConnector', kernel_size=1, act='relu'),
        loss=dict(type='mmkd.HintLoss', normalize='mean', loss_weight=200.0)),
    kd=dict(student='head.fc', teacher='head.fc', loss=dict(type='mmkd.KDLoss', tau=4.0, loss_weight=0.9)))
fitnets_stages = dict(toy=stage_list(end_iter=30), cifar100=stage_list(end_epoch=30))
