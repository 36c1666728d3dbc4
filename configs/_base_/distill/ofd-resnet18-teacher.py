# OFD (Heo et al., ICCV 2019) teacher positions of a ResNet-18 teacher, for the diagnostic twins whose
# teacher has the student's own architecture (overhaul_*_r18_r18_*.py): each stage's last BasicBlock before
# its last ReLU. mmdet's and mmseg's BasicBlock call `relu` twice; the last call takes
# `bn2(conv2(.)) + identity`, so the margin comes from `bn2`. A twin takes the stages its student pair
# distils (`_base_.pop('ofd_resnet18_teacher_stages')`), keeping the pair's student positions and weights.
ofd_resnet18_teacher_stages = {
    f'stage{i}': dict(
        teacher=dict(source=f'backbone.layer{i}.1.relu'),
        teacher_transform=dict(bn=f'backbone.layer{i}.1.bn2'))
    for i in (1, 2, 3, 4)
}
