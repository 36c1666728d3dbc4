"""Deterministic toy datasets written in the real PASCAL VOC, CIFAR-100 (python), COCO and Cityscapes
formats.

The scenes are synthetic but built to be *hard in the right way*: every class is defined only by its
outline (a circle and a square get colours, stripes, noise and gradients from the same random
distribution), objects vary in size (about 1/12 to 1/2 of the image side), rotation and aspect, overlap
and occlude each other, run out of the frame, and sit on cluttered backgrounds (textures, soft blobs,
lines) among distractor shapes that belong to no class (crescents, half-discs, L-shapes, bars,
trapezoids, irregular blobs). Telling the shapes apart therefore needs shape features, not colour or
texture statistics.

Every image is drawn from its own generator ``numpy.random.default_rng([seed, stream, index])``, so the
same seed gives byte-identical files (on the same numpy/OpenCV/Pillow build) and changing one split's
size leaves the other splits' images unchanged.

Layout written under ``out_dir`` (``formats``: voc and cifar by default, coco and cityscapes on request)::

    VOCdevkit/VOC2007/{JPEGImages,Annotations,ImageSets/Main/{trainval,test}.txt}
    VOCdevkit/VOC2012/{JPEGImages,Annotations,SegmentationClass,
                       ImageSets/Main/trainval.txt,ImageSets/Segmentation/{train,val}.txt}
    cifar-toy/{train,test,meta}     # CIFAR-100 python pickles, 32x32, 10 classes
    coco/{train2017,val2017}/<id:012d>.jpg, coco/annotations/instances_{train,val}2017.json
    cityscapes/leftImg8bit/{train,val}/<city>/<city>_<seq>_<frame>_leftImg8bit.png
    cityscapes/gtFine/{train,val}/<city>/<city>_<seq>_<frame>_gtFine_labelTrainIds.png
"""
import json
import os
import os.path as osp
import pickle
import shutil
import struct
import xml.etree.ElementTree as ET
from typing import Dict, List, NamedTuple, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image

TOY_CLASSES = ('circle', 'square', 'triangle', 'star', 'ring', 'cross')
TOY_SEG_CLASSES = ('background', ) + TOY_CLASSES
CIFAR_TOY_CLASSES = TOY_CLASSES + ('hexagon', 'ellipse', 'arrow', 'heart')
CIFAR_TOY_COARSE_CLASSES = ('round', 'polygon', 'spiky')
CIFAR_TOY_COARSE_OF = dict(
    circle=0, ring=0, ellipse=0, heart=0, square=1, triangle=1, hexagon=1, star=2, cross=2, arrow=2)
DISTRACTOR_SHAPES = ('crescent', 'semicircle', 'lshape', 'bar', 'trapezoid', 'blob')

GENERATOR_COMMAND = 'python tools/misc/make_toy_data.py --out data/toy --seed 0'
IGNORE_INDEX = 255

# Output formats and the folder each one writes under ``out_dir``.
FORMAT_FOLDERS = dict(voc='VOCdevkit', cifar='cifar-toy', coco='coco', cityscapes='cityscapes')
FORMATS = tuple(FORMAT_FOLDERS)
DEFAULT_FORMATS = ('voc', 'cifar')
# COCO image ids are unique over its splits; the toy val2017 ids start at a million, so neither
# split's ids (and file names) depend on the size of the other.
COCO_FIRST_ID = dict(train2017=1, val2017=1_000_001)
# Cityscapes files live under one folder per city: <city>/<city>_<sequence>_<frame>_<suffix>.png.
CITYSCAPES_TOY_CITIES = dict(train=('toyburg', 'shapeton', 'polyville'), val=('ringmont', 'starfield'))


class SceneProfile(NamedTuple):
    """How hard a generated data set is. Count ranges are inclusive ``(low, high)``.

    Attributes:
        name (str): ``'hard'`` or ``'easy'``.
        image_side (tuple): Range of each VOC image side, pixels.
        objects (tuple): Class objects per scene.
        object_size (tuple): Object diameter as a fraction of the image's short side (log-uniform).
        distractors (tuple): Distractor shapes drawn under the objects.
        distractors_over (tuple): Distractor shapes drawn over the objects.
        occluders (tuple): Straight lines drawn over the objects.
        background_lines (tuple): Straight lines in the background.
        background_blobs (tuple): Soft blobs in the background.
        background_contrast (tuple): Background contrast factor about its mean colour.
        boundary_band (int): Window of the 255 band around mask outlines (odd).
        cifar_side (int): Side of the classification images.
        cifar_distractors (tuple): Distractors under / over the classification shape, and lines.
        cityscapes_size (tuple): ``(width, height)`` of every Cityscapes-format image (2:1, as the
            real 2048x1024 frames).
    """
    name: str
    image_side: Tuple[int, int]
    objects: Tuple[int, int]
    object_size: Tuple[float, float]
    distractors: Tuple[int, int]
    distractors_over: Tuple[int, int]
    occluders: Tuple[int, int]
    background_lines: Tuple[int, int]
    background_blobs: Tuple[int, int]
    background_contrast: Tuple[float, float]
    boundary_band: int
    cifar_side: int
    cifar_distractors: Tuple[Tuple[int, int], Tuple[int, int], Tuple[int, int]]
    cityscapes_size: Tuple[int, int] = (480, 240)


# The original toy world: many small, occluded objects among clutter. It exercises the formats and
# pipelines; short CPU schedules do not learn it.
HARD_PROFILE = SceneProfile(
    name='hard', image_side=(240, 360), objects=(2, 6), object_size=(1 / 12, 1 / 2),
    distractors=(2, 5), distractors_over=(0, 2), occluders=(0, 2), background_lines=(3, 11),
    background_blobs=(2, 5), background_contrast=(0.35, 0.75), boundary_band=5, cifar_side=32,
    cifar_distractors=((0, 2), (0, 1), (0, 2)))
# A world that two CPU cores learn: 1-3 objects of a quarter to half the image side, small images, light
# clutter, no occluding lines; its classification images (64x64, the same shapes and appearance) serve
# to pretrain backbones, as ImageNet does for the real recipes.
EASY_PROFILE = SceneProfile(
    name='easy', image_side=(128, 160), objects=(1, 3), object_size=(1 / 4, 1 / 2),
    distractors=(0, 1), distractors_over=(0, 0), occluders=(0, 0), background_lines=(0, 2),
    background_blobs=(0, 2), background_contrast=(0.2, 0.5), boundary_band=3, cifar_side=64,
    cifar_distractors=((0, 1), (0, 0), (0, 0)), cityscapes_size=(256, 128))
PROFILES = dict(hard=HARD_PROFILE, easy=EASY_PROFILE)


def get_profile(profile) -> SceneProfile:
    """A :class:`SceneProfile` from itself or its name."""
    if isinstance(profile, SceneProfile):
        return profile
    if profile not in PROFILES:
        raise ValueError(f'Unknown toy profile {profile!r}; expected one of {sorted(PROFILES)}.')
    return PROFILES[profile]


def _count(rng: np.random.Generator, bounds: Tuple[int, int]) -> int:
    return int(rng.integers(bounds[0], bounds[1] + 1))

# One random stream per split: an image depends only on (seed, stream, index). New splits take new
# numbers; existing numbers never change, so adding a format leaves every other file as it was.
_STREAMS = dict(voc2007_trainval=1, voc2007_test=2, voc2012=3, cifar_train=4, cifar_test=5,
                coco_train2017=6, coco_val2017=7, cityscapes_train=8, cityscapes_val=9)
