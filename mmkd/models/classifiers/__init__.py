from .collaborative_classifier import CollaborativeClassifier
from .ensemble_classifier import EnsembleClassifier
from .image_classifier import ImageClassifier
from .multi_branch_classifier import MultiBranchClassifier
from .okddip_classifier import OKDDipClassifier
from .one_classifier import ONEClassifier
from .rocket_classifier import RocketClassifier
from .specialist_ensemble import SpecialistEnsemble

__all__ = [
    'CollaborativeClassifier', 'EnsembleClassifier', 'ImageClassifier', 'MultiBranchClassifier',
    'OKDDipClassifier', 'ONEClassifier', 'RocketClassifier', 'SpecialistEnsemble'
]
