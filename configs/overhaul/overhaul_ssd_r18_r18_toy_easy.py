# Diagnostic twin of overhaul_ssd_r50_r18_toy_easy.py: the same OFD recipe (Heo et al., ICCV 2019) with a
# teacher of the student's own architecture, SSD160 ResNet-18 trained as long as the ResNet-50 teacher
# (2000 iterations), which on the easy set is the better detector of the two (docs/results.md, "Why OFD
# costs the SSD student"). Train and link the teacher first:
#   python tools/misc/cached_train.py configs/ssd/ssd160_r18_toy_easy.py --iters 2000 \
#       --link data/toy_easy/teachers/ssd160_r18.pth
_base_ = ['./overhaul_ssd_r50_r18_toy_easy.py']


def r18_stage(block):
    """A BasicBlock stage output before its last ReLU: `relu` is called twice, the last call takes
    `bn2(conv2(.)) + identity`, so the margin comes from `bn2`."""
    return dict(
        teacher=dict(source=f'backbone.{block}.relu'),
        teacher_transform=dict(bn=f'backbone.{block}.bn2'))


# the student positions and the weights per position are the ResNet-50 pair's; only the teacher's differ
model = dict(
    teacher=dict(
        config='configs/ssd/ssd160_r18_toy_easy.py',
        checkpoint='data/toy_easy/teachers/ssd160_r18.pth'),
    distill_points=dict(
        stage1=r18_stage('layer1.1'),
        stage2=r18_stage('layer2.1'),
        stage3=r18_stage('layer3.1')))
