from .conv_bn_connector import ConvBNConnector
from .conv_connector import ConvConnector
from .ft_translator import FTTranslator
from .identity_connector import IdentityConnector

__all__ = ['ConvBNConnector', 'ConvConnector', 'FTTranslator', 'IdentityConnector']
