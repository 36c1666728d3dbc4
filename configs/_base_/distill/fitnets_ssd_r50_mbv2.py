# FitNets (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015): SSD300 ResNet-50 -> SSDLite
# MobileNetV2 (300x300). The points serve both FitNets variants: two stages in one run (fitnets_stages, the
# paper's) and one stage (configs/fitnets/fitnets-1stage_ssd_r50_mbv2_*.py, hint loss added to the task losses
# from the first iteration).
# L_HT = 1/2 ||u_h - r(v_g)||^2 between the teacher's hint u_h and the regressed guided feature r(v_g) of the
# student.
# Stage 'hint' (the first ~15% of the schedule: the twins set the end): L_HT alone, task loss weight 0, so
# only the student up to the guided layer and the regressor are trained.
# Stage 'task' (to the end): the detector's own losses (Hinton KD does not apply to SSD's score maps, see
# docs/method_zoo.md).
# Hint layer: as for the ResNet-18 student (_base_/distill/fitnets_ssd_r50_r18.py), the output of stage 2 of
# the teacher's 3 backbone stages (512 channels, 38x38, stride 8). Guided layer: the student's last feature
# at that resolution, the output of MobileNetV2's backbone.layer3 (32 channels, 38x38; the next layer
# downsamples), a linear bottleneck (1x1 conv + BN, no activation), so signed. Regressor r: a 1x1
# convolution to the teacher's 512 channels followed by a ReLU (mmkd.ConvConnector), as for the ResNet-18
# student: the hint is a post-ReLU feature and the paper ends r with the hint layer's non-linearity.
# Hint weight chosen as for the ResNet-18 student: 1/2 ||.||^2 averaged over the elements x 200 = 100 x the
# MSE, the FitNets weight of the CIFAR-100 benchmark of Tian et al. ("Contrastive Representation
# Distillation", ICLR 2020).
# find_unused_parameters: each stage leaves parameters without gradients under DDP.
# Shared by the toy and real twins configs/fitnets/fitnets{,-1stage}_ssd_r50_mbv2_{toy,voc0712}.py; what
# differs between them (data, stage ends) is said in their headers.


def stage_list(**end):
    """The stages; `end` (end_iter or end_epoch) ends the first one and differs between the
    twins."""
    return [
        dict(name='hint', **end, task_loss_weight=0.0,
             points=dict(hint=1.0)),
        dict(name='task', points=dict())]


fitnets_points = dict(
    hint=dict(
        student='backbone.layer3', teacher='backbone.layer2',
        connector=dict(type='mmkd.ConvConnector', kernel_size=1, act='relu'),
        loss=dict(type='mmkd.HintLoss', normalize='mean', loss_weight=200.0)))
fitnets_stages = dict(toy=stage_list(end_iter=30), voc0712=stage_list(end_epoch=4))
