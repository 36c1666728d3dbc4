# FitNets (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015), single stage, between a ResNet-50/101
# teacher and a ResNet-18 student, shared by the classification, segmentation and detection pairs
# (_base_/distill/fitnets-1stage_<task>_<teacher>_r18.py, which say the map sizes).
# L_HT = 1/2 ||u_h - r(v_g)||^2 between the teacher's hint u_h and the regressed guided feature r(v_g) of the
# student, added to the student's own losses (weight 1) from the first iteration: the one-stage variant of the
# benchmarks (e.g. Tian et al., ICLR 2020); configs/fitnets/fitnets_<task>_*.py hold the paper's two stages.
# Hint and guided layers: the output of backbone stage 2 (512 channels teacher, 128 student), the middle of
# both networks as in the paper. Regressor r: a 1x1 convolution to the teacher's channels followed by a ReLU
# (mmkd.ConvConnector): the hint is a post-ReLU feature and the paper ends r with the hint layer's
# non-linearity; the maps have the same size, so a 1x1 kernel suffices. Hint weight: 1/2 ||.||^2 averaged over
# the elements x 200 = 100 x the MSE, the FitNets weight of the CIFAR-100 benchmark of Tian et al.
# ("Contrastive Representation Distillation", ICLR 2020).

fitnets_1stage_points = dict(
    hint=dict(
        student='backbone.layer2', teacher='backbone.layer2',
        connector=dict(type='mmkd.ConvConnector', kernel_size=1, act='relu'),
        loss=dict(type='mmkd.HintLoss', normalize='mean', loss_weight=200.0)))
