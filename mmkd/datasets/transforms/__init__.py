from .pack_cls_inputs import PackClsInputs
from .random_crop_pad import RandomCropPad

__all__ = ['PackClsInputs', 'RandomCropPad']
