from .assistant_distiller import AssistantDistiller
from .codistillation import Codistillation
from .dcm import DCM
from .distill_point import DistillPoint
from .distill_stages import DistillStage, DistillStages
from .feature_distiller import FeatureDistiller
from .frozen_teacher import FrozenTeacher
from .kdcl import KDCL
from .loss_weight_schedule import LossWeightSchedule
from .mutual_learning import MutualLearning

__all__ = [
    'AssistantDistiller', 'Codistillation', 'DCM', 'DistillPoint', 'DistillStage', 'DistillStages',
    'FeatureDistiller', 'FrozenTeacher', 'KDCL', 'LossWeightSchedule', 'MutualLearning'
]
