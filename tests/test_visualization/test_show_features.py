"""tools/analysis/show_features.py: one PNG per distillation point and validation image, with the panels image,
teacher, transformed teacher, connected student and difference, drawn from the distiller's own recorders."""
import importlib.util
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from conftest import REPO, classifier, ofd_point, write_cifar
from mmkd.registry import MODELS
from mmkd.utils.strict_loading import CheckpointMismatchError
from mmkd.visualization import feature_maps

PANEL = 64


def load_tool():
    spec = importlib.util.spec_from_file_location('mmkd_tool_show_features',
                                                  osp.join(REPO, 'tools', 'analysis', 'show_features.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def run(tmp_path):
    """A tiny OFD classification config on random CIFAR-format images, its teacher's checkpoint and a
    distillation checkpoint; two spatial points and a logits point (not drawable)."""
    data = write_cifar(tmp_path / 'data', num=6)
    teacher = MODELS.build(classifier(50, 512))
    torch.save(dict(state_dict=teacher.state_dict()), tmp_path / 'teacher.pth')
    model_cfg = dict(
        type='mmkd.FeatureDistiller', student=classifier(18, 128),
        teacher=dict(config=classifier(50, 512), checkpoint=str(tmp_path / 'teacher.pth')),
        teacher_precision='fp32', input_size=32,
        distill_points=dict(stage1=ofd_point('layer1.1', 'layer1.2', 'bn3'),
                            stage2=ofd_point('layer2.1', 'layer2.3', 'bn3'),
                            kd=dict(student='head.fc', teacher='head.fc', loss=dict(type='mmkd.KDLoss'))))
    dataset = dict(type='mmkd.CIFAR100Dataset', data_root=data, test_mode=True,
                   pipeline=[dict(type='mmkd.PackClsInputs')])
    config = tmp_path / 'distill.py'
    Config(dict(default_scope='mmkd', model=model_cfg,
                val_dataloader=dict(batch_size=2, num_workers=0, dataset=dataset))).dump(str(config))
    distiller = MODELS.build(model_cfg)
    with torch.no_grad():  # a trained-looking connector BN, so the student panel is not the raw conv output
        for point in distiller.distill_points.values():
            bn = getattr(point.connector, 'bn', None)
            if bn is not None:
                bn.running_var.uniform_(0.5, 2.0)
    torch.save(dict(meta={}, state_dict=distiller.state_dict()), tmp_path / 'iter_2.pth')
    return tmp_path, str(config), str(tmp_path / 'iter_2.pth'), distiller


def panels(path):
    picture = cv2.imread(path)
    assert picture is not None, path
    return picture, [picture[:, i * PANEL:(i + 1) * PANEL] for i in range(picture.shape[1] // PANEL)]


def test_one_png_per_point_and_image_with_five_distinct_panels(run, capsys):
    tmp_path, config, checkpoint, _ = run
    out = tmp_path / 'pictures'
    load_tool().main([config, checkpoint, '--out', str(out), '--num-images', '2', '--panel-size', str(PANEL)])
    expected = {f'{p}_{i:04d}.png' for p in ('stage1', 'stage2') for i in range(2)}
    assert set(os.listdir(out)) == expected  # the logits point has no spatial extent: left out
    assert '4 pictures written' in capsys.readouterr().out
    for name in sorted(expected):
        picture, parts = panels(str(out / name))
        assert picture.shape == (PANEL + feature_maps.TITLE_HEIGHT, len(feature_maps.PANELS) * PANEL, 3)
        bodies = [p[feature_maps.TITLE_HEIGHT:] for p in parts]
        assert all(b.std() > 0 for b in bodies), name
        for i in range(len(bodies)):
            for j in range(i + 1, len(bodies)):
                assert not np.array_equal(bodies[i], bodies[j]), (name, feature_maps.PANELS[i],
                                                                  feature_maps.PANELS[j])


def test_maps_are_what_the_loss_compares(run):
    _, _, _, distiller = run
    distiller.eval()
    inputs = torch.rand(2, 3, 32, 32) * 255
    features = feature_maps.point_features(distiller, inputs, None)
    assert set(features) == {'stage1', 'stage2', 'kd'}
    teacher, transformed, connected = features['stage1'][0]
    point = distiller.distill_points['stage1']
    torch.testing.assert_close(transformed, point.teacher_transform(teacher))
    assert transformed.min() > teacher.min()  # the margin ReLU lifted the negatives
    assert connected.shape == teacher.shape and connected.shape[1] == 256
    mean = feature_maps.spatial_map(teacher[0])
    np.testing.assert_allclose(mean, teacher[0].mean(0).abs().numpy(), rtol=1e-6)
    attention = feature_maps.spatial_map(teacher[0], 'attention')
    np.testing.assert_allclose(attention, teacher[0].pow(2).mean(0).numpy(), rtol=1e-5)
    diff = feature_maps.difference_map(connected[0], transformed[0])
    np.testing.assert_allclose(diff, (connected[0] - transformed[0]).abs().mean(0).numpy(), rtol=1e-5)
    other = feature_maps.difference_map(connected[0, :4], transformed[0])  # other channels: maps compared
    assert other.shape == tuple(transformed.shape[-2:])


def test_student_only_checkpoint_is_refused_naming_the_distillation_checkpoint(run):
    tmp_path, config, _, distiller = run
    student = tmp_path / 'iter_2_student.pth'
    torch.save(dict(state_dict=distiller.student.state_dict()), student)
    with pytest.raises(CheckpointMismatchError, match='not its \\*_student.pth twin'):
        load_tool().main([config, str(student), '--out', str(tmp_path / 'x')])


def test_not_a_distiller_is_refused(tmp_path):
    config = tmp_path / 'plain.py'
    Config(dict(default_scope='mmkd', model=classifier(18, 128))).dump(str(config))
    torch.save(dict(state_dict={}), tmp_path / 'c.pth')
    with pytest.raises(ValueError, match='mmkd.FeatureDistiller'):
        load_tool().main([str(config), str(tmp_path / 'c.pth'), '--out', str(tmp_path / 'x')])
