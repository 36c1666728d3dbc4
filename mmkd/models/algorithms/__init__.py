from .distill_point import DistillPoint
from .feature_distiller import FeatureDistiller
from .loss_weight_schedule import LossWeightSchedule

__all__ = ['DistillPoint', 'FeatureDistiller', 'LossWeightSchedule']
