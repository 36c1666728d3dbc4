from .call_tracer import CallTracer, first_tensor, is_activation, is_norm, trace_model
from .model_select import clear_pretrained, is_distiller, select_model
from .ofd_positions import format_suggestions, pair_points, points_config, suggest_ofd, write_points
from .position_table import build_rows, format_table, recorder, wrap_text

__all__ = [
    'CallTracer', 'build_rows', 'clear_pretrained', 'first_tensor', 'format_suggestions', 'format_table',
    'is_activation', 'is_distiller', 'is_norm', 'pair_points', 'points_config', 'recorder', 'select_model',
    'suggest_ofd', 'trace_model', 'wrap_text', 'write_points'
]