_JPEG_QUALITY = 90
_SUPERSAMPLE = 2  # CIFAR images are drawn at 2x and area-downsampled (anti-aliasing).


def voc_colormap(num: int = 256) -> np.ndarray:
    """The standard PASCAL VOC colour map (label ``i`` -> RGB), built from the bits of ``i``.

    Args:
        num (int): Number of entries. Defaults to 256.

    Returns:
        np.ndarray: ``(num, 3)`` uint8 RGB colours; 0 is black, 1 is (128, 0, 0), 255 is
        (224, 224, 192).
    """
    cmap = np.zeros((num, 3), dtype=np.uint8)
    for i in range(num):
        c, r, g, b = i, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        cmap[i] = (r, g, b)
    return cmap


TOY_SEG_PALETTE = voc_colormap(len(TOY_SEG_CLASSES)).tolist()  # [[0, 0, 0], [128, 0, 0], ...]


# ----------------------------------------------------------------------------------------------
# Shapes: polygons in unit coordinates (extent about [-1, 1], y pointing down).
# ----------------------------------------------------------------------------------------------
def _regular(n: int, radius: float = 1.0, phase: float = -np.pi / 2) -> np.ndarray:
    t = phase + 2 * np.pi * np.arange(n) / n
    return np.stack([radius * np.cos(t), radius * np.sin(t)], axis=1)


def _heart() -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    x = 16 * np.sin(t)**3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    pts = np.stack([x, y], axis=1)
    pts -= (pts.max(0) + pts.min(0)) / 2
    return pts / 16.5


_HEART = _heart()


def shape_parts(name: str, rng: np.random.Generator) -> Tuple[List[Tuple[np.ndarray, int]], Tuple]:
    """The outline of one shape, with its random proportions drawn from ``rng``.

    Args:
        name (str): A class of :data:`CIFAR_TOY_CLASSES` or a :data:`DISTRACTOR_SHAPES` name.
        rng (np.random.Generator): Source of the shape's proportions.

    Returns:
        tuple: ``(parts, aspect_range)``: ``parts`` is a list of ``(polygon (K, 2), fill)`` drawn in
        order, ``fill`` 1 adds area and 0 cuts a hole; ``aspect_range`` bounds the x stretch that
        keeps the shape in its class (a circle must stay round, an ellipse must not).
    """
    near_one = (0.85, 1.18)
    if name == 'circle':
        return [(_regular(48), 1)], (0.93, 1.07)
    if name == 'ellipse':
        return [(_regular(48), 1)], (0.42, 0.64)
    if name == 'ring':
        return [(_regular(48), 1), (_regular(48, rng.uniform(0.45, 0.7)), 0)], (0.9, 1.1)
    if name == 'square':
        return [(np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * 0.75, 1)], (0.88, 1.13)
    if name == 'triangle':
        return [(_regular(3), 1)], near_one
    if name == 'hexagon':
        return [(_regular(6), 1)], (0.9, 1.1)
    if name == 'star':
        k = int(rng.choice([5, 6]))
        radii = np.where(np.arange(2 * k) % 2 == 0, 1.0, rng.uniform(0.38, 0.52))
        t = -np.pi / 2 + np.pi * np.arange(2 * k) / k
        return [(np.stack([radii * np.cos(t), radii * np.sin(t)], axis=1), 1)], near_one
    if name == 'cross':
        w = rng.uniform(0.2, 0.32)
        pts = [(-w, -1), (w, -1), (w, -w), (1, -w), (1, w), (w, w), (w, 1), (-w, 1), (-w, w),
               (-1, w), (-1, -w), (-w, -w)]
        return [(np.array(pts) * 0.8, 1)], near_one
    if name == 'arrow':
        w, h, x = rng.uniform(0.16, 0.26), rng.uniform(0.5, 0.65), rng.uniform(0.05, 0.3)
        pts = [(-1, -w), (x, -w), (x, -h), (1, 0), (x, h), (x, w), (-1, w)]
        return [(np.array(pts), 1)], near_one
    if name == 'heart':
        return [(_HEART, 1)], (0.9, 1.1)
    if name == 'crescent':
        r, d = rng.uniform(0.75, 0.95), rng.uniform(0.35, 0.6)
        return [(_regular(48), 1), (_regular(48, r) + [d, 0], 0)], near_one
    if name == 'semicircle':
        t = np.linspace(0, np.pi, 25)
        pts = np.stack([np.cos(t), np.sin(t) - 0.5], axis=1)
        return [(pts, 1)], near_one
    if name == 'lshape':
        t = rng.uniform(0.3, 0.5)
        pts = [(-0.8, -1), (-0.8 + t, -1), (-0.8 + t, 1 - t), (0.8, 1 - t), (0.8, 1), (-0.8, 1)]
        return [(np.array(pts), 1)], near_one
    if name == 'bar':
        return [(np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * 0.9, 1)], (0.12, 0.3)
    if name == 'trapezoid':
        top = rng.uniform(0.25, 0.6)
        return [(np.array([[-1, 0.6], [1, 0.6], [top, -0.6], [-top, -0.6]]), 1)], near_one
    if name == 'blob':
        t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        r = 1 + rng.uniform(0.15, 0.3) * np.cos(2 * t + rng.uniform(0, 2 * np.pi)) \
            + rng.uniform(0.15, 0.3) * np.cos(3 * t + rng.uniform(0, 2 * np.pi))
        r /= r.max()
        return [(np.stack([r * np.cos(t), r * np.sin(t)], axis=1), 1)], near_one
    raise ValueError(f'Unknown toy shape {name!r}; expected one of '
                     f'{CIFAR_TOY_CLASSES + DISTRACTOR_SHAPES}.')


def _render_alpha(parts, center, radius, angle, aspect, pad=2) -> Tuple[np.ndarray, int, int]:
    """Rasterise ``parts`` (anti-aliased, 1/16 px precision) into a patch; returns alpha, x0, y0."""
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    moved = [((pts * [aspect, 1.0]) @ rot.T * radius + center, fill) for pts, fill in parts]
    allpts = np.concatenate([p for p, _ in moved])
    x0, y0 = np.floor(allpts.min(0)).astype(int) - pad
    x1, y1 = np.ceil(allpts.max(0)).astype(int) + pad
    alpha = np.zeros((y1 - y0 + 1, x1 - x0 + 1), dtype=np.uint8)
    for pts, fill in moved:
        fixed = np.round((pts - [x0, y0]) * 16).astype(np.int32)
        cv2.fillPoly(alpha, [fixed], 255 if fill else 0, lineType=cv2.LINE_AA, shift=4)
    return alpha, int(x0), int(y0)


def _clip(alpha: np.ndarray, x0: int, y0: int, height: int, width: int):
    """Crop a patch placed at (x0, y0) to the image; None when it lies fully outside."""
    cx0, cy0 = max(x0, 0), max(y0, 0)
    cx1, cy1 = min(x0 + alpha.shape[1], width), min(y0 + alpha.shape[0], height)
    if cx1 <= cx0 or cy1 <= cy0:
        return None
    return alpha[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0], cx0, cy0


