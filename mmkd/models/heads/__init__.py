from .conv_cls_head import ConvClsHead
from .linear_cls_head import LinearClsHead

__all__ = ['ConvClsHead', 'LinearClsHead']
