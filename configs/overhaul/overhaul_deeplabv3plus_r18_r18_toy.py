# Diagnostic twin of overhaul_deeplabv3plus_r101_r18_toy.py: the same OFD recipe with a teacher
# of the student's own architecture, a DeepLabV3+ ResNet-18 trained longer on the toy data, so that the
# teacher can be clearly ahead of its students within a CPU budget (a toy ResNet-101 iteration costs 4x
# a ResNet-18 one). Train the teacher first, e.g.
#   python tools/train.py configs/deeplabv3plus/deeplabv3plus_r18_toy.py
# and pass its checkpoint with --cfg-options model.teacher.checkpoint=...
_base_ = ['./overhaul_deeplabv3plus_r101_r18_toy.py']


def r18_stage(block):
    """A BasicBlock stage output before its last ReLU: `relu` is called twice, the second call takes
    `bn2(conv2(.)) + identity`, so the margin comes from `bn2`."""
    return dict(
        teacher=dict(source=f'backbone.{block}.relu'),
        teacher_transform=dict(bn=f'backbone.{block}.bn2'))


# the head positions name the same modules in both models; only the backbone stages differ
model = dict(
    teacher=dict(
        config='configs/deeplabv3plus/deeplabv3plus_r18_toy.py',
        checkpoint='work_dirs/deeplabv3plus_r18_toy/iter_200.pth'),
    distill_points=dict(
        stage1=r18_stage('layer1.1'),
        stage2=r18_stage('layer2.1'),
        stage3=r18_stage('layer3.1'),
        stage4=r18_stage('layer4.1')))
