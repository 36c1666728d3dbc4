"""Pictures of what a distillation point transfers: per validation image, the teacher's feature, the transformed
teacher (what the loss sees), the connected student and their difference, as one row of panels per point."""
import copy
import os
import os.path as osp
from types import SimpleNamespace
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dataset import pseudo_collate
from mmengine.logging import MMLogger, print_log
from mmengine.registry import DATASETS, init_default_scope

from mmkd.engine.hooks.checkpoint_guard_hook import CheckpointGuardHook
from mmkd.models.algorithms.assistant_distiller import AssistantDistiller
from mmkd.models.algorithms.feature_distiller import FeatureDistiller
from mmkd.registry import MODELS
from mmkd.utils.checkpoint import extract_state_dict, load_checkpoint_file
from mmkd.utils.strict_loading import CheckpointMismatchError, fits, mismatch_message

MODES = ('mean', 'attention')
PANELS = ('image', 'teacher', 'teacher transformed', 'student connected', 'difference')
TITLE_HEIGHT = 30
BACKGROUND = 40


def spatial_map(feature: torch.Tensor, mode: str = 'mean') -> np.ndarray:
    """A (C, H, W) feature as an (H, W) map: ``'mean'`` |mean over channels|, ``'attention'`` the mean of the
    squares over channels (attention transfer's map)."""
    if mode not in MODES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
    feature = feature.detach().float()
    out = feature.mean(0).abs() if mode == 'mean' else feature.pow(2).mean(0)
    return out.cpu().numpy()


def difference_map(student: torch.Tensor, teacher: torch.Tensor, mode: str = 'mean') -> np.ndarray:
    """Where the connected student and the transformed teacher differ, at the teacher's resolution: the mean
    over channels of |s - t| (``'mean'``) or (s - t)^2 (``'attention'``) when the shapes agree, else the
    absolute difference of their maps (the student's resized to the teacher's)."""
    if mode not in MODES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
    if student.shape == teacher.shape:
        diff = student.detach().float() - teacher.detach().float()
        return (diff.abs() if mode == 'mean' else diff.pow(2)).mean(0).cpu().numpy()
    s = torch.from_numpy(spatial_map(student, mode))[None, None]
    s = F.interpolate(s, size=tuple(teacher.shape[-2:]), mode='bilinear', align_corners=False)[0, 0].numpy()
    return np.abs(s - spatial_map(teacher, mode))


def _letterbox(image: np.ndarray, size: int, interpolation: int) -> np.ndarray:
    h, w = image.shape[:2]
    scale = size / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    resized = cv2.resize(image, (new_w, new_h), interpolation=interpolation)
    canvas = np.full((size, size, 3), BACKGROUND, np.uint8)
    top, left = (size - new_h) // 2, (size - new_w) // 2
    canvas[top:top + new_h, left:left + new_w] = resized.reshape(new_h, new_w, -1)
    return canvas


