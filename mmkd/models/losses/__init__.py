from .ab_loss import ABLoss, ab_loss
from .at_loss import ATLoss, at_loss, attention_map
from .base import DistillLoss, compute_dtype, needs_data_samples, promote, reduce_loss
from .cckd_loss import CCKDLoss, correlation_matrix
from .crosskd_loss import CrossKDLoss, aligned_giou, decode_unit_boxes, distribution_kd, quality_focal_kd
from .cwd_loss import ChannelWiseDivergence, channel_wise_divergence
from .dist_loss import DISTLoss, dist_loss, pearson_rows
from .fbkd_loss import FBKDLoss, NonLocalBlock, pooled_attention
from .fgd_loss import FGDLoss, GcBlock, box_masks, feature_attention
from .fsp_loss import FSPLoss, fsp_matrix
from .ft_loss import FTLoss, Paraphraser
from .hint_loss import HintLoss, hint_loss
from .information_flow_loss import InformationFlowLoss, information_flow, match_layers
from .irg_loss import IRGLoss, irg_edge, irg_transform, irg_vertex
from .kd_loss import KDLoss, permute_non_argmax
from .label_smoothing_loss import LabelSmoothingLoss
from .mgd_loss import MGDLoss
from .partial_l2_loss import PartialL2Loss, partial_l2
from .pkd_loss import PKDLoss, pkd_loss, standardize_maps
from .pkt_loss import PKTLoss, conditional_probabilities
from .rkd_loss import RKDLoss, pairwise_distances, rkd_angle, rkd_distance
from .utils import fit_weight, ignore_mask, kl_divergence, softmax_kl

__all__ = ['DistillLoss', 'compute_dtype', 'promote', 'reduce_loss', 'needs_data_samples', 'fit_weight',
           'ignore_mask', 'kl_divergence', 'softmax_kl',
           'KDLoss', 'PartialL2Loss', 'partial_l2', 'permute_non_argmax',
           'ATLoss', 'at_loss', 'attention_map', 'ChannelWiseDivergence', 'channel_wise_divergence',
           'DISTLoss', 'dist_loss', 'pearson_rows', 'HintLoss', 'hint_loss', 'MGDLoss', 'PKDLoss', 'pkd_loss',
           'standardize_maps', 'ABLoss', 'ab_loss', 'CCKDLoss', 'correlation_matrix', 'FSPLoss', 'fsp_matrix',
           'FTLoss', 'Paraphraser', 'IRGLoss', 'irg_edge', 'irg_transform', 'irg_vertex', 'PKTLoss',
           'conditional_probabilities', 'RKDLoss', 'pairwise_distances', 'rkd_angle', 'rkd_distance',
           'InformationFlowLoss', 'information_flow', 'match_layers', 'LabelSmoothingLoss',
           'FGDLoss', 'GcBlock', 'box_masks', 'feature_attention', 'FBKDLoss', 'NonLocalBlock',
           'pooled_attention', 'CrossKDLoss', 'aligned_giou', 'decode_unit_boxes', 'distribution_kd',
           'quality_focal_kd']
