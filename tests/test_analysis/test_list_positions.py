"""tools/analysis/list_positions.py and mmkd.analysis: rows, roles, shapes, JSON, OFD suggestions on tiny models."""
import importlib.util
import json
import os.path as osp

import pytest
import torch
import torch.nn as nn

from conftest import REPO
from mmkd import analysis


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'list_positions', osp.join(REPO, 'tools', 'analysis', 'list_positions.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = load_tool()

# mmdet ResNet at 32x32: 7x7 stride-2 conv -> 16x16, max-pool -> 8x8, layer1 (stride 1) -> 8x8 with 64
# channels, layer2 (stride 2) -> 4x4 with 128 channels (basic blocks) or 512 (bottlenecks, expansion 4).
CLASSIFIER = """
default_scope = 'mmkd'
model = dict(
    type='mmkd.ImageClassifier',
    backbone=dict(type='mmdet.ResNet', depth={depth}, num_stages=2, strides=(1, 2), dilations=(1, 1),
                  out_indices=(0, 1), norm_eval=False,
                  init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    head=dict(type='mmkd.LinearClsHead', num_classes=3, in_channels={channels}))
"""

@pytest.fixture
def r18_config(tmp_path):
    path = tmp_path / 'tiny_r18.py'
    path.write_text(CLASSIFIER.format(depth=18, channels=128))
    return str(path)


def by_name(rows):
    return {row['name']: row for row in rows}


def test_resnet18_rows_roles_shapes_and_json(r18_config, tmp_path, capsys):
    out = tmp_path / 'rows' / 'r18.json'
    rows = tool.main([r18_config, '--input-size', '32', '32', '--json', str(out)])
    printed = capsys.readouterr().out
    rows_by_name = by_name(rows)

    relu = rows_by_name['backbone.layer1.1.relu']
    assert relu['type'] == 'ReLU' and relu['role'] == 'activation' and relu['inplace']
    assert relu['calls'] == 2  # BasicBlock: one ReLU module after bn1 and after the residual sum
    assert relu['output_shapes'] == [[1, 64, 8, 8], [1, 64, 8, 8]]
    assert relu['position'] == dict(source='backbone.layer1.1.relu', io='input', call=-1)
    assert relu['fed_by']['source'] == 'backbone.layer1.1.bn2'

    bn2 = rows_by_name['backbone.layer1.1.bn2']
    assert bn2['role'] == 'pre-act (norm)'
    assert [(f['source'], f['io'], f['call'], f['detected_by']) for f in bn2['feeds']] == [
        ('backbone.layer1.1.relu', 'input', -1, 'identity')]
    assert rows_by_name['backbone.layer1.1.bn1']['feeds'][0]['call'] == 0
    assert rows_by_name['backbone.layer1.1.conv1']['role'] == '-'

    # first block of layer2: bn2 reaches the ReLU through the in-place `out += identity`; the
    # shortcut BN, called in between, does not feed it directly
    assert rows_by_name['backbone.layer2.0.bn2']['role'] == 'pre-act (norm)'
    assert rows_by_name['backbone.layer2.0.downsample.1']['role'] == '-'
    assert rows_by_name['backbone.layer2.0.relu']['output_shapes'] == [[1, 128, 4, 4]] * 2
    assert rows_by_name['backbone.layer2.0.conv1']['output_shapes'] == [[1, 128, 4, 4]]

    # stem: 7x7 stride-2 conv on 32 px -> 16 px, then the max-pool halves it
    assert rows_by_name['backbone.relu']['output_shapes'] == [[1, 64, 16, 16]]
    assert rows_by_name['backbone.relu']['fed_by']['source'] == 'backbone.bn1'
    assert rows_by_name['backbone.maxpool']['output_shapes'] == [[1, 64, 8, 8]]
    assert rows_by_name['backbone.maxpool']['role'] == '-'

    block = rows_by_name['backbone.layer1.1']
    assert block['role'] == 'post-act'
    assert block['produced_by'] == dict(source='backbone.layer1.1.relu', call=-1)
    assert rows_by_name['backbone.layer2']['role'] == 'post-act'
    assert rows_by_name['head']['output_shapes'] == [[1, 3]]
    assert rows_by_name['head.loss_module']['calls'] == 0
    assert 'data_preprocessor' in rows_by_name  # listed, never called in mode='tensor'

    # the table has one line per row and the in-place mark
    table_lines = {line.split()[0]: line for line in printed.splitlines() if line.startswith('backbone')}
    assert set(table_lines) == {name for name in rows_by_name if name.startswith('backbone')}
    assert 'activation (in-place)' in table_lines['backbone.layer1.1.relu']
    assert "pre-activation = dict(source='backbone.layer1.1.relu', io='input', call=-1)" in printed

    saved = json.loads(out.read_text())
    assert saved['rows'] == rows
    assert saved['input_size'] == [32, 32]
    (suggestion, ) = saved['ofd_suggestions']
    assert suggestion['backbone'] == 'backbone' and suggestion['kind'] == 'ResNet'
    assert [(p['position']['source'], p['bn'], p['shape']) for p in suggestion['points']] == [
        ('backbone.layer1.1.relu', 'backbone.layer1.1.bn2', [1, 64, 8, 8]),
        ('backbone.layer2.1.relu', 'backbone.layer2.1.bn2', [1, 128, 4, 4])]
    assert "layer2: dict(source='backbone.layer2.1.relu', io='input', call=-1), bn='backbone.layer2.1.bn2'" \
        in printed


def test_filter_and_errors(r18_config, capsys):
    rows = tool.main([r18_config, '--input-size', '32', '32', '--filter', r'layer1\.1\.bn'])
    assert [r['name'] for r in rows] == ['backbone.layer1.1.bn1', 'backbone.layer1.1.bn2']
    capsys.readouterr()

    with pytest.raises(SystemExit) as exc:
        tool.main([r18_config, '--model', 'teacher'])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert '--model teacher needs a distillation config' in err and "'mmkd.ImageClassifier'" in err

    with pytest.raises(SystemExit):
        tool.main([r18_config, '--filter', '('])
    assert 'not a valid regular expression' in capsys.readouterr().err

    with pytest.raises(SystemExit):
        tool.main([r18_config, '--input-size', '0', '32'])
    assert '--input-size must be two positive integers' in capsys.readouterr().err

    class TooSmall(nn.Module):
        def forward(self, inputs, data_samples=None, mode='tensor'):
            return nn.functional.conv2d(inputs, torch.zeros(1, 3, 5, 5))

    with pytest.raises(RuntimeError, match=r'\(1, 3, 4, 4\) input .* pass --input-size H W'):
        analysis.trace_model(TooSmall(), (4, 4))


def write_distill_config(tmp_path, student_config, checkpoint):
    """A FeatureDistiller config without points: the tiny ResNet-50 teaching ``student_config``."""
    teacher = tmp_path / 'tiny_r50.py'
    teacher.write_text(CLASSIFIER.format(depth=50, channels=512))
    distill = tmp_path / 'distill.py'
    distill.write_text(f"""
_base_ = ['{student_config}']
model = dict(
    _delete_=True,
    type='mmkd.FeatureDistiller',
    student={{{{_base_.model}}}},
    teacher=dict(config='{teacher}', checkpoint={checkpoint!r}),
    input_size=(32, 32),
    distill_points=dict())
""")
    return str(distill)


def test_distill_config_teacher_without_checkpoint(tmp_path, r18_config, capsys):
    distill = write_distill_config(tmp_path, r18_config, f'{tmp_path}/missing.pth')
    student = by_name(tool.main([distill, '--filter', 'layer1']))
    assert 'backbone.layer1.1.relu' in student and 'backbone.layer1.2.relu' not in student
    rows = by_name(tool.main([distill, '--model', 'teacher', '--filter', 'layer1']))
    printed = capsys.readouterr().out
    relu = rows['backbone.layer1.2.relu']
    assert relu['calls'] == 3  # Bottleneck: after bn1, bn2, and the residual sum
    assert relu['output_shapes'] == [[1, 64, 8, 8], [1, 64, 8, 8], [1, 256, 8, 8]]
    assert rows['backbone.layer1.2.bn2']['feeds'][0]['call'] == 1
    assert rows['backbone.layer1.2.bn3']['feeds'][0]['call'] == -1
    assert "bn='backbone.layer1.2.bn3', shape (1, 256, 8, 8)" in printed
    assert "bn='backbone.layer2.3.bn3', shape (1, 512, 4, 4)" in printed


class FunctionalTail(nn.Module):
    """conv -> bn -> (x * 1, out of place) -> GELU module -> F.relu, then a pass-through."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.act = nn.GELU()
        self.block = nn.Sequential(nn.Conv2d(4, 4, 1), nn.BatchNorm2d(4), nn.ReLU())
        self.keep = nn.Identity()

    def forward(self, inputs, data_samples=None, mode='tensor'):
        x = self.act(self.bn(self.conv(inputs)) * 1.0)
        x = self.keep(self.block(x))
        return torch.relu(x)


def test_heuristics_order_fallback_and_post_act():
    model = FunctionalTail()
    rows = by_name(analysis.build_rows(analysis.trace_model(model, (6, 5))))
    # no tensor identity (the product is a new tensor): linked by call order, and said so
    assert rows['bn']['role'] == 'pre-act (norm)'
    assert rows['bn']['feeds'][0]['detected_by'] == 'order'
    assert rows['act']['role'] == 'activation' and not rows['act']['inplace']
    assert rows['act']['output_shapes'] == [[1, 4, 6, 5]]
    assert rows['block.1']['feeds'][0]['detected_by'] == 'identity'
    assert rows['block']['role'] == 'post-act'
    assert rows['block']['produced_by'] == dict(source='block.2', call=-1)
    assert rows['keep']['role'] == 'post-act'  # returns the ReLU output object unchanged
    assert rows['conv']['role'] == '-'
    assert all(not name.startswith('relu') for name in rows)  # functional ops have no row


@pytest.mark.skipif(not osp.isfile(osp.join(REPO, 'configs', 'overhaul_ssd_r50_r18_toy.py')),
                    reason='OFD SSD config missing')
def test_ssd_teacher_stage1(monkeypatch, capsys):
    monkeypatch.chdir(REPO)  # the teacher config path in the distillation config is repo-relative
    rows = by_name(tool.main(['configs/overhaul_ssd_r50_r18_toy.py', '--model', 'teacher',
                              '--filter', 'layer1']))
    printed = capsys.readouterr().out
    assert '(1, 3, 300, 300)' in printed  # the distiller's input_size
    # 300 px: stride-2 conv 150, max-pool 75; Bottleneck expansion 4 -> 256 channels
    assert rows['backbone.layer1.2.relu']['output_shapes'][-1] == [1, 256, 75, 75]
    assert rows['backbone.layer1.2.bn3']['feeds'][0]['source'] == 'backbone.layer1.2.relu'
    assert "layer3: dict(source='backbone.layer3.5.relu', io='input', call=-1), " \
        "bn='backbone.layer3.5.bn3', shape (1, 1024, 19, 19)" in printed


# ------------------------------------------------------------------------------ readable rows
def test_rows_fit_the_width_and_full_width_keeps_one_line_per_row(r18_config, capsys, monkeypatch):
    # the header names the config, a word that no width wraps: a short relative path keeps it inside 80
    monkeypatch.chdir(osp.dirname(r18_config))
    r18_config = osp.basename(r18_config)
    rows = tool.main([r18_config, '--input-size', '32', '32'])
    printed = capsys.readouterr().out
    assert max(len(line) for line in printed.splitlines()) <= 120
    # a note that does not fit goes under its row, indented, with its recorder whole
    lines = printed.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith('backbone.layer1.1.relu '))
    assert lines[at + 1] == ("    pre-activation = dict(source='backbone.layer1.1.relu', io='input', call=-1); "
                             'fed by backbone.layer1.1.bn2')

    tool.main([r18_config, '--input-size', '32', '32', '--width', '80'])
    narrow = capsys.readouterr().out.splitlines()
    table = narrow[narrow.index('') - 1::-1]  # the lines above the suggestions
    assert max(len(line) for line in table) <= 80
    assert "    feeds dict(source='backbone.layer1.1.relu', io='input', call=-1)" in narrow

    tool.main([r18_config, '--input-size', '32', '32', '--full-width'])
    full = capsys.readouterr().out.splitlines()
    table = [line for line in full if line.split(' ')[0] in {r['name'] for r in rows}]
    assert len(table) == len(rows) and max(len(line) for line in full) > 120
    relu = next(line for line in table if line.startswith('backbone.layer1.1.relu '))
    assert relu.endswith("pre-activation = dict(source='backbone.layer1.1.relu', io='input', call=-1); "
                         'fed by backbone.layer1.1.bn2')

    with pytest.raises(SystemExit):
        tool.main([r18_config, '--width', '20'])
    assert '--width must be at least 80' in capsys.readouterr().err


def test_long_names_types_and_per_call_shapes_are_fitted():
    row = dict(name='decode_head.' + 'very_long_module_name.' * 2 + 'activate',
               type='DepthwiseSeparableConvModule', calls=3,
               output_shapes=[[1, 64, 8, 8], [1, 64, 8, 8], [1, 256, 8, 8]], role='activation', inplace=True,
               note="pre-activation = dict(source='x.activate', io='input', call=-1); fed by x.bn")
    short = dict(row, name='conv', type='Conv2d', calls=1, output_shapes=[[1, 8, 4, 4]], role='-',
                 inplace=False, note='')
    lines = analysis.format_table([row, short], width=80).splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    assert lines[2] == row['name']  # a name longer than its column has a line of its own
    assert lines[3].split() == ['DepthwiseSeparableCon~', '3', '#0', '(1,', '64,', '8,', '8)', 'activation',
                                '(in-place)']
    assert [line.strip() for line in lines[4:6]] == ['#1 (1, 64, 8, 8)', '#2 (1, 256, 8, 8)']
    assert lines[6] == "    pre-activation = dict(source='x.activate', io='input', call=-1); fed by x.bn"
    assert lines[7].split() == ['conv', 'Conv2d', '1', '(1,', '8,', '4,', '4)', '-']
    assert len(lines) == 8
    seg = dict(row, name='decode_head.sep_bottleneck.1.pointwise_conv.activate')  # 52 characters
    wide = analysis.format_table([seg, short]).splitlines()  # 120: shorter type names let the name fit
    assert len(wide) == 7 and wide[2].startswith(seg['name'] + '  DepthwiseSeparab~  3')
    assert all(len(line) <= 120 for line in wide)
    assert len(analysis.format_table([row, short], width=None).splitlines()) == 4  # header, rule, 2 rows


# ------------------------------------------------------------------------------ containers
class Containers(nn.Module):
    """A ModuleList whose items are called, a head whose forward is run directly (no hooks fire on the
    head itself), and a ModuleList that is never used."""

    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(3, 4, 1), nn.Conv2d(4, 4, 1)])
        self.head = nn.Sequential(nn.Conv2d(4, 2, 1), nn.ReLU())
        self.unused = nn.ModuleList([nn.Conv2d(4, 4, 1)])

    def forward(self, inputs, data_samples=None, mode='tensor'):
        for conv in self.convs:
            inputs = conv(inputs)
        return self.head.forward(inputs)


def test_containers_are_marked_as_containers(capsys):
    rows = by_name(analysis.build_rows(analysis.trace_model(Containers(), (4, 4))))
    for name, count in (('convs', 2), ('head', 2)):
        assert rows[name]['calls'] == 0 and rows[name]['role'] == 'container', rows[name]
        assert rows[name]['called_submodules'] == count
        assert rows[name]['note'] == f'not called itself; {count} of its submodules are: record those'
    assert rows['convs.1']['calls'] == rows['head.1']['calls'] == 1
    assert rows['unused']['role'] == '-' and rows['unused']['note'] == "not called in mode='tensor'"
    assert rows['unused.0']['role'] == '-'
    table = analysis.format_table(list(rows.values()))
    assert any(line.startswith('convs ') and 'container' in line for line in table.splitlines())


# ------------------------------------------------------------------------------ written points
@pytest.fixture
def distill_config(tmp_path, r18_config):
    return write_distill_config(tmp_path, r18_config, None)


def test_written_points_load_and_build_a_distiller(tmp_path, distill_config, capsys):
    from mmengine.config import Config

    from mmkd.registry import MODELS

    out = tmp_path / 'points' / 'ofd_points.py'
    tool.main([distill_config, '--filter', 'layer1', '--write-points', str(out), '--loss-weight', '1e-3'])
    assert f'2 OFD point(s) written to {out}' in capsys.readouterr().out
    points = Config.fromfile(str(out)).ofd_points
    assert list(points) == ['stage1', 'stage2']
    assert points.stage1.student == dict(source='backbone.layer1.1.relu', io='input', call=-1)
    assert points.stage1.teacher == dict(source='backbone.layer1.2.relu', io='input', call=-1)
    assert points.stage2.teacher_transform == dict(type='mmkd.MarginReLU', bn='backbone.layer2.3.bn3')
    assert points.stage2.connector == dict(type='mmkd.ConvBNConnector')  # same 4x4 maps: no resize
    assert [points[k].loss.loss_weight for k in points] == [5e-4, 1e-3]
    assert "model = dict(teacher_bn='train', distill_points={{_base_.ofd_points}})" in out.read_text()

    # the same from the teacher's side
    other = tmp_path / 'from_teacher.py'
    tool.main([distill_config, '--model', 'teacher', '--filter', 'x^', '--write-points', str(other),
               '--loss-weight', '1e-3'])
    assert Config.fromfile(str(other)).ofd_points == points

    child = tmp_path / 'ofd.py'
    child.write_text(f"_base_ = ['{distill_config}', '{out}']\n"
                     "model = dict(teacher_bn='train', distill_points={{_base_.ofd_points}})\n")
    cfg = Config.fromfile(str(child))
    distiller = MODELS.build(cfg.model)
    assert type(distiller).__name__ == 'FeatureDistiller'
    assert set(distiller.distill_points) == {'stage1', 'stage2'}
    conv = distiller.distill_points['stage2'].connector.conv
    assert (conv.in_channels, conv.out_channels) == (128, 512)  # inferred by the dry forward


def test_write_points_errors_and_pairing(r18_config, tmp_path, capsys):
    with pytest.raises(SystemExit):
        tool.main([r18_config, '--write-points', str(tmp_path / 'p.py')])
    assert '--write-points pairs a student with its teacher: pass a distillation config' in \
        capsys.readouterr().err
    assert not (tmp_path / 'p.py').exists()

    def point(stage, shape):
        return dict(stage=stage, position=dict(source=f'{stage}.relu', io='input', call=-1), bn=f'{stage}.bn',
                    shape=shape)

    student = [point('s1', [1, 8, 16, 16]), point('s2', [1, 16, 8, 8]), point('s3', [1, 32, 4, 4])]
    teacher = [point('t1', [1, 64, 8, 8]), point('t2', [1, 128, 4, 4])]
    pairs = analysis.pair_points(student, teacher)
    assert [(s['stage'], t['stage']) for s, t in pairs] == [('s2', 't1'), ('s3', 't2')]  # same sizes
    text = analysis.points_config(pairs, 1e-4, ['header'])
    namespace = {}
    exec(text, namespace)
    assert namespace['ofd_points']['stage1']['connector'] == dict(type='mmkd.ConvBNConnector')
    # sizes pair up even when they are not the deepest points of the student
    teacher[0]['shape'] = [1, 64, 16, 16]
    assert [(s['stage'], t['stage']) for s, t in analysis.pair_points(student, teacher)] == [('s1', 't1'),
                                                                                         ('s3', 't2')]
    # several student points at one size (MobileNetV2 layers): the deepest of them; a teacher size the
    # student lacks is left out
    student.insert(1, point('s1b', [1, 8, 16, 16]))
    teacher.append(point('t3', [1, 256, 2, 2]))
    assert [(s['stage'], t['stage']) for s, t in analysis.pair_points(student, teacher)] == [('s1b', 't1'),
                                                                                         ('s3', 't2')]
    # no size in common: the deepest points stage by stage, the connectors resize
    teacher = [point('t1', [1, 64, 12, 12]), point('t2', [1, 128, 6, 6])]
    pairs = analysis.pair_points(student, teacher)
    assert [(s['stage'], t['stage']) for s, t in pairs] == [('s2', 't1'), ('s3', 't2')]
    namespace = {}
    exec(analysis.points_config(pairs, 1e-4, ['header']), namespace)
    resized = dict(type='mmkd.ConvBNConnector', resize='bilinear')
    assert namespace['ofd_points']['stage1']['connector'] == resized
    assert namespace['ofd_points']['stage2']['connector'] == resized


# the OFD configs whose MobileNetV2 student positions are pre-ReLU6 expansions, and their points file
MBV2_OFD = [('configs/overhaul_ssd_r50_mbv2_toy.py', 'configs/_base_/distill/ofd_ssd_r50_mbv2.py'),
            pytest.param('configs/overhaul_deeplabv3plus_r101_mbv2_toy.py',
                         'configs/_base_/distill/ofd_deeplabv3plus_r101_mbv2.py', marks=pytest.mark.slow)]


@pytest.mark.parametrize('config,points_file', MBV2_OFD)
def test_write_points_gives_the_mobilenetv2_positions_of_the_ofd_configs(config, points_file, tmp_path,
                                                                          monkeypatch, capsys):
    """mmdet's (SSDLite) and mmseg's (DeepLabV3+) MobileNetV2: the expansion conv's pre-ReLU6 input of the
    layers after each output and after the last layer at each resolution, paired with the teacher stage of
    the same size: the positions, margins and halving weights the OFD configs use."""
    from mmengine.config import Config

    monkeypatch.chdir(REPO)
    out = tmp_path / 'ofd_points.py'
    tool.main([config, '--filter', 'x^', '--write-points', str(out)])
    printed = capsys.readouterr().out
    expected = Config.fromfile(points_file).ofd_points
    written = Config.fromfile(str(out)).ofd_points
    # the configs' backbone points (the DeepLabV3+ ones also distil two head positions)
    backbone = [p for p in expected.values() if p.student.source.startswith('backbone.')]
    assert [(p.student.source, p.student.io) for p in written.values()] == \
        [(p.student.source, p.student.io) for p in backbone]
    assert [p.teacher for p in written.values()] == [p.teacher for p in backbone]
    assert [p.teacher_transform for p in written.values()] == [p.teacher_transform for p in backbone]
    weights = [p.loss.loss_weight for p in written.values()]
    assert weights == [1e-4 / 2 ** (len(weights) - 1 - k) for k in range(len(weights))]
    if 'ssd' in config:
        assert weights == [p.loss.loss_weight for p in backbone]  # 1e-4 / (4, 2, 1)
        # every expansion of mmdet's inverted residuals is listed, with its BN and its shape at 300 px
        for layer, channels, size in (('layer2', 96, 150), ('layer3', 144, 75), ('layer4', 192, 38),
                                      ('layer6', 576, 19)):
            assert (f"dict(source='backbone.{layer}.0.expand_conv.activate', io='input', call=-1), "
                    f"bn='backbone.{layer}.0.expand_conv.bn', shape (1, {channels}, {size}, {size})") in printed
        assert "bn='backbone.conv2.bn', shape (1, 1280, 10, 10)" in printed
        assert 'left out' not in out.read_text()
