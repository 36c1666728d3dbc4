# Born-Again Networks (Furlanello et al., ICML 2018) with the toy 32 px ResNet-18: generation 1 is the
# student config trained alone; generation k+1 is the same architecture from a fresh initialisation,
# distilled from generation k on the logits (head.fc); the tool then evaluates the ensemble of all
# generations (mean of their softmax probabilities). Not a tools/train.py config: run it with
#   python tools/born_again.py configs/ban/ban_cls_r18_toy.py --generations 3 --work-dir work_dirs/ban_cls_r18_toy
# Every generation uses the data, schedule and runtime below (those of cls/cls_r18_toy.py).
_base_ = [
    '../_base_/datasets/toy_cls.py', '../_base_/schedules/toy_cls_200it.py',
    '../_base_/default_runtime_cls.py'
]

# the model of every generation, and the teacher config of generations 2+ (read from the repository root)
student_config = 'configs/cls/cls_r18_toy.py'
# the distillation point of generations 2+: KL to the previous generation's softmax (tau 1). target='cwtm'
# (confidence-weighted by teacher max) or 'dkpp' (dark knowledge with permuted predictions) give the
# paper's two ablations (mmkd.KDLoss).
ban_point = dict(
    student='head.fc', teacher='head.fc', loss=dict(type='mmkd.KDLoss', tau=1.0, target='soft'))
# weight of the student's own cross-entropy in generations 2+ (0: trained on the teacher's outputs only,
# the born-again objective; > 0 adds the labels)
ban_task_loss_weight = 0.0
# further mmkd.FeatureDistiller arguments of generations 2+: the dry forward at the 32 px input; the
# teacher (as cheap as the student) in fp32 with its running BN statistics, so its probabilities, their
# arg-max (dkpp) and max (cwtm) are those it is evaluated with
ban_distiller = dict(input_size=(32, 32), teacher_bn='eval', teacher_precision='fp32')
