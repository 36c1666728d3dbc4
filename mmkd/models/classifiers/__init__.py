from .collaborative_classifier import CollaborativeClassifier
from .ensemble_classifier import EnsembleClassifier
from .image_classifier import ImageClassifier
from .multi_branch_classifier import MultiBranchClassifier
from .one_classifier import ONEClassifier
from .rocket_classifier import RocketClassifier

__all__ = [
    'CollaborativeClassifier', 'EnsembleClassifier', 'ImageClassifier', 'MultiBranchClassifier',
    'ONEClassifier', 'RocketClassifier'
]
