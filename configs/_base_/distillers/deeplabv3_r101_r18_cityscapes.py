# DeepLabV3 ResNet-101-D8 -> ResNet-18-D8 on Cityscapes, 512x1024 crops, 80k iterations
# (student: mmseg's deeplabv3/deeplabv3_r18-d8_4xb2-80k_cityscapes-512x1024.py, its data, schedule and runtime;
# 76.7 mIoU trained alone, mmseg's deeplabv3/metafile.yaml).
# SyncBN: mmseg's configs use it on both models. In a one-process run (python tools/train.py) MMEngine's
# Runner reverts the student's to BN and the distiller the teacher's; tools/dist_train.sh keeps both.
_base_ = ['mmseg::deeplabv3/deeplabv3_r18-d8_4xb2-80k_cityscapes-512x1024.py', '../feature_distiller.py']

# The teacher is mmseg's published DeepLabV3 R-101-D8 80k Cityscapes model (80.2 mIoU, mmseg's
# deeplabv3/metafile.yaml): its config is mmseg's, unchanged, and its weights are downloaded on first use
# (into torch hub's cache), so nothing is trained first.

# the distiller uses the student's data_preprocessor (inside `student`)
data_preprocessor = None

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='mmseg::deeplabv3/deeplabv3_r101-d8_4xb2-80k_cityscapes-512x1024.py',
        checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3/'
        'deeplabv3_r101-d8_512x1024_80k_cityscapes/'
        'deeplabv3_r101-d8_512x1024_80k_cityscapes_20200606_113503-9e428899.pth'),
    input_size={{_base_.crop_size}})
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