# ----------------------------------------------------------------------------------------------
# Appearance: colours and textures, drawn identically for every class and for the background.
# ----------------------------------------------------------------------------------------------
def _texture(rng: np.random.Generator, height: int, width: int, scale: float) -> np.ndarray:
    """A random RGB texture: flat, stripes, gradient, smooth noise or checkerboard, plus grain.

    ``scale`` is the size (px) of the thing being textured; stripe periods follow it.
    """
    kind = int(rng.integers(5))
    c1, c2 = rng.uniform(0, 255, 3).astype(np.float32), rng.uniform(0, 255, 3).astype(np.float32)
    if kind == 0:
        tex = np.empty((height, width, 3), np.float32)
        tex[:] = c1
    else:
        if kind == 3:
            grid = rng.random((int(rng.integers(2, 6)), int(rng.integers(2, 6))), dtype=np.float32)
            f = np.clip(cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC), 0, 1)
        else:
            theta = rng.uniform(0, np.pi)
            cos, sin = np.float32(np.cos(theta)), np.float32(np.sin(theta))
            xs = np.arange(width, dtype=np.float32)
            ys = np.arange(height, dtype=np.float32)[:, None]
            u = xs * cos + ys * sin
            if kind == 2:
                f = (u - u.min()) / max(float(u.max() - u.min()), 1.0)
            else:
                period = np.float32(max(3.0, scale * rng.uniform(0.08, 0.3)))
                if kind == 1:
                    f = ((u / period) % 1.0 < rng.uniform(0.3, 0.7)).astype(np.float32)
                else:
                    v = ys * cos - xs * sin
                    f = ((np.floor(u / period) + np.floor(v / period)) % 2).astype(np.float32)
        tex = c1 + f[..., None] * (c2 - c1)
    tex += _grain(rng, (height, width, 3), rng.uniform(0, 12))
    return tex


def _grain(rng: np.random.Generator, shape, sigma: float) -> np.ndarray:
    """Zero-mean uniform noise with standard deviation ``sigma`` (cheaper than Gaussian)."""
    noise = rng.random(shape, dtype=np.float32)
    noise -= 0.5
    noise *= sigma * np.sqrt(12.0)
    return noise


def _blend(canvas: np.ndarray, alpha: np.ndarray, x0: int, y0: int, tex: np.ndarray) -> None:
    a = alpha.astype(np.float32)[..., None] * (1 / 255)
    region = canvas[y0:y0 + alpha.shape[0], x0:x0 + alpha.shape[1]]
    region += a * (tex - region)


def _paint(rng, canvas, alpha, x0, y0, scale, min_contrast=60.0) -> None:
    """Texture a shape, redrawing (up to 4 times) until its mean colour differs from what is under it."""
    mask = alpha >= 128
    region = canvas[y0:y0 + alpha.shape[0], x0:x0 + alpha.shape[1]]
    under = region[mask].mean(0) if mask.any() else np.full(3, 128, np.float32)
    best, best_d = None, -1.0
    for _ in range(4):
        tex = _texture(rng, alpha.shape[0], alpha.shape[1], scale)
        d = float(np.linalg.norm(tex[mask].mean(0) - under)) if mask.any() else min_contrast
        if d > best_d:
            best, best_d = tex, d
        if d >= min_contrast:
            break
    _blend(canvas, alpha, x0, y0, best)


