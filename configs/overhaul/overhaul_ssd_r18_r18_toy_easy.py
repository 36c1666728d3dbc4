# Diagnostic twin of overhaul_ssd_r50_r18_toy_easy.py: the same OFD recipe (Heo et al., ICCV 2019) with a
# teacher of the student's own architecture, SSD160 ResNet-18 trained as long as the ResNet-50 teacher
# (2000 iterations), which on the easy set is the better detector of the two (docs/results.md, "Why OFD
# costs the SSD student"). The teacher positions: _base_/distill/ofd-resnet18-teacher.py. Train and link the
# teacher first:
#   python tools/misc/cached_train.py configs/ssd/ssd160_r18_toy_easy.py --iters 2000 \
#       --link data/toy_easy/teachers/ssd160_r18.pth
_base_ = ['./overhaul_ssd_r50_r18_toy_easy.py', '../_base_/distill/ofd-resnet18-teacher.py']
__stages = _base_.pop('ofd_resnet18_teacher_stages')

model = dict(
    teacher=dict(
        config='configs/ssd/ssd160_r18_toy_easy.py',
        checkpoint='data/toy_easy/teachers/ssd160_r18.pth'),
    distill_points=dict(stage1=__stages.stage1, stage2=__stages.stage2, stage3=__stages.stage3))
