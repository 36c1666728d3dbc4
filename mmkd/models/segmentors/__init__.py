from .one_encoder_decoder import ONEEncoderDecoder

__all__ = ['ONEEncoderDecoder']
