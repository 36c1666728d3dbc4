"""The model config that ``tools/analysis/list_positions.py`` lists: a task model, or a distiller's student
or teacher, with the input size its config implies, built with random weights and nothing downloaded."""
import copy
from typing import Optional, Tuple

from mmengine.config import Config, ConfigDict

from mmkd.utils.config import load_model_config

def clear_pretrained(cfg):
    """Set every ``init_cfg`` and ``pretrained`` entry of a (nested) model config to None."""
    if isinstance(cfg, dict):
        for key in list(cfg):
            if key in ('init_cfg', 'pretrained'):
                cfg[key] = None
            else:
                clear_pretrained(cfg[key])
    elif isinstance(cfg, (list, tuple)):
        for item in cfg:
            clear_pretrained(item)
    return cfg


def is_distiller(model_cfg: dict) -> bool:
    return str(model_cfg.get('type', '')).split('.')[-1] == 'FeatureDistiller'


def _size_pair(value) -> Optional[Tuple[int, int]]:
    if isinstance(value, int) and not isinstance(value, bool):
        return value, value
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return int(value[0]), int(value[1])
    return None


def select_model(cfg: Config, which: str) -> Tuple[ConfigDict, Optional[Tuple[int, int]], str]:
    """The model config to build, the input size the config implies (or None) and a description."""
    model_cfg = cfg.get('model')
    if not isinstance(model_cfg, dict) or 'type' not in model_cfg:
        raise ValueError('the config has no `model` dict with a `type`; pass a task config (mmdet / mmseg / '
                         'mmkd classifier) or an mmkd.FeatureDistiller config.')
    size = _size_pair(cfg.get('input_size')) or _size_pair(cfg.get('crop_size'))
    if not is_distiller(model_cfg):
        if which != 'student':
            raise ValueError(f"--model {which} needs a distillation config (model.type "
                             f"'mmkd.FeatureDistiller'), but model.type is {model_cfg['type']!r}; drop "
                             '--model to list this model, or pass the distillation config.')
        return copy.deepcopy(model_cfg), size, f"model ({model_cfg['type']})"
    size = _size_pair(model_cfg.get('input_size')) or size
    if which == 'student':
        return copy.deepcopy(model_cfg['student']), size, f"student ({model_cfg['student']['type']})"
    teacher = model_cfg.get('teacher')
    if not isinstance(teacher, dict) or 'config' not in teacher:
        raise ValueError('model.teacher must be dict(config=<model dict or config path>, ...) to list the '
                         'teacher.')
    teacher_cfg = load_model_config(teacher['config'], teacher.get('cfg_options'))
    source = teacher['config'] if isinstance(teacher['config'], str) else 'model.teacher.config'
    return teacher_cfg, size, f"teacher ({teacher_cfg['type']}, from {source}; random weights, no checkpoint)"
