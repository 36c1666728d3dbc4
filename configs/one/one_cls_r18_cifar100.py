# ONE (Lan et al., "Knowledge Distillation by On-the-Fly Native Ensemble", NeurIPS 2018) with ResNet-18
# branches on CIFAR-100, from scratch, on the CIFAR-100 schedule of the other classifiers (200 epochs,
# batch 128). The stem and stages 1-3 are shared, stage 4 + pooling + fc is copied into 3 branches, and a
# gate (FC + BN + ReLU + softmax on the pooled stage-3 feature) weighs them into the ensemble teacher:
#   sum_i CE(z_i, y) + CE(z_e, y) + T^2 * sum_i KL(softmax(z_e / T) || softmax(z_i / T)),  T = 3,
# z_e = sum_i g_i z_i detached in the KL. Evaluation uses the ensemble; predict_branch=0 evaluates one
# branch, and tools/model_converters/online_to_single.py --branch 0 exports it as a plain ResNet-18.
_base_ = [
    '../_base_/models/cls_r18_cifar.py', '../_base_/datasets/cifar100.py',
    '../_base_/schedules/cifar100_200e.py', '../_base_/default_runtime_cls.py'
]

model = dict(
    type='mmkd.ONEClassifier',
    num_branches=3,
    shared_stages=3,
    kd_loss=dict(type='mmkd.KDLoss', tau=3.0),
    predict_branch=None)
