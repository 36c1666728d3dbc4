# ONE (Lan et al., "Knowledge Distillation by On-the-Fly Native Ensemble", NeurIPS 2018) for segmentation:
# the toy DeepLabV3+ ResNet-18 (deeplabv3plus/deeplabv3plus_r18_toy.py: 7 classes, 128x128 crops, 200
# iterations on the CPU, random weights) with its decode head copied into 3 branches on the shared
# backbone and a gate (FC + BN + ReLU + softmax on the pooled stage-4 feature, 512 channels) that weighs
# the branch score maps into the ensemble z_e = sum_i g_i z_i:
#   sum_i CE(z_i, y) + CE(z_e, y) + T^2 * sum_i KL(softmax(z_e / T) || softmax(z_i / T)),  T = 3,
# the KL per location of the decode-head maps, z_e detached; the auxiliary FCN head keeps its own loss.
# Evaluation uses the ensemble (model.predict_branch=i: one branch).
_base_ = ['../deeplabv3plus/deeplabv3plus_r18_toy.py']

model = dict(
    type='mmkd.ONEEncoderDecoder',
    num_branches=3,
    kd_loss=dict(type='mmkd.KDLoss', tau=3.0),
    predict_branch=None)
