from .shared_preprocessor import check_shared_preprocessor

__all__ = ['check_shared_preprocessor']
