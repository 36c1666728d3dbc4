# Overhaul feature distillation points (Heo et al., "A Comprehensive Overhaul of Feature Distillation",
# ICCV 2019) between mmdet ResNet-50 (teacher) and ResNet-18 (student) SSD300 backbones.


def ofd_point(student_block, teacher_block, weight):
    """One OFD position: the pre-ReLU output of a ResNet stage, i.e. the input of the last call of the
    stage's last block `relu` (mmdet blocks call one ReLU module several times); the teacher margin
    comes from the BN feeding that ReLU (bn3 of a Bottleneck)."""
    return dict(
        student=dict(source=f'backbone.{student_block}.relu', io='input', call=-1),
        teacher=dict(source=f'backbone.{teacher_block}.relu', io='input', call=-1),
        # 1x1 conv + BN to the teacher's channels (channels inferred by the distiller's dry forward)
        connector=dict(type='mmkd.ConvBNConnector'),
        # margin ReLU max(t, m), m = E[t | t < 0] of the BN's per-channel Gaussian
        teacher_transform=dict(type='mmkd.MarginReLU', bn=f'backbone.{teacher_block}.bn3'),
        # partial L2 summed over the feature and divided by the batch size; `weight` carries the
        # recipe's halving toward shallow stages (1/2^(K-1-k)) and its 1e-4 constant (the ImageNet
        # recipe; SSD300 inputs are ImageNet-sized)
        loss=dict(type='mmkd.PartialL2Loss', normalize='batch', loss_weight=weight))


# The three stages the ResNet SSD backbones have (strides 4, 8, 16). mmdet's SSD300 neck extra layers
# have no BN, so the paper's margin cannot be computed there and they are not distilled.
ofd_points = dict(
    stage1=ofd_point('layer1.1', 'layer1.2', 1e-4 / 4),
    stage2=ofd_point('layer2.1', 'layer2.3', 1e-4 / 2),
    stage3=ofd_point('layer3.1', 'layer3.5', 1e-4))

