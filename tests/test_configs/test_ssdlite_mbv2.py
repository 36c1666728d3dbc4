"""The SSDLite-MobileNetV2 detection student and its distillation from the SSD300 teachers.

The student is mmdet's SSDLite at 300x300 (anchors for the six 19-1 px maps); its toy twin trains and tests
through tools/ like the ResNet-18 student; the OFD positions are pre-ReLU6 features at the teacher's
strides and sizes, and so are the positions of the method-zoo configs (FitNets, CWD, PKD, MGD): signed
features at the sizes of the teacher features they are paired with. The easy toy twin runs at 160x160 with
five levels (10, 5, 3, 2, 1 px) from a MobileNetV2 pretrained on the easy classification images, whose
`backbone.` weights are exactly the SSDLite backbone's; its OFD twin distils the SSD160 ResNet-50 at 40, 20
and 10 px.
"""
import copy
import json
import os
import os.path as osp
import re

import mmdet
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DATASETS, init_default_scope
from mmengine.runner import set_random_seed

from conftest import REPO, run_fresh, run_tool
from mmkd.registry import MODELS
from mmkd.structures import ClsDataSample
from test_configs import SHARED_KEYS, load, strip_scope, toy_root, with_root  # noqa: F401 (fixture)

REAL, TOY = 'ssd/ssdlite_mbv2_voc0712.py', 'ssd/ssdlite_mbv2_toy.py'
OFD, OFD_TOY = 'configs/overhaul_ssd_r50_mbv2.py', 'configs/overhaul_ssd_r50_mbv2_toy.py'
MMDET_SSDLITE = osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs', 'ssd',
                         'ssdlite_mobilenetv2-scratch_8xb24-600e_coco.py')
VGG_OFD, VGG_OFD_TOY = 'configs/overhaul_ssd_vgg16_mbv2.py', 'configs/overhaul_ssd_vgg16_mbv2_toy.py'
EASY, EASY_PRETRAIN = 'ssd/ssdlite_mbv2_toy_easy.py', 'pretrain/mobilenetv2_toy_easy.py'
OFD_EASY = 'configs/overhaul_ssd_r50_mbv2_toy_easy.py'
# point -> (teacher module before the ReLU: ResNet-50 block or VGG16 `features` index, student MobileNetV2 layer
# whose first block's expansion is recorded, student channels, teacher channels, size at 300 px, at 160 px)
R50_POINTS = {'stage1': ('layer1.2', 'layer3', 144, 256, 75, 40), 'stage2': ('layer2.3', 'layer4', 192, 512, 38, 20),
              'stage3': ('layer3.5', 'layer6', 576, 1024, 19, 10)}
VGG_POINTS = {'conv4_3': ('22', 'layer4', 192, 512, 38, None), 'fc7': ('34', 'layer6', 576, 1024, 19, None)}


def build(cfg):
    init_default_scope(cfg.default_scope)
    return MODELS.build(copy.deepcopy(cfg.model))


@pytest.mark.parametrize('name', [REAL, TOY])
def test_student_is_mmdets_ssdlite_but_the_input_size_anchors_and_classes(name):
    model = strip_scope(load(name).to_dict()['model'])
    ref = strip_scope(Config.fromfile(MMDET_SSDLITE).to_dict()['model'])
    anchors = model['bbox_head'].pop('anchor_generator')
    ref['bbox_head'].pop('anchor_generator')
    assert model['bbox_head'].pop('num_classes') == (20 if name == REAL else 6)
    ref['bbox_head'].pop('num_classes')
    init = model['backbone'].pop('init_cfg')
    ref_init = ref['backbone'].pop('init_cfg')
    if name == REAL:
        assert init == dict(type='Pretrained', checkpoint='open-mmlab://mmdet/mobilenet_v2')
    else:
        assert init == ref_init  # from scratch, mmdet's initialisation
    assert model == ref
    assert anchors['input_size'] == 300 and tuple(anchors['basesize_ratio_range']) == (0.2, 0.9)
    assert anchors['ratios'] == [[2, 3]] * 6


