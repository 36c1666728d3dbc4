from .conv_bn_connector import ConvBNConnector
from .identity_connector import IdentityConnector

__all__ = ['ConvBNConnector', 'IdentityConnector']
