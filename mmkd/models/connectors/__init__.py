from .conv_bn_connector import ConvBNConnector
from .conv_connector import ConvConnector
from .ft_translator import FTTranslator
from .identity_connector import IdentityConnector
from .teacher_module_connector import TeacherModuleConnector, align_channel_statistics

__all__ = ['ConvBNConnector', 'ConvConnector', 'FTTranslator', 'IdentityConnector', 'TeacherModuleConnector',
           'align_channel_statistics']
