# PSPNet ResNet-101-D8 -> ResNet-18-D8 on Cityscapes, 512x1024 crops, 80k iterations
# (student: mmseg's pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py, its data, schedule and runtime;
# 74.87 mIoU trained alone, mmseg's pspnet/metafile.yaml).
# SyncBN: mmseg's configs use it on both models. In a one-process run (python tools/train.py) MMEngine's
# Runner reverts the student's to BN and the distiller the teacher's; tools/dist_train.sh keeps both.
_base_ = ['mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py', '../feature_distiller.py']

# The teacher is mmseg's published PSPNet R-101-D8 80k Cityscapes model (79.76 mIoU, mmseg's
# pspnet/metafile.yaml): its config is mmseg's, unchanged, and its weights are downloaded on first use
# (into torch hub's cache), so nothing is trained first.

# the distiller uses the student's data_preprocessor (inside `student`)
data_preprocessor = None

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='mmseg::pspnet/pspnet_r101-d8_4xb2-80k_cityscapes-512x1024.py',
        checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/pspnet/'
        'pspnet_r101-d8_512x1024_80k_cityscapes/'
        'pspnet_r101-d8_512x1024_80k_cityscapes_20200606_112211-e1e1100f.pth'),
    input_size={{_base_.crop_size}})
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