def test_twins_share_the_resnet18_students_data_schedule_and_runtime():
    for name, ref_name in ((REAL, 'ssd/ssd300_r18_voc0712.py'), (TOY, 'ssd/ssd300_r18_toy.py')):
        cfg, ref = load(name).to_dict(), load(ref_name).to_dict()
        for key in SHARED_KEYS:
            assert strip_scope(cfg.get(key)) == strip_scope(ref.get(key)), f'{name}: {key}'
        assert cfg.get('work_dir') is None and cfg.get('load_from') is None


@pytest.mark.parametrize('name', [REAL, TOY])
def test_feature_maps_and_predictions_at_300px(name):
    cfg = load(name)
    model = build(cfg).eval()
    with torch.no_grad():
        feats = model.backbone(torch.rand(1, 3, 300, 300))
        outs = model.neck(feats)
        cls_scores, bbox_preds = model.bbox_head(outs)
    assert [f.shape[1] for f in feats] == [96, 1280]
    assert [f.shape[-1] for f in outs] == [19, 10, 5, 3, 2, 1]
    assert [f.shape[1] for f in outs] == list(cfg.model.bbox_head.in_channels)
    # every anchor grid covers its map: 300 px / stride cells
    priors = model.bbox_head.prior_generator
    assert [tuple(s) for s in priors.strides] == [(s, s) for s in (16, 32, 64, 100, 150, 300)]
    assert [-(-300 // s[0]) for s in priors.strides] == [f.shape[-1] for f in outs]
    assert priors.num_base_priors == [6] * 6
    num_classes = cfg.model.bbox_head.num_classes
    assert [c.shape[1] for c in cls_scores] == [6 * (num_classes + 1)] * 6
    assert [b.shape[1] for b in bbox_preds] == [6 * 4] * 6


def test_toy_student_needs_no_download_and_runs_a_training_forward(toy_root):
    cfg = load(TOY)
    assert 'Pretrained' not in str(cfg.model) and 'SyncBN' not in str(cfg.model)
    assert cfg.train_cfg.type == 'IterBasedTrainLoop' and cfg.train_cfg.max_iters == 200
    set_random_seed(0)
    init_default_scope('mmdet')
    train_set = DATASETS.build(with_root(cfg.train_dataloader.dataset, toy_root, TOY))
    assert len(train_set.metainfo['classes']) == cfg.model.bbox_head.num_classes == 6
    model = build(cfg)
    model.init_weights()
    model.train()
    data = model.data_preprocessor(pseudo_collate([train_set[0], train_set[1]]), True)
    assert tuple(data['inputs'].shape) == (2, 3, 300, 300)
    losses = model(**data, mode='loss')
    total = sum(sum(v) if isinstance(v, list) else v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total) and total.item() > 0


def test_easy_twin_is_the_toy_student_with_five_levels_and_the_ssd160_data_and_schedule():
    easy, toy = load(EASY).to_dict(), load(TOY).to_dict()
    model, ref = strip_scope(easy['model']), strip_scope(toy['model'])
    assert model['backbone'].pop('init_cfg') == dict(
        type='Pretrained', checkpoint='data/toy_easy/pretrained/mobilenetv2.pth', prefix='backbone.')
    ref['backbone'].pop('init_cfg')
    # SSDLite's four extra levels less the last: three stride-2 depthwise levels
    assert model['neck'].pop('out_channels') == [96, 1280, 512, 256, 256]
    assert ref['neck'].pop('out_channels') == [96, 1280, 512, 256, 256, 128]
    assert (model['neck'].pop('level_strides'), model['neck'].pop('level_paddings')) == ([2, 2, 2], [1, 1, 1])
    for key in ('level_strides', 'level_paddings'):
        ref['neck'].pop(key)
    assert model['bbox_head'].pop('in_channels') == [96, 1280, 512, 256, 256]
    ref['bbox_head'].pop('in_channels')
    model['bbox_head'].pop('anchor_generator')
    ref['bbox_head'].pop('anchor_generator')
    assert model == ref
    ssd160 = load('ssd/ssd160_r18_toy_easy.py').to_dict()
    for key in SHARED_KEYS:
        assert strip_scope(easy.get(key)) == strip_scope(ssd160.get(key)), key
    assert easy.get('work_dir') is None and easy.get('load_from') is None


def test_easy_twin_maps_and_anchors_at_160px():
    """160 px inputs: backbone maps 10 and 5 px, extra levels 3, 2, 1 px; each level's anchor stride is 160 /
    side rounded, so its grid of centres spans the image; sizes are the SSD160 teacher's, ratios SSDLite's."""
    cfg = load(EASY)
    cfg.model.backbone.init_cfg = None
    model = build(cfg).eval()
    with torch.no_grad():
        feats = model.backbone(torch.rand(1, 3, 160, 160))
        outs = model.neck(feats)
        cls_scores, bbox_preds = model.bbox_head(outs)
    assert [tuple(f.shape[1:]) for f in feats] == [(96, 10, 10), (1280, 5, 5)]
    sides = [f.shape[-1] for f in outs]
    assert sides == [10, 5, 3, 2, 1] and [f.shape[1] for f in outs] == list(cfg.model.bbox_head.in_channels)
    priors = model.bbox_head.prior_generator
    strides = [s for s, _ in priors.strides]
    assert strides == [16, 32, 53, 80, 160] == [round(160 / side) for side in sides]
    for stride, side, anchors in zip(strides, sides, priors.grid_priors([(s, s) for s in sides], device='cpu')):
        centres = ((anchors[:, 0] + anchors[:, 2]) / 2).round(decimals=3).unique()
        assert len(centres) == side and 0 < centres.min() and centres.max() < 160
        assert abs(centres.min() - (160 - centres.max())) <= 1  # the grid is centred in the image
    teacher = load('ssd/ssd160_r50_toy_easy.py').model.bbox_head.anchor_generator
    generator = cfg.model.bbox_head.anchor_generator
    assert (generator.min_sizes, generator.max_sizes) == (teacher.min_sizes, teacher.max_sizes)
    assert priors.num_base_priors == [6] * 5
    assert [c.shape[1] for c in cls_scores] == [6 * 7] * 5 and [b.shape[1] for b in bbox_preds] == [6 * 4] * 5


def test_pretrained_mobilenetv2_is_the_ssdlite_backbone_and_loads_into_the_easy_twin(tmp_path):
    """The pretraining classifier pools the 1280-channel last conv (2x2 at 64 px) into its 10-class head; its
    `backbone.` weights have exactly the SSDLite backbone's names and shapes, and the easy twin's Pretrained
    init loads every one of them."""
    pretrain = load(EASY_PRETRAIN)
    assert pretrain.model.backbone.out_indices == (7, ) and pretrain.model.head.in_channels == 1280
    init_default_scope(pretrain.default_scope)
    set_random_seed(0)
    classifier = MODELS.build(copy.deepcopy(pretrain.model)).train()
    feats = classifier.backbone(torch.rand(2, 3, 64, 64))
    assert len(feats) == 1 and tuple(feats[0].shape) == (2, 1280, 2, 2)
    assert (classifier.head.fc.in_features, classifier.head.fc.out_features) == (1280, 10)
    # a training step moves the BN statistics away from their initial values too
    losses = classifier.loss(torch.rand(4, 3, 64, 64) * 255, [ClsDataSample().set_gt_label(i) for i in range(4)])
    assert all(torch.isfinite(v) for v in losses.values())
    state = classifier.state_dict()
    pretrained = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
    checkpoint = tmp_path / 'mobilenetv2.pth'
    torch.save(dict(state_dict=state), checkpoint)

    cfg = load(EASY)
    cfg.model.backbone.init_cfg.checkpoint = str(checkpoint)
    student = build(cfg)
    assert {k: v.shape for k, v in student.backbone.state_dict().items()} == {
        k: v.shape for k, v in pretrained.items()}
    assert not torch.equal(student.backbone.conv1.conv.weight, pretrained['conv1.conv.weight'])
    student.init_weights()
    backbone = student.backbone.state_dict()
    for key, value in pretrained.items():
        torch.testing.assert_close(backbone[key], value, msg=key)


@pytest.mark.parametrize('config', [OFD, OFD_TOY, VGG_OFD, VGG_OFD_TOY, OFD_EASY])
def test_ofd_points_are_pre_relu6_at_the_teachers_sizes(config, monkeypatch):
    """Each student feature is the expansion conv + BN before its ReLU6 (negative values kept, ReLU6 of it is
    the ConvModule's output), at the teacher's spatial size (300 px inputs: 75, 38, 19 px; the easy twin's
    160 px: 40, 20, 10 px); the connector maps it to the teacher's channels; the margin comes from the ResNet
    teacher's bn3 (VGG16: estimated from data); one loss step gives finite distillation losses."""
    from mmkd.models.transforms.margin_relu import ofd_margin
    monkeypatch.chdir(REPO)
    cfg = Config.fromfile(config)
    vgg = 'vgg16' in config
    STAGES = VGG_POINTS if vgg else R50_POINTS
    easy = config == OFD_EASY
    side = 160 if easy else 300
    assert tuple(cfg.model.input_size) == (side, side)
    assert cfg.model.teacher_bn == ('eval' if vgg else 'train') and list(cfg.model.distill_points) == list(STAGES)
    init_default_scope('mmdet')
    cfg.model.teacher.checkpoint = None
    model = MODELS.build(cfg.model)
    model.train()
    modules = {name: model.student.backbone.get_submodule(f'{layer}.0.expand_conv')
               for name, (_, layer, *_) in STAGES.items()}
    outputs = {}
    handles = [m.register_forward_hook(lambda m, a, out, name=name: outputs.__setitem__(name, out.detach()))
               for name, m in modules.items()]
    from conftest import detection_samples
    losses = model.loss(torch.randn(2, 3, side, side), detection_samples(2, (side, side)))
    for handle in handles:
        handle.remove()
    for name, (t_block, layer, s_ch, t_ch, size_300, size_160) in STAGES.items():
        size = size_160 if easy else size_300
        student = model.student_recorders.get(name).detach()
        teacher = model.teacher_recorders.get(name)
        assert tuple(student.shape) == (2, s_ch, size, size)
        assert tuple(teacher.shape) == (2, t_ch, size, size)
        assert student.min() < 0 < student.max()  # the ReLU6 has not clamped it yet
        torch.testing.assert_close(torch.nn.functional.relu6(student), outputs[name])
        torch.testing.assert_close(modules[name].activate(student.clone()), outputs[name])
        point = model.distill_points[name]
        conv = point.connector.conv
        assert (conv.in_channels, conv.out_channels) == (s_ch, t_ch)
        if vgg:
            assert model.teacher.backbone.features[int(t_block)].__class__.__name__ == 'ReLU'
            assert teacher.min() < 0
        else:
            block = model.teacher.backbone.get_submodule(t_block)
            torch.testing.assert_close(point.teacher_transform.margin, ofd_margin(block.bn3))
        assert torch.isfinite(losses[f'loss_distill_{name}']) and losses[f'loss_distill_{name}'] > 0
    weights = [1e-4 / 2, 1e-4] if vgg else [1e-4 / 4, 1e-4 / 2, 1e-4]
    if easy:  # x (H W at 300 px) / (H W at 160 px): x (75/40)^2, (38/20)^2, (19/10)^2
        weights = [8.7890625e-5, 1.805e-4, 3.61e-4]
    assert [point.loss.loss_weight for point in model.distill_points.values()] == pytest.approx(weights, rel=1e-12)


# method-zoo configs with the SSDLite student: point -> one (student channels, teacher channels, size at
# 300 px) per position pair; CWD's class score maps hold anchors x (classes + 1) channels, written
# ('cls', student anchors, teacher anchors)
ZOO = {
    'fitnets/fitnets_ssd_r50_mbv2': {'hint': [(32, 512, 38)]},
    'fitnets/fitnets-1stage_ssd_r50_mbv2': {'hint': [(32, 512, 38)]},
    'cwd/cwd_ssd_r50_mbv2': {'cls19': [(('cls', 6), ('cls', 6), 19)], 'cls10': [(('cls', 6), ('cls', 6), 10)],
                             'cls5': [(('cls', 6), ('cls', 6), 5)], 'cls3': [(('cls', 6), ('cls', 4), 3)]},
    'pkd/pkd_ssd_r50_mbv2': {'pkd': [(96, 1024, 19), (1280, 512, 10), (512, 256, 5), (256, 256, 3)]},
    'mgd/mgd_ssd_r50_mbv2': {'neck19': [(96, 1024, 19)], 'neck10': [(1280, 512, 10)], 'neck5': [(512, 256, 5)],
                             'neck3': [(256, 256, 3)], 'neck1': [(128, 256, 1)]},
}
ZOO_CONFIGS = [f'configs/{name}_toy.py' for name in ZOO] + [
    pytest.param(f'configs/{name}_voc0712.py', marks=pytest.mark.slow) for name in ZOO]


def channels(value, num_classes):
    return value[1] * (num_classes + 1) if isinstance(value, tuple) else value


@pytest.mark.parametrize('config', ZOO_CONFIGS)
def test_zoo_points_are_pre_activation_at_the_teachers_sizes(config, monkeypatch):
    """Each student position is a signed feature (a linear bottleneck output, the input of a ReLU6 -- checked
    against the ReLU6's own output -- or a score map) of the size of the teacher feature it is paired with,
    with the expected channels; the connectors (MGD: the loss's align conv) map it to the teacher's channels;
    one loss step gives a finite, positive loss per point with the documented weights."""
    monkeypatch.chdir(REPO)
    cfg = Config.fromfile(config)
    expected = ZOO[osp.relpath(config, 'configs').rsplit('_', 1)[0]]
    assert list(cfg.model.distill_points) == list(expected)
    init_default_scope('mmdet')
    cfg.model.teacher.checkpoint = None
    model = MODELS.build(cfg.model)
    model.train()
    num_classes = cfg.model.student.bbox_head.num_classes
    # the output of every ReLU6 whose input a point records
    def positions(point):
        return point.student if isinstance(point.student, list) else [point.student]

    relu6_inputs = [p.source for point in cfg.model.distill_points.values() for p in positions(point)
                    if isinstance(p, dict) and p.get('io') == 'input']
    outputs, handles = {}, []
    for src in relu6_inputs:
        module = model.student.get_submodule(src)
        assert isinstance(module, torch.nn.ReLU6), src
        handles.append(module.register_forward_hook(
            lambda m, a, out, src=src: outputs.__setitem__(src, out.detach().clone())))
    from conftest import detection_samples
    losses = model.loss(torch.randn(2, 3, 300, 300), detection_samples(2, (300, 300)))
    for handle in handles:
        handle.remove()
    assert sorted(outputs) == sorted(relu6_inputs)
    for name, pairs in expected.items():
        point = model.distill_points[name]
        student, teacher, _ = point.recorded(model.student_recorders, model.teacher_recorders)
        connected, _ = point.align(student, teacher)
        if not isinstance(student, list):
            student, teacher, connected = [student], [teacher], [connected]
        assert len(student) == len(teacher) == len(pairs)
        for pos, s, t, c, (s_ch, t_ch, size) in zip(positions(cfg.model.distill_points[name]), student, teacher,
                                                    connected, pairs):
            s_ch, t_ch = channels(s_ch, num_classes), channels(t_ch, num_classes)
            assert tuple(s.shape) == (2, s_ch, size, size), name
            assert tuple(t.shape) == (2, t_ch, size, size), name
            assert s.min() < 0 < s.max(), name  # pre-activation: nothing has clipped it
            if isinstance(pos, dict) and pos.get('io') == 'input':  # the ReLU6 of it is the module's output
                torch.testing.assert_close(torch.nn.functional.relu6(s.detach()), outputs[pos.source])
            if name.startswith('neck'):  # MGD: the loss aligns the channels
                assert (point.loss.student_channels, point.loss.teacher_channels) == (s_ch, t_ch)
            else:
                assert tuple(c.shape) == tuple(t.shape), name
        assert torch.isfinite(losses[f'loss_distill_{name}']) and losses[f'loss_distill_{name}'] > 0, name
    loss_cfg = {name: point.loss for name, point in cfg.model.distill_points.items()}
    if 'fitnets' in config:
        assert loss_cfg['hint'].loss_weight == 200.0
        assert cfg.model.distill_points.hint.connector.act == 'relu'
    elif 'cwd' in config:
        assert {(v.tau, v.loss_weight) for v in loss_cfg.values()} == {(4.0, 3.0)}
    elif 'pkd' in config:
        assert loss_cfg['pkd'].loss_weight == 6.0
    else:
        assert {(v.alpha_mgd, v.lambda_mgd) for v in loss_cfg.values()} == {(2e-5, 0.65)}


# two short iterations, a checkpoint at the last, validation and test on four images
SHORT = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
         'default_hooks.logger.interval=1', 'val_dataloader.dataset.indices=4',
         'test_dataloader.dataset.indices=4', 'train_dataloader.batch_size=4']


@pytest.mark.slow
def test_toy_student_trains_and_tests_through_the_tools(toy_workspace):
    run_tool(toy_workspace, 'tools/train.py', 'configs/' + TOY, '--work-dir', 'work_dirs/ssdlite', '--cfg-options',
             *SHORT)
    wd = toy_workspace / 'work_dirs/ssdlite'
    out = run_tool(toy_workspace, 'tools/test.py', 'configs/' + TOY, str(wd / 'iter_2.pth'), '--out',
                   str(wd / 'metrics.json'), '--cfg-options', 'test_dataloader.dataset.indices=4')
    assert 'pascal_voc/mAP' in out and 'pascal_voc/mAP' in json.loads((wd / 'metrics.json').read_text())


@pytest.fixture(scope='module')
def teacher(toy_workspace):
    """The toy SSD300 ResNet-50 teacher after two iterations, as a --cfg-options item."""
    run_tool(toy_workspace, 'tools/train.py', 'configs/ssd/ssd300_r50_toy.py', '--work-dir',
             'work_dirs/ssdlite_teacher', '--cfg-options', *SHORT)
    return 'model.teacher.checkpoint=work_dirs/ssdlite_teacher/iter_2.pth'


PLAIN_MMDET = """
import sys
from mmdet.apis import inference_detector, init_detector
detector = init_detector(sys.argv[1], sys.argv[2], device='cpu')
result = inference_detector(detector, sys.argv[3])
print(type(detector.backbone).__name__, type(detector.bbox_head).__name__, detector.bbox_head.use_depthwise,
      'detections', len(result.pred_instances))
"""


@pytest.mark.slow
def test_toy_ofd_trains_and_tests_through_the_tools(toy_workspace, teacher):
    out = run_tool(toy_workspace, 'tools/train.py', OFD_TOY, '--work-dir', 'work_dirs/ssdlite_ofd',
                   '--cfg-options', *SHORT, teacher)
    for key in ('loss_cls', 'loss_bbox', 'loss_distill_stage1', 'loss_distill_stage2', 'loss_distill_stage3',
                'teacher/pascal_voc/mAP', 'pascal_voc/mAP'):
        assert key in out, key
    wd = toy_workspace / 'work_dirs/ssdlite_ofd'
    assert (wd / 'iter_2_student.pth').is_file()
    out = run_tool(toy_workspace, 'tools/test.py', OFD_TOY, str(wd / 'iter_2.pth'), '--cfg-options',
                   'test_dataloader.dataset.indices=4', teacher)
    assert 'pascal_voc/mAP' in out
    # the student twin is mmdet's SSDLite: plain mmdet loads and runs it in a fresh process
    twin = Config.fromfile(wd / 'student_config.py', import_custom_modules=False)
    assert twin.model.backbone.type == 'MobileNetV2' and twin.model.bbox_head.use_depthwise
    image = next((toy_workspace / 'data/toy/VOCdevkit/VOC2007/JPEGImages').glob('*.jpg'))
    printed = run_fresh(PLAIN_MMDET, wd / 'student_config.py', wd / 'iter_2_student.pth', image, cwd=toy_workspace)
    assert 'MobileNetV2 SSDHead True detections' in printed, printed


@pytest.mark.slow
@pytest.mark.parametrize('name', list(ZOO))
def test_toy_zoo_config_trains_and_tests_through_the_tools(toy_workspace, teacher, name):
    """Two iterations of each method's toy twin through tools/train.py log every distillation loss and
    save the student twin; tools/test.py evaluates the distilled checkpoint (mAP in its JSON output)."""
    config = f'configs/{name}_toy.py'
    wd = toy_workspace / 'work_dirs' / osp.basename(name)
    out = run_tool(toy_workspace, 'tools/train.py', config, '--work-dir', str(wd), '--cfg-options', *SHORT,
                   teacher, 'teacher_eval=False')
    for key in ['loss_cls', 'loss_bbox'] + [f'loss_distill_{point}' for point in ZOO[name]]:
        assert re.search(rf'{key}: [0-9.e+-]+', out), key
    assert (wd / 'iter_2.pth').is_file() and (wd / 'iter_2_student.pth').is_file()
    out = run_tool(toy_workspace, 'tools/test.py', config, str(wd / 'iter_2.pth'), '--out',
                   str(wd / 'metrics.json'), '--cfg-options', 'test_dataloader.dataset.indices=4', teacher)
    metrics = json.loads((wd / 'metrics.json').read_text())
    assert 0.0 <= metrics['pascal_voc/mAP'] <= 1.0


# ------------------------------------------------------------------- the easy twins through the tools
@pytest.fixture(scope='module')
def easy_workspace(tmp_path_factory):
    """A workspace with a small easy toy set and no pretrained or teacher files: the runs below start from
    random weights (`init_cfg=None`), as tests/test_configs/test_configs.py builds the easy models."""
    root = tmp_path_factory.mktemp('easy_workspace')
    os.symlink(osp.join(REPO, 'configs'), root / 'configs')
    run_tool(root, 'tools/misc/make_toy_data.py', '--profile', 'easy', '--out', 'data/toy_easy', '--voc07-trainval',
             '8', '--voc07-test', '4', '--voc12-trainval', '8', '--seg-train', '2', '--seg-val', '2',
             '--cifar-train', '20', '--cifar-test', '10')
    assert not (root / 'data/toy_easy/pretrained').exists() and not (root / 'data/toy_easy/teachers').exists()
    return root


@pytest.mark.slow
def test_easy_twin_trains_and_tests_through_the_tools(easy_workspace):
    config = 'configs/' + EASY
    wd = easy_workspace / 'work_dirs/ssdlite_easy'
    out = run_tool(easy_workspace, 'tools/train.py', config, '--work-dir', str(wd), '--cfg-options', *SHORT,
                   'model.backbone.init_cfg=None')
    assert re.search(r'loss_cls: [0-9.e+-]+', out) and 'pascal_voc/mAP' in out
    out = run_tool(easy_workspace, 'tools/test.py', config, str(wd / 'iter_2.pth'), '--out',
                   str(wd / 'metrics.json'), '--cfg-options', 'test_dataloader.dataset.indices=4')
    assert 0.0 <= json.loads((wd / 'metrics.json').read_text())['pascal_voc/mAP'] <= 1.0


@pytest.mark.slow
def test_easy_ofd_trains_and_tests_through_the_tools(easy_workspace):
    run_tool(easy_workspace, 'tools/train.py', 'configs/ssd/ssd160_r50_toy_easy.py', '--work-dir',
             'work_dirs/ssd160_r50_teacher', '--cfg-options', *SHORT, 'model.backbone.init_cfg=None')
    teacher = 'model.teacher.checkpoint=work_dirs/ssd160_r50_teacher/iter_2.pth'
    wd = easy_workspace / 'work_dirs/ssdlite_easy_ofd'
    out = run_tool(easy_workspace, 'tools/train.py', OFD_EASY, '--work-dir', str(wd), '--cfg-options', *SHORT,
                   teacher, 'model.student.backbone.init_cfg=None')
    for key in ('loss_cls', 'loss_bbox', 'loss_distill_stage1', 'loss_distill_stage2', 'loss_distill_stage3',
                'teacher/pascal_voc/mAP', 'pascal_voc/mAP'):
        assert key in out, key
    assert (wd / 'iter_2_student.pth').is_file()
    out = run_tool(easy_workspace, 'tools/test.py', OFD_EASY, str(wd / 'iter_2.pth'), '--out',
                   str(wd / 'metrics.json'), '--cfg-options', 'test_dataloader.dataset.indices=4', teacher)
    assert 0.0 <= json.loads((wd / 'metrics.json').read_text())['pascal_voc/mAP'] <= 1.0