def _titled(body: np.ndarray, lines: Sequence[str]) -> np.ndarray:
    strip = np.zeros((TITLE_HEIGHT, body.shape[1], 3), np.uint8)
    for i, line in enumerate(lines[:2]):
        cv2.putText(strip, line, (3, 12 + 14 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (255, 255, 255), 1,
                    cv2.LINE_AA)
    return np.concatenate([strip, body], axis=0)


def map_panel(values: np.ndarray, title: str, size: int) -> np.ndarray:
    """An (H, W) map normalised to its own range, in the viridis colour map, under a title with the range."""
    lo, hi = float(values.min()), float(values.max())
    scaled = (values - lo) / (hi - lo) if hi > lo else np.zeros_like(values)
    colours = cv2.applyColorMap((scaled * 255).round().astype(np.uint8), cv2.COLORMAP_VIRIDIS)
    return _titled(_letterbox(colours, size, cv2.INTER_NEAREST), [title, f'{lo:.3g} .. {hi:.3g}'])


def image_panel(image: np.ndarray, size: int, title: str = 'image') -> np.ndarray:
    """A BGR uint8 image letterboxed into a panel, under ``title`` and the image size."""
    return _titled(_letterbox(image, size, cv2.INTER_AREA), [title, f'input {image.shape[1]}x{image.shape[0]}'])


def input_image(data_preprocessor, inputs: torch.Tensor) -> np.ndarray:
    """The BGR uint8 image a preprocessed (3, H, W) input shows (normalisation and channel swap undone)."""
    x = inputs.detach().float().cpu()
    if getattr(data_preprocessor, '_enable_normalize', False):
        x = x * data_preprocessor.std.cpu().view(-1, 1, 1) + data_preprocessor.mean.cpu().view(-1, 1, 1)
    image = x.clamp(0, 255).round().byte().permute(1, 2, 0).numpy()
    if image.shape[2] == 3 and getattr(data_preprocessor, '_channel_conversion', False):
        image = image[..., ::-1]
    return np.ascontiguousarray(image)


@torch.no_grad()
def point_features(distiller, inputs: torch.Tensor,
                   data_samples: Optional[list]) -> Dict[str, List[Tuple[torch.Tensor, ...]]]:
    """Run the teacher and the student as a training step does and return, per point, a list of
    ``(teacher, teacher transformed, student connected)`` per position pair (one for a single-position
    point; ``point.i`` pairs of a multi-position point with as many student as teacher positions)."""
    distiller.teacher_features(inputs, data_samples)
    with distiller.student_recorders.recording():
        distiller.student(inputs, data_samples, mode='tensor')
    out = {}
    try:
        for name, point in distiller.distill_points.items():
            student, teacher, references = point.recorded(distiller.student_recorders, distiller.teacher_recorders)
            connected, transformed = point.align(student, teacher, references)
            if not point.multi:
                out[name] = [(teacher, transformed, connected)]
            elif len(student) == len(teacher):
                out[name] = list(zip(teacher, transformed, connected))
            else:
                print_log(f'point {name!r}: {len(student)} student and {len(teacher)} teacher positions are not '
                          'pairs; not drawn', logger='current')
    finally:
        distiller.teacher_recorders.reset()
        distiller.student_recorders.reset()
    return out


def point_pictures(distiller, inputs: torch.Tensor, data_samples: Optional[list], mode: str = 'mean',
                   panel_size: int = 192) -> Dict[str, np.ndarray]:
    """One BGR picture per position pair (``<point>`` or ``<point>.<i>``) of the first image of the batch:
    panels image (titled with the point), teacher, teacher transformed, student connected, difference.
    Features without spatial extent (logits, vectors) are left out, with a log message."""
    image = input_image(distiller.data_preprocessor, inputs[0])
    pictures = {}
    for name, pairs in point_features(distiller, inputs, data_samples).items():
        for i, (teacher, transformed, connected) in enumerate(pairs):
            label = name if len(pairs) == 1 else f'{name}.{i}'
            if min(t.dim() for t in (teacher, transformed, connected)) != 4:
                print_log(f'point {label!r}: features of shape {tuple(teacher.shape)} have no spatial extent; '
                          'not drawn', logger='current')
                continue
            maps = [spatial_map(teacher[0], mode), spatial_map(transformed[0], mode),
                    spatial_map(connected[0], mode), difference_map(connected[0], transformed[0], mode)]
            pictures[label] = np.concatenate(
                [image_panel(image, panel_size, f'point {label}')]
                + [map_panel(m, title, panel_size) for m, title in zip(maps, PANELS[1:])], axis=1)
    return pictures


def load_distiller(cfg, checkpoint: str, device: str = 'cpu', teacher_bn: Optional[str] = None):
    """Build the config's distiller (its teacher from ``model.teacher.checkpoint``; ``teacher_bn`` other than
    None replaces the config's) and load a distillation checkpoint into it strictly; teacher transforms are
    re-derived when the checkpoint's teacher differs."""
    init_default_scope(cfg.get('default_scope', 'mmkd'))
    model_cfg = copy.deepcopy(cfg.model)
    model_cls = MODELS.get(model_cfg.get('type'))
    if not (isinstance(model_cls, type) and issubclass(model_cls, (FeatureDistiller, AssistantDistiller))):
        raise ValueError(f'the config builds a {model_cfg.get("type")}; feature pictures need a distillation '
                         'config whose model is an mmkd.FeatureDistiller (or a subclass) or an '
                         'mmkd.AssistantDistiller (its student step).')
    if teacher_bn is not None:
        model_cfg.teacher_bn = teacher_bn
    model = MODELS.build(model_cfg)
    ckpt = load_checkpoint_file(checkpoint, 'distiller')
    CheckpointGuardHook().after_load_checkpoint(
        SimpleNamespace(model=model, logger=MMLogger.get_current_instance()), ckpt)
    state = extract_state_dict(ckpt, prefer_student=False)
    if not fits(model, state):
        if fits(model.student, state):
            raise CheckpointMismatchError(
                f'{checkpoint} holds the student alone; the pictures need the connectors too: give the '
                'distillation checkpoint (iter_N.pth / epoch_N.pth of the run), not its *_student.pth twin.')
        raise CheckpointMismatchError(mismatch_message(model, state, checkpoint, 'the config'))
    model.load_state_dict(state, strict=True)
    return model.to(device).eval()


def show_features(cfg, checkpoint: str, out_dir: str, num_images: int = 4, mode: str = 'mean',
                  panel_size: int = 192, device: str = 'cpu', teacher_bn: Optional[str] = 'eval') -> List[str]:
    """Write ``<out_dir>/<point>_<index>.png`` for the first ``num_images`` images of the config's validation
    set and every drawable point; returns the paths written.

    Images go through the networks one at a time, so by default the teacher's BN uses its running
    statistics (``teacher_bn='eval'``); ``'train'`` uses the statistics of the single image, ``None`` the
    config's setting. The student always runs in eval mode.
    """
    if mode not in MODES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
    model = load_distiller(cfg, checkpoint, device, teacher_bn)
    dataset = DATASETS.build(cfg.val_dataloader.dataset)
    if len(dataset) == 0:
        raise ValueError('the validation set is empty: check val_dataloader.dataset.data_root '
                         '(docs/data_preparation.md)')
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for index in range(min(num_images, len(dataset))):
        data = model.data_preprocessor(pseudo_collate([dataset[index]]), False)
        inputs = data['inputs'].to(device)
        try:
            pictures = point_pictures(model, inputs, data['data_samples'], mode, panel_size)
        except ValueError as err:
            if 'more than 1 value per channel' not in str(err):
                raise
            raise ValueError(f'{err}: the teacher\'s BN uses batch statistics of a single image; draw with '
                             'its running statistics instead (--teacher-bn eval).') from err
        for label, picture in pictures.items():
            path = osp.join(out_dir, f'{label}_{index:04d}.png')
            if not cv2.imwrite(path, picture):
                raise OSError(f'could not write {path}')
            written.append(path)
    return written