def _lines(rng, canvas, count, max_thickness) -> np.ndarray:
    """Draw ``count`` random straight lines; returns their (anti-aliased) alpha over the image."""
    h, w = canvas.shape[:2]
    alpha = np.zeros((h, w), np.uint8)
    if count == 0:
        return alpha
    colour = np.zeros((h, w, 3), np.uint8)
    for _ in range(count):
        p1 = (int(rng.integers(-w // 4, w + w // 4)), int(rng.integers(-h // 4, h + h // 4)))
        p2 = (int(rng.integers(-w // 4, w + w // 4)), int(rng.integers(-h // 4, h + h // 4)))
        t = int(rng.integers(1, max_thickness + 1))
        cv2.line(colour, p1, p2, [int(v) for v in rng.integers(0, 256, 3)], t + 2, cv2.LINE_8)
        cv2.line(alpha, p1, p2, 255, t, cv2.LINE_AA)
    _blend(canvas, alpha, 0, 0, colour.astype(np.float32))
    return alpha


def _background(rng: np.random.Generator, height: int, width: int,
                profile: SceneProfile = HARD_PROFILE) -> np.ndarray:
    """Cluttered RGB float background: two mixed textures, uneven light, soft blobs, lines.

    Its contrast is then scaled by ``uniform(*profile.background_contrast)`` about its mean colour, so that shapes
    (drawn at full contrast) tend to stand out, as objects do in photos.
    """
    side = min(height, width)
    canvas = _texture(rng, height, width, side)
    canvas += rng.uniform(0.2, 0.6) * (_texture(rng, height, width, side * 0.5) - canvas)
    light = rng.random((int(rng.integers(2, 5)), int(rng.integers(2, 5))), dtype=np.float32)
    light = cv2.resize(light, (width, height), interpolation=cv2.INTER_CUBIC)
    canvas += (light - 0.5)[..., None] * rng.uniform(20, 80)
    for _ in range(_count(rng, profile.background_blobs)):
        parts, _ = shape_parts('blob', rng)
        radius = side * rng.uniform(0.1, 0.3)
        center = rng.uniform(0, 1, 2) * [width, height]
        alpha, x0, y0 = _render_alpha(parts, center, radius, rng.uniform(0, 2 * np.pi), 1.0,
                                      pad=int(radius * 0.75) + 2)
        k = 2 * int(radius * 0.3) + 1
        alpha = cv2.blur(cv2.blur(alpha, (k, k)), (k, k))
        alpha = (alpha * rng.uniform(0.3, 0.7)).astype(np.uint8)
        clipped = _clip(alpha, x0, y0, height, width)
        if clipped is not None:
            a, cx, cy = clipped
            _blend(canvas, a, cx, cy, _texture(rng, a.shape[0], a.shape[1], radius * 2))
    _lines(rng, canvas, _count(rng, profile.background_lines), max(1, round(side / 100)))
    mean = canvas.mean(axis=(0, 1))
    canvas -= mean
    canvas *= rng.uniform(*profile.background_contrast)
    canvas += mean
    return canvas


def _finish(rng: np.random.Generator, canvas: np.ndarray, max_blur: float = 1.0) -> np.ndarray:
    """Camera-like post-processing (blur, contrast, noise) and conversion to uint8."""
    if rng.random() < 0.5:
        canvas = cv2.GaussianBlur(canvas, (0, 0), rng.uniform(0.3, max_blur))
    canvas = (canvas - 128) * rng.uniform(0.8, 1.2) + 128 + rng.uniform(-20, 20)
    canvas += _grain(rng, canvas.shape, rng.uniform(0, 8))
    return np.clip(canvas + 0.5, 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------------------------
# Scenes
# ----------------------------------------------------------------------------------------------
def _place_distractors(rng, canvas, owner, count, size_range, full_areas, visible, keep=0.5):
    """Draw non-class shapes; over objects only while each keeps ``keep`` of its area visible."""
    h, w = canvas.shape[:2]
    side = min(h, w)
    for _ in range(count):
        name = DISTRACTOR_SHAPES[int(rng.integers(len(DISTRACTOR_SHAPES)))]
        parts, aspect_range = shape_parts(name, rng)
        size = side * rng.uniform(*size_range)
        alpha, x0, y0 = _render_alpha(parts, rng.uniform(0, 1, 2) * [w, h], size / 2,
                                      rng.uniform(0, 2 * np.pi), rng.uniform(*aspect_range))
        clipped = _clip(alpha, x0, y0, h, w)
        if clipped is None:
            continue
        a, cx, cy = clipped
        mask = a >= 128
        region = owner[cy:cy + a.shape[0], cx:cx + a.shape[1]]
        hit = np.bincount(region[mask & (region >= 0)], minlength=len(visible))
        if np.any(visible - hit < keep * full_areas):
            continue
        _paint(rng, canvas, a, cx, cy, size)
        region[mask] = -1
        visible -= hit


def _place_object(rng, canvas, owner, name, size, full_areas, visible, min_inside, keep,
                  center_range=(0.0, 1.0), min_contrast=60.0, tries=30):
    """Place one class shape by rejection sampling.

    Returns ``(full_area, area_inside_image)`` or None when no try kept every object ``keep`` visible
    with at least ``min_inside`` of the new one inside the frame.
    """
    h, w = canvas.shape[:2]
    index = len(visible)
    for _ in range(tries):
        parts, aspect_range = shape_parts(name, rng)
        center = rng.uniform(*center_range, 2) * [w, h]
        alpha, x0, y0 = _render_alpha(parts, center, size / 2,
                                      rng.uniform(0, 2 * np.pi), rng.uniform(*aspect_range))
        full = int((alpha >= 128).sum())
        clipped = _clip(alpha, x0, y0, h, w)
        if clipped is None or full < 12:
            continue
        a, cx, cy = clipped
        mask = a >= 128
        if mask.sum() < min_inside * full:
            continue
        region = owner[cy:cy + a.shape[0], cx:cx + a.shape[1]]
        hit = np.bincount(region[mask & (region >= 0)], minlength=index)
        if index and np.any(visible - hit < keep * full_areas):
            continue
        _paint(rng, canvas, a, cx, cy, size, min_contrast)
        region[mask] = index
        visible -= hit
        return full, int(mask.sum())
    return None


def render_scene(rng: np.random.Generator, height: int, width: int, profile='hard',
                 with_masks: bool = False):
    """One detection/segmentation scene with objects of :data:`TOY_CLASSES` (2-6 for ``'hard'``).

    Args:
        rng (np.random.Generator): The image's random generator.
        height (int): Image height in pixels.
        width (int): Image width in pixels.
        profile (str | SceneProfile): How hard the scene is. Defaults to ``'hard'``.
        with_masks (bool): Add each instance's ``mask``. It draws nothing from ``rng``: the image,
            label map and boxes are the same either way. Defaults to False.

    Returns:
        tuple: ``(img, label_map, instances)``: ``img`` (H, W, 3) uint8 **BGR**; ``label_map``
        (H, W) uint8 with 0 background and ``1 + class index`` on each object's visible pixels;
        ``instances`` a list of dicts with ``label`` (index into TOY_CLASSES), ``bbox`` (x0, y0, x1,
        y1) 0-based inclusive bounds of the visible pixels, ``truncated`` (bool, cut by the frame)
        and, with ``with_masks``, ``mask``: (H, W) bool, the object's visible pixels (its pixels of
        ``label_map``).
    """
    profile = get_profile(profile)
    side = min(height, width)
    canvas = _background(rng, height, width, profile)
    owner = np.full((height, width), -1, np.int32)
    no_objects = np.zeros(0, np.int64)
    _place_distractors(rng, canvas, owner, _count(rng, profile.distractors), (1 / 14, 1 / 4),
                       no_objects, no_objects.copy())
    n = _count(rng, profile.objects)
    labels = rng.integers(0, len(TOY_CLASSES), n)
    while n > 1 and np.all(labels == labels[0]):
        labels = rng.integers(0, len(TOY_CLASSES), n)
    low, high = profile.object_size
    sizes = np.sort(np.exp(rng.uniform(np.log(side * low), np.log(side * high), n)))[::-1]
    placed, truncated = [], []
    full_areas, visible = np.zeros(0, np.int64), np.zeros(0, np.int64)
    for label, size in zip(labels, sizes):
        res = _place_object(rng, canvas, owner, TOY_CLASSES[label], size, full_areas, visible,
                            min_inside=0.65, keep=0.5)
        if res is not None:
            placed.append(int(label))
            truncated.append(res[1] < res[0])
            full_areas = np.append(full_areas, res[0])
            visible = np.append(visible, res[1])
    _place_distractors(rng, canvas, owner, _count(rng, profile.distractors_over), (1 / 14, 1 / 5),
                       full_areas, visible)
    occluders = _lines(rng, canvas, _count(rng, profile.occluders), max(1, round(side / 150)))
    owner[occluders >= 128] = -1
    img = _finish(rng, canvas)

    label_map = np.zeros((height, width), np.uint8)
    instances = []
    for k, label in enumerate(placed):
        ys, xs = np.nonzero(owner == k)
        if ys.size < 10:
            continue
        label_map[ys, xs] = label + 1
        instances.append(
            dict(
                label=label,
                bbox=(int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())),
                truncated=truncated[k]))
        if with_masks:
            instances[-1]['mask'] = owner == k
    return img, label_map, instances


def add_boundary_band(label_map: np.ndarray, width: int = 5) -> np.ndarray:
    """Mark pixels near a change of label with 255 ("void"), like the outlines of real VOC masks.

    A pixel is void when its ``width x width`` neighbourhood holds more than one label, i.e. when
    grey dilation and erosion with that window disagree; the band is ``width - 1`` pixels wide.

    Args:
        label_map (np.ndarray): (H, W) uint8 labels.
        width (int): Odd window size. Defaults to 5.

    Returns:
        np.ndarray: A copy of ``label_map`` with the band set to 255.
    """
    if width < 3 or width % 2 == 0:
        raise ValueError(f'width must be an odd integer >= 3, got {width}.')
    kernel = np.ones((width, width), np.uint8)
    high = cv2.dilate(label_map, kernel, borderType=cv2.BORDER_REPLICATE)
    low = cv2.erode(label_map, kernel, borderType=cv2.BORDER_REPLICATE)
    out = label_map.copy()
    out[high != low] = IGNORE_INDEX
    return out


def render_cifar_image(rng: np.random.Generator, label: int, size: int = 32,
                       profile='hard') -> np.ndarray:
    """One classification image: a main :data:`CIFAR_TOY_CLASSES` shape among clutter.

    Drawn at twice the size and area-downsampled, so edges are anti-aliased as in a real photo.

    Args:
        rng (np.random.Generator): The image's random generator.
        label (int): Index into :data:`CIFAR_TOY_CLASSES`.
        size (int): Output side in pixels. Defaults to 32.
        profile (str | SceneProfile): Background clutter and distractors. Defaults to ``'hard'``.

    Returns:
        np.ndarray: (size, size, 3) uint8 **BGR** image.
    """
    profile = get_profile(profile)
    under, over, lines = profile.cifar_distractors
    side = size * _SUPERSAMPLE
    canvas = _background(rng, side, side, profile)
    owner = np.full((side, side), -1, np.int32)
    none = np.zeros(0, np.int64)
    _place_distractors(rng, canvas, owner, _count(rng, under), (0.12, 0.35), none, none.copy())
    diameter = side * rng.uniform(0.55, 0.92)
    res = None
    while res is None:
        res = _place_object(rng, canvas, owner, CIFAR_TOY_CLASSES[label], diameter, none, none.copy(),
                            min_inside=0.8, keep=0.0, center_range=(0.35, 0.65), min_contrast=80.0)
        diameter *= 0.85
    full, inside = np.array([res[0]]), np.array([res[1]])
    _place_distractors(rng, canvas, owner, _count(rng, over), (0.1, 0.25), full, inside, 0.75)
    _lines(rng, canvas, _count(rng, lines), 1)
    canvas = cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA)
    return _finish(rng, canvas, max_blur=0.6)


# ----------------------------------------------------------------------------------------------
# File formats
# ----------------------------------------------------------------------------------------------
def voc_annotation_xml(folder: str, filename: str, width: int, height: int,
                       instances: Sequence[dict], segmented: bool = False) -> str:
    """An annotation file laid out like PASCAL VOC's (tab-indented, 1-based inclusive boxes).

    Args:
        folder (str): ``VOC2007`` or ``VOC2012``.
        filename (str): The JPEG's file name.
        width (int): Image width.
        height (int): Image height.
        instances (Sequence[dict]): ``label`` (index into TOY_CLASSES), ``bbox`` (0-based inclusive
            x0, y0, x1, y1) and ``truncated``, as returned by :func:`render_scene`.
        segmented (bool): Whether the image has a segmentation mask. Defaults to False.

    Returns:
        str: The XML text.
    """
    lines = [
        '<annotation>', f'\t<folder>{folder}</folder>', f'\t<filename>{filename}</filename>',
        '\t<source>', '\t\t<database>The mmkd toy VOC Database</database>',
        '\t\t<annotation>mmkd toy generator</annotation>', '\t\t<image>synthetic</image>',
        '\t</source>', '\t<size>', f'\t\t<width>{width}</width>', f'\t\t<height>{height}</height>',
        '\t\t<depth>3</depth>', '\t</size>', f'\t<segmented>{int(segmented)}</segmented>'
    ]
    for inst in instances:
        x0, y0, x1, y1 = inst['bbox']
        lines += [
            '\t<object>', f'\t\t<name>{TOY_CLASSES[inst["label"]]}</name>',
            '\t\t<pose>Unspecified</pose>', f'\t\t<truncated>{int(inst["truncated"])}</truncated>',
            '\t\t<difficult>0</difficult>', '\t\t<bndbox>', f'\t\t\t<xmin>{x0 + 1}</xmin>',
            f'\t\t\t<ymin>{y0 + 1}</ymin>', f'\t\t\t<xmax>{x1 + 1}</xmax>',
            f'\t\t\t<ymax>{y1 + 1}</ymax>', '\t\t</bndbox>', '\t</object>'
        ]
    lines.append('</annotation>')
    return '\n'.join(lines) + '\n'


class _Py2StrPickler(pickle._Pickler):
    """Writes ``bytes`` as Python 2 ``str`` opcodes (``SHORT_BINSTRING``/``BINSTRING``).

    That is how the real CIFAR files were written, so the output loads the same way they do:
    ``encoding='bytes'`` gives ``b'data'`` keys, ``encoding='latin1'`` gives ``'data'`` keys.
    """
    dispatch = dict(pickle._Pickler.dispatch)

    def save_py2_str(self, obj: bytes) -> None:
        n = len(obj)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack('<i', n) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str


def write_cifar_pickle(path: str, obj: dict) -> None:
    """Write ``obj`` as a protocol-2 pickle with Python 2 strings, like the CIFAR-100 files."""
    with open(path, 'wb') as f:
        _Py2StrPickler(f, protocol=2).dump(obj)


def _write_jpeg(path: str, img: np.ndarray) -> None:
    ok, buf = cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY])
    if not ok:
        raise RuntimeError(f'OpenCV could not encode {path}.')
    with open(path, 'wb') as f:
        f.write(buf.tobytes())


_PALETTE_BYTES = voc_colormap(256).tobytes()


def write_voc_label_png(path: str, label_map: np.ndarray) -> None:
    """Save a label map as a palette ('P') PNG with the VOC colour map, like SegmentationClass."""
    img = Image.frombytes('P', (label_map.shape[1], label_map.shape[0]), label_map.tobytes())
    img.putpalette(_PALETTE_BYTES)
    img.save(path, format='PNG')


def _write_lines(path: str, items: Sequence[str]) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(''.join(f'{item}\n' for item in items))


def coco_categories() -> List[dict]:
    """The ``categories`` of the toy COCO files: ids 1-6 in :data:`TOY_CLASSES` order, each under the
    CIFAR coarse class of its shape (round, polygon, spiky) as ``supercategory``."""
    return [
        dict(supercategory=CIFAR_TOY_COARSE_CLASSES[CIFAR_TOY_COARSE_OF[name]], id=i + 1, name=name)
        for i, name in enumerate(TOY_CLASSES)
    ]


def coco_annotation(instance: dict, image_id: int, ann_id: int) -> dict:
    """One COCO ``annotations`` entry for an instance of :func:`render_scene` (``with_masks=True``).

    ``bbox`` is ``[x, y, w, h]`` of the visible pixels (``x + w`` is one past the last column, as in
    COCO), ``area`` the number of visible pixels, and ``segmentation`` the visible mask as compressed
    RLE (``{'size': [h, w], 'counts': str}``, pycocotools' encoding): exact, holes (the ring) and
    pieces cut apart by occluders included, which COCO polygons cannot hold.
    """
    from pycocotools import mask as mask_utils

    mask = instance['mask']
    rle = mask_utils.encode(np.asfortranarray(mask, dtype=np.uint8))
    x0, y0, x1, y1 = instance['bbox']
    return dict(
        segmentation=dict(size=[int(v) for v in rle['size']], counts=rle['counts'].decode('ascii')),
        area=float(mask.sum()),
        iscrowd=0,
        image_id=image_id,
        bbox=[float(x0), float(y0), float(x1 - x0 + 1), float(y1 - y0 + 1)],
        category_id=instance['label'] + 1,
        id=ann_id)


def _write_png(path: str, img: np.ndarray) -> None:
    """A BGR image as an RGB PNG (or a (H, W) uint8 array as a grey one), like Cityscapes' files."""
    ok, buf = cv2.imencode('.png', img, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise RuntimeError(f'OpenCV could not encode {path}.')
    with open(path, 'wb') as f:
        f.write(buf.tobytes())


# ----------------------------------------------------------------------------------------------
# Whole data sets
# ----------------------------------------------------------------------------------------------
def _image_rng(seed: int, stream: str, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, _STREAMS[stream], index])


def _write_voc_images(year_dir: str, folder: str, ids: Sequence[str], seed: int, stream: str,
                      seg_ids: Sequence[str] = (), profile: SceneProfile = HARD_PROFILE) -> None:
    seg_ids = set(seg_ids)
    for sub in ('JPEGImages', 'Annotations') + (('SegmentationClass', ) if seg_ids else ()):
        os.makedirs(osp.join(year_dir, sub), exist_ok=True)
    for index, img_id in enumerate(ids):
        rng = _image_rng(seed, stream, index)
        low, high = profile.image_side
        height, width = (int(v) for v in rng.integers(low, high + 1, 2))
        img, label_map, instances = render_scene(rng, height, width, profile)
        _write_jpeg(osp.join(year_dir, 'JPEGImages', f'{img_id}.jpg'), img)
        xml = voc_annotation_xml(folder, f'{img_id}.jpg', width, height, instances, img_id in seg_ids)
        with open(osp.join(year_dir, 'Annotations', f'{img_id}.xml'), 'w') as f:
            f.write(xml)
        if img_id in seg_ids:
            write_voc_label_png(
                osp.join(year_dir, 'SegmentationClass', f'{img_id}.png'), add_boundary_band(label_map, profile.boundary_band))


def _write_cifar_split(path: str, seed: int, stream: str, count: int, train: bool,
                       profile: SceneProfile = HARD_PROFILE) -> None:
    num, side = len(CIFAR_TOY_CLASSES), profile.cifar_side
    labels = np.random.default_rng([seed, _STREAMS[stream]]).permutation(np.arange(count) % num)
    data = np.empty((count, 3 * side * side), np.uint8)
    for index, label in enumerate(labels):
        bgr = render_cifar_image(_image_rng(seed, stream, index), int(label), side, profile)
        data[index] = bgr[..., ::-1].transpose(2, 0, 1).reshape(-1)
    names = [CIFAR_TOY_CLASSES[label] for label in labels]
    write_cifar_pickle(
        path, {
            b'filenames': [f'{name}_s_{i:06d}.png'.encode() for i, name in enumerate(names)],
            b'batch_label': b'training batch 1 of 1' if train else b'testing batch 1 of 1',
            b'fine_labels': [int(label) for label in labels],
            b'coarse_labels': [CIFAR_TOY_COARSE_OF[name] for name in names],
            b'data': data,
        })


def _write_coco_split(coco_dir: str, split: str, seed: int, count: int,
                      profile: SceneProfile = HARD_PROFILE) -> None:
    """``<split>/<id:012d>.jpg`` and ``annotations/instances_<split>.json`` for ``count`` scenes."""
    img_dir, ann_dir = osp.join(coco_dir, split), osp.join(coco_dir, 'annotations')
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(ann_dir, exist_ok=True)
    images, annotations = [], []
    for index in range(count):
        rng = _image_rng(seed, f'coco_{split}', index)
        low, high = profile.image_side
        height, width = (int(v) for v in rng.integers(low, high + 1, 2))
        img, _, instances = render_scene(rng, height, width, profile, with_masks=True)
        image_id = COCO_FIRST_ID[split] + index
        file_name = f'{image_id:012d}.jpg'
        _write_jpeg(osp.join(img_dir, file_name), img)
        images.append(dict(license=1, file_name=file_name, height=height, width=width, id=image_id))
        for inst in instances:
            annotations.append(coco_annotation(inst, image_id, COCO_FIRST_ID[split] + len(annotations)))
    content = dict(
        info=dict(description=f'mmkd toy shapes ({profile.name} profile), COCO format', version='1.0',
                  year=2017, contributor='mmkd toy generator', date_created=''),
        licenses=[dict(id=1, name='Synthetic images, no restrictions', url='')],
        images=images,
        annotations=annotations,
        categories=coco_categories())
    with open(osp.join(ann_dir, f'instances_{split}.json'), 'w') as f:
        json.dump(content, f)


def cityscapes_name(split: str, index: int) -> Tuple[str, str]:
    """``(city, stem)`` of image ``index`` of a toy Cityscapes split: cities in turn, one sequence per
    image, its 20th frame (``_000019``) annotated as in the real data."""
    cities = CITYSCAPES_TOY_CITIES[split]
    city = cities[index % len(cities)]
    return city, f'{city}_{index:06d}_000019'


def _write_cityscapes_split(root: str, split: str, seed: int, count: int,
                            profile: SceneProfile = HARD_PROFILE) -> None:
    """``leftImg8bit/<split>/<city>/*_leftImg8bit.png`` and ``gtFine/.../*_gtFine_labelTrainIds.png``."""
    width, height = profile.cityscapes_size
    for index in range(count):
        rng = _image_rng(seed, f'cityscapes_{split}', index)
        img, label_map, _ = render_scene(rng, height, width, profile)
        city, stem = cityscapes_name(split, index)
        img_dir = osp.join(root, 'leftImg8bit', split, city)
        gt_dir = osp.join(root, 'gtFine', split, city)
        os.makedirs(img_dir, exist_ok=True)
        os.makedirs(gt_dir, exist_ok=True)
        _write_png(osp.join(img_dir, f'{stem}_leftImg8bit.png'), img)
        _write_png(osp.join(gt_dir, f'{stem}_gtFine_labelTrainIds.png'),
                   add_boundary_band(label_map, profile.boundary_band))


def _check_count(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f'{name} must be a non-negative integer, got {value!r}.')
    return int(value)


def generate_toy_data(out_dir: str,
                      seed: int = 0,
                      voc07_trainval: int = 160,
                      voc07_test: int = 80,
                      voc12_trainval: int = 160,
                      seg_train: int = 160,
                      seg_val: int = 60,
                      cifar_train: int = 3000,
                      cifar_test: int = 1000,
                      overwrite: bool = False,
                      profile='hard',
                      formats: Sequence[str] = DEFAULT_FORMATS,
                      coco_train: int = 160,
                      coco_val: int = 80,
                      cityscapes_train: int = 160,
                      cityscapes_val: int = 60) -> Dict:
    """Write the toy data sets: VOC2007/VOC2012 detection + segmentation and the CIFAR-format set by
    default; COCO detection (with instance masks) and Cityscapes segmentation on request.

    VOC2012 holds ``max(voc12_trainval, seg_train + seg_val)`` images: ``Main/trainval.txt`` lists
    the first ``voc12_trainval``, ``Segmentation/train.txt`` the first ``seg_train`` and
    ``Segmentation/val.txt`` the next ``seg_val`` (the masks match the boxes of the same image).
    Every split of every format has its own random stream, so the formats do not share images and
    asking for one format leaves the files of the others unchanged.

    Args:
        out_dir (str): Output folder; each format writes one folder in it (:data:`FORMAT_FOLDERS`:
            ``VOCdevkit``, ``cifar-toy``, ``coco``, ``cityscapes``).
        seed (int): Non-negative seed; the same seed gives byte-identical files. Defaults to 0.
        voc07_trainval, voc07_test, voc12_trainval (int): Detection split sizes.
        seg_train, seg_val (int): Segmentation split sizes (VOC2012).
        cifar_train, cifar_test (int): Classification split sizes.
        overwrite (bool): Delete the existing folders of the formats to write first. Defaults to
            False, which refuses to write over them.
        profile (str | SceneProfile): ``'hard'`` (default) or ``'easy'``: see :class:`SceneProfile`.
            Classification images are ``profile.cifar_side`` pixels square, Cityscapes images
            ``profile.cityscapes_size``.
        formats (Sequence[str]): Any of :data:`FORMATS` (``'voc'``, ``'cifar'``, ``'coco'``,
            ``'cityscapes'``). Defaults to ``('voc', 'cifar')``.
        coco_train, coco_val (int): COCO ``train2017`` / ``val2017`` sizes.
        cityscapes_train, cityscapes_val (int): Cityscapes ``train`` / ``val`` sizes.

    Returns:
        dict: :func:`summarize_toy_data` of what was written.
    """
    seed = _check_count('seed', seed)
    profile = get_profile(profile)
    formats = _check_formats(formats)
    counts = dict(voc07_trainval=voc07_trainval, voc07_test=voc07_test,
                  voc12_trainval=voc12_trainval, seg_train=seg_train, seg_val=seg_val,
                  cifar_train=cifar_train, cifar_test=cifar_test, coco_train=coco_train,
                  coco_val=coco_val, cityscapes_train=cityscapes_train, cityscapes_val=cityscapes_val)
    counts = {k: _check_count(k, v) for k, v in counts.items()}
    targets = [osp.join(out_dir, FORMAT_FOLDERS[fmt]) for fmt in formats]
    existing = [t for t in targets if osp.isdir(t) and os.listdir(t)]
    if existing and not overwrite:
        raise FileExistsError(f'{" and ".join(existing)} already exist(s); pass --overwrite '
                              '(overwrite=True) to replace, or choose another --out.')
    for target in existing:
        shutil.rmtree(target)

    if 'voc' in formats:
        _write_voc(osp.join(out_dir, 'VOCdevkit'), seed, counts, profile)
    if 'cifar' in formats:
        cifar = osp.join(out_dir, 'cifar-toy')
        os.makedirs(cifar, exist_ok=True)
        _write_cifar_split(osp.join(cifar, 'train'), seed, 'cifar_train', counts['cifar_train'], True,
                           profile)
        _write_cifar_split(osp.join(cifar, 'test'), seed, 'cifar_test', counts['cifar_test'], False,
                           profile)
        write_cifar_pickle(
            osp.join(cifar, 'meta'), {
                b'fine_label_names': [name.encode() for name in CIFAR_TOY_CLASSES],
                b'coarse_label_names': [name.encode() for name in CIFAR_TOY_COARSE_CLASSES],
            })
    if 'coco' in formats:
        for split, num in (('train2017', counts['coco_train']), ('val2017', counts['coco_val'])):
            _write_coco_split(osp.join(out_dir, 'coco'), split, seed, num, profile)
    if 'cityscapes' in formats:
        for split, num in (('train', counts['cityscapes_train']), ('val', counts['cityscapes_val'])):
            _write_cityscapes_split(osp.join(out_dir, 'cityscapes'), split, seed, num, profile)
    return summarize_toy_data(out_dir, formats)


def _write_voc(devkit: str, seed: int, counts: Dict[str, int], profile: SceneProfile) -> None:
    voc07 = osp.join(devkit, 'VOC2007')
    ids07_tv = [f'{i + 1:06d}' for i in range(counts['voc07_trainval'])]
    ids07_test = [f'{i + 1 + len(ids07_tv):06d}' for i in range(counts['voc07_test'])]
    _write_voc_images(voc07, 'VOC2007', ids07_tv, seed, 'voc2007_trainval', profile=profile)
    _write_voc_images(voc07, 'VOC2007', ids07_test, seed, 'voc2007_test', profile=profile)
    _write_lines(osp.join(voc07, 'ImageSets', 'Main', 'trainval.txt'), ids07_tv)
    _write_lines(osp.join(voc07, 'ImageSets', 'Main', 'test.txt'), ids07_test)

    voc12 = osp.join(devkit, 'VOC2012')
    num12 = max(counts['voc12_trainval'], counts['seg_train'] + counts['seg_val'])
    ids12 = [f'2012_{i + 1:06d}' for i in range(num12)]
    seg_tr = ids12[:counts['seg_train']]
    seg_va = ids12[counts['seg_train']:counts['seg_train'] + counts['seg_val']]
    _write_voc_images(voc12, 'VOC2012', ids12, seed, 'voc2012', seg_tr + seg_va, profile)
    _write_lines(osp.join(voc12, 'ImageSets', 'Main', 'trainval.txt'), ids12[:counts['voc12_trainval']])
    _write_lines(osp.join(voc12, 'ImageSets', 'Segmentation', 'train.txt'), seg_tr)
    _write_lines(osp.join(voc12, 'ImageSets', 'Segmentation', 'val.txt'), seg_va)


def _check_formats(formats) -> Tuple[str, ...]:
    """``formats`` (a sequence or a comma-separated string) as a tuple in :data:`FORMATS` order."""
    if isinstance(formats, str):
        formats = [f.strip() for f in formats.split(',') if f.strip()]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise ValueError(f'formats must be a non-empty subset of {list(FORMATS)}, got {list(formats)}.')
    return tuple(fmt for fmt in FORMATS if fmt in formats)


# ----------------------------------------------------------------------------------------------
# Reading back: validation and per-split counts
# ----------------------------------------------------------------------------------------------
def _missing(path: str, fmt: str = 'voc') -> FileNotFoundError:
    command = GENERATOR_COMMAND + ('' if fmt in DEFAULT_FORMATS else f' --formats {fmt}')
    return FileNotFoundError(f'{path} not found; generate the toy data with `{command}` (or point '
                             f'--out at the folder that holds {FORMAT_FOLDERS[fmt]}/).')


def _read_ids(path: str) -> List[str]:
    if not osp.isfile(path):
        raise _missing(path)
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def _image_size(path: str, fmt: str = 'voc') -> Tuple[int, int]:
    if not osp.isfile(path):
        raise _missing(path, fmt)
    with Image.open(path) as img:
        return img.size


def _summarize_detection(year_dir: str, list_name: str) -> Dict:
    ids = _read_ids(osp.join(year_dir, 'ImageSets', 'Main', list_name))
    per_class = dict.fromkeys(TOY_CLASSES, 0)
    for img_id in ids:
        xml_path = osp.join(year_dir, 'Annotations', f'{img_id}.xml')
        if not osp.isfile(xml_path):
            raise _missing(xml_path)
        root = ET.parse(xml_path).getroot()
        width, height = int(root.find('size/width').text), int(root.find('size/height').text)
        if _image_size(osp.join(year_dir, 'JPEGImages', f'{img_id}.jpg')) != (width, height):
            raise ValueError(f'{xml_path}: <size> differs from the size of its JPEG.')
        for obj in root.findall('object'):
            name = obj.find('name').text
            box = [int(obj.find(f'bndbox/{k}').text) for k in ('xmin', 'ymin', 'xmax', 'ymax')]
            if name not in per_class:
                raise ValueError(f'{xml_path}: unknown class {name!r}; expected one of {TOY_CLASSES}.')
            if not (1 <= box[0] <= box[2] <= width and 1 <= box[1] <= box[3] <= height):
                raise ValueError(f'{xml_path}: box {box} is not inside the {width}x{height} image.')
            per_class[name] += 1
    return dict(images=len(ids), instances=sum(per_class.values()), per_class=per_class)


def _summarize_segmentation(year_dir: str, list_name: str) -> Dict:
    ids = _read_ids(osp.join(year_dir, 'ImageSets', 'Segmentation', list_name))
    per_class = dict.fromkeys(TOY_CLASSES, 0)
    allowed = set(range(len(TOY_SEG_CLASSES))) | {IGNORE_INDEX}
    for img_id in ids:
        png = osp.join(year_dir, 'SegmentationClass', f'{img_id}.png')
        size = _image_size(osp.join(year_dir, 'JPEGImages', f'{img_id}.jpg'))
        if not osp.isfile(png):
            raise _missing(png)
        with Image.open(png) as img:
            if img.mode != 'P' or img.size != size:
                raise ValueError(f'{png}: expected a palette (P) PNG of size {size}, '
                                 f'got mode {img.mode} size {img.size}.')
            values = set(np.unique(np.asarray(img)).tolist())
        if not values <= allowed:
            raise ValueError(f'{png}: labels {sorted(values - allowed)} outside 0..6 and 255.')
        for value in values - {0, IGNORE_INDEX}:
            per_class[TOY_CLASSES[value - 1]] += 1
    return dict(images=len(ids), per_class=per_class)


def _load_pickle(path: str) -> dict:
    from mmkd.utils.safe_pickle import load_array_pickle

    if not osp.isfile(path):
        raise _missing(path, 'cifar')
    obj = load_array_pickle(path, encoding='bytes')
    if not isinstance(obj, dict):
        raise ValueError(f'{path} does not hold a CIFAR dict (got {type(obj).__name__}).')
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in obj.items()}


def _summarize_cifar(cifar_dir: str, split: str, names: Sequence[str]) -> Dict:
    path = osp.join(cifar_dir, split)
    obj = _load_pickle(path)
    data, labels = np.asarray(obj['data']), list(obj['fine_labels'])
    side = int(round((data.shape[-1] / 3)**0.5)) if data.ndim == 2 else 0
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape != (len(labels), 3 * side * side) \
            or side == 0:
        raise ValueError(f'{path}: data must be uint8 (N, 3*S*S) with N = len(fine_labels), got '
                         f'{data.dtype} {data.shape} for {len(labels)} labels.')
    counts = np.bincount(np.asarray(labels, np.int64), minlength=len(names))
    if counts.size > len(names):
        raise ValueError(f'{path}: labels up to {counts.size - 1} but only {len(names)} class names.')
    return dict(images=len(labels), per_class=dict(zip(names, counts.tolist())))


def _summarize_coco(coco_dir: str, split: str) -> Dict:
    from pycocotools import mask as mask_utils

    path = osp.join(coco_dir, 'annotations', f'instances_{split}.json')
    if not osp.isfile(path):
        raise _missing(path, 'coco')
    with open(path) as f:
        content = json.load(f)
    names = {cat['id']: cat['name'] for cat in content['categories']}
    if sorted(names.values()) != sorted(TOY_CLASSES):
        raise ValueError(f'{path}: categories {sorted(names.values())} are not {list(TOY_CLASSES)}.')
    sizes = {}
    for image in content['images']:
        size = (image['width'], image['height'])
        if _image_size(osp.join(coco_dir, split, image['file_name']), 'coco') != size:
            raise ValueError(f'{path}: image {image["id"]} has width/height {size}, its JPEG differs.')
        sizes[image['id']] = size
    per_class = dict.fromkeys(TOY_CLASSES, 0)
    for ann in content['annotations']:
        where = f'{path}: annotation {ann.get("id")}'
        if ann['image_id'] not in sizes or ann['category_id'] not in names:
            raise ValueError(f'{where}: unknown image_id {ann["image_id"]} or category_id '
                             f'{ann["category_id"]}.')
        width, height = sizes[ann['image_id']]
        x, y, w, h = ann['bbox']
        if not (0 <= x and 0 <= y and w > 0 and h > 0 and x + w <= width and y + h <= height):
            raise ValueError(f'{where}: bbox {ann["bbox"]} is not inside the {width}x{height} image.')
        rle = ann['segmentation']
        if not isinstance(rle, dict) or list(rle['size']) != [height, width]:
            raise ValueError(f'{where}: segmentation is not an RLE of the {width}x{height} image.')
        if float(mask_utils.area(rle)) != ann['area'] or mask_utils.toBbox(rle).tolist() != ann['bbox']:
            raise ValueError(f'{where}: area or bbox differ from those of its mask.')
        per_class[names[ann['category_id']]] += 1
    return dict(images=len(sizes), instances=sum(per_class.values()), per_class=per_class)


def _summarize_cityscapes(root: str, split: str) -> Dict:
    img_dir, gt_dir = osp.join(root, 'leftImg8bit', split), osp.join(root, 'gtFine', split)
    if not osp.isdir(img_dir):
        raise _missing(img_dir, 'cityscapes')
    suffix = '_leftImg8bit.png'
    per_class = dict.fromkeys(TOY_CLASSES, 0)
    allowed = set(range(len(TOY_SEG_CLASSES))) | {IGNORE_INDEX}
    num = 0
    for city in sorted(os.listdir(img_dir)):
        for name in sorted(os.listdir(osp.join(img_dir, city))):
            if not name.endswith(suffix):
                continue
            size = _image_size(osp.join(img_dir, city, name), 'cityscapes')
            png = osp.join(gt_dir, city, name[:-len(suffix)] + '_gtFine_labelTrainIds.png')
            if not osp.isfile(png):
                raise _missing(png, 'cityscapes')
            with Image.open(png) as img:
                if img.mode != 'L' or img.size != size:
                    raise ValueError(f'{png}: expected a grey (L) PNG of size {size}, '
                                     f'got mode {img.mode} size {img.size}.')
                values = set(np.unique(np.asarray(img)).tolist())
            if not values <= allowed:
                raise ValueError(f'{png}: train ids {sorted(values - allowed)} outside 0..6 and 255.')
            for value in values - {0, IGNORE_INDEX}:
                per_class[TOY_CLASSES[value - 1]] += 1
            num += 1
    return dict(images=num, per_class=per_class)


def summarize_toy_data(out_dir: str, formats=None) -> Dict:
    """Re-read a generated toy data folder, check its consistency and count it per split and class.

    Args:
        out_dir (str): Folder holding ``VOCdevkit``, ``cifar-toy``, ``coco`` and/or ``cityscapes``.
        formats (Sequence[str] | str, optional): The formats to check (:data:`FORMATS`); by default
            those whose folder exists in ``out_dir``.

    Returns:
        dict: ``out_dir`` and ``splits``: a list of dicts with ``task``, ``name``, ``images``,
        ``per_class`` (objects per class for detection, images containing the class for
        segmentation and classification) and, for detection, ``instances``.

    Raises:
        FileNotFoundError: A listed or expected file is missing, or ``out_dir`` holds no toy data.
        ValueError: A file is inconsistent (size mismatch, unknown class, bad box, mask or label
            value).
    """
    if formats is None:
        formats = [fmt for fmt, folder in FORMAT_FOLDERS.items() if osp.isdir(osp.join(out_dir, folder))]
        if not formats:
            raise FileNotFoundError(
                f'{out_dir} holds none of {", ".join(f + "/" for f in FORMAT_FOLDERS.values())}; '
                f'generate the toy data with `{GENERATOR_COMMAND}`.')
    formats = _check_formats(formats)
    splits = []
    if 'voc' in formats:
        voc07 = osp.join(out_dir, 'VOCdevkit', 'VOC2007')
        voc12 = osp.join(out_dir, 'VOCdevkit', 'VOC2012')
        for year_dir, year, list_name in ((voc07, 'VOC2007', 'trainval.txt'),
                                          (voc07, 'VOC2007', 'test.txt'),
                                          (voc12, 'VOC2012', 'trainval.txt')):
            info = _summarize_detection(year_dir, list_name)
            splits.append(dict(task='detection', name=f'{year} {list_name[:-4]}', **info))
        for list_name in ('train.txt', 'val.txt'):
            info = _summarize_segmentation(voc12, list_name)
            splits.append(dict(task='segmentation', name=f'VOC2012 seg {list_name[:-4]}', **info))
    if 'cifar' in formats:
        cifar = osp.join(out_dir, 'cifar-toy')
        meta = _load_pickle(osp.join(cifar, 'meta'))
        names = [n.decode() if isinstance(n, bytes) else n for n in meta['fine_label_names']]
        for split in ('train', 'test'):
            splits.append(dict(task='classification', name=f'cifar-toy {split}',
                               **_summarize_cifar(cifar, split, names)))
    if 'coco' in formats:
        for split in ('train2017', 'val2017'):
            splits.append(dict(task='detection', name=f'COCO {split}',
                               **_summarize_coco(osp.join(out_dir, 'coco'), split)))
    if 'cityscapes' in formats:
        for split in ('train', 'val'):
            splits.append(dict(task='segmentation', name=f'cityscapes {split}',
                               **_summarize_cityscapes(osp.join(out_dir, 'cityscapes'), split)))
    return dict(out_dir=out_dir, splits=splits)


def format_summary(summary: Dict) -> str:
    """Render :func:`summarize_toy_data` as one line per split with its per-class counts."""
    lines = []
    for split in summary['splits']:
        what = {'detection': 'objects', 'segmentation': 'images with', 'classification': 'images'}
        head = f'{split["task"]:<14} {split["name"]:<20} {split["images"]:>5} images'
        if 'instances' in split:
            head += f' {split["instances"]:>5} objects'
        counts = ' '.join(f'{k}={v}' for k, v in split['per_class'].items())
        lines.append(f'{head} | {what[split["task"]]}: {counts}')
    return '\n'.join(lines)
