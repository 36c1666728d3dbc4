from .margin_relu import MarginReLU, ofd_margin

__all__ = ['MarginReLU', 'ofd_margin']
