# Diagnostic twin of overhaul_deeplabv3plus_r101_r18_toy.py: the same OFD recipe with a teacher
# of the student's own architecture, a DeepLabV3+ ResNet-18 trained longer on the toy data, so that the
# teacher can be clearly ahead of its students within a CPU budget (a toy ResNet-101 iteration costs 4x
# a ResNet-18 one). The teacher positions: _base_/distill/ofd-resnet18-teacher.py (the head positions name
# the same modules in both models). Train the teacher first, e.g.
#   python tools/train.py configs/deeplabv3plus/deeplabv3plus_r18_toy.py
# and pass its checkpoint with --cfg-options model.teacher.checkpoint=...
_base_ = ['./overhaul_deeplabv3plus_r101_r18_toy.py', '../_base_/distill/ofd-resnet18-teacher.py']
__stages = _base_.pop('ofd_resnet18_teacher_stages')

model = dict(
    teacher=dict(
        config='configs/deeplabv3plus/deeplabv3plus_r18_toy.py',
        checkpoint='work_dirs/deeplabv3plus_r18_toy/iter_200.pth'),
    distill_points=__stages)
