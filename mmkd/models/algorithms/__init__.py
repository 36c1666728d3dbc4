from .distill_point import DistillPoint
from .distill_stages import DistillStage, DistillStages
from .feature_distiller import FeatureDistiller
from .loss_weight_schedule import LossWeightSchedule
from .mutual_learning import MutualLearning

__all__ = [
    'DistillPoint', 'DistillStage', 'DistillStages', 'FeatureDistiller', 'LossWeightSchedule',
    'MutualLearning'
]
