"""tools/analysis/plot_logs.py: keys, subplots and curves from two fake runs, the PNG, and bad keys."""
import importlib.util
import json
import os.path as osp
import subprocess
import sys

import pytest

from conftest import REPO

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def load_tool():
    spec = importlib.util.spec_from_file_location('plot_logs', osp.join(REPO, 'tools', 'analysis',
                                                                         'plot_logs.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = load_tool()


def write_run(work_dir, lines, timestamp='20240101_000000'):
    """A work dir laid out like MMEngine's: <work_dir>/<timestamp>/vis_data/scalars.json."""
    path = work_dir / timestamp / 'vis_data' / 'scalars.json'
    path.parent.mkdir(parents=True)
    path.write_text('\n'.join(json.dumps(line) for line in lines) + '\n')
    return path


def train_line(it, **values):
    return dict(lr=0.1, data_time=0.01, time=0.2, iter=it, step=it, **values)


@pytest.fixture
def runs(tmp_path):
    """A baseline (task loss only) and a distilled run (two distillation points and diagnostics)."""
    baseline = tmp_path / 'baseline'
    write_run(baseline, [
        train_line(10, loss=2.3, loss_cls=2.3, acc_top1=10.0),
        train_line(20, loss=2.1, loss_cls=2.1, acc_top1=20.0),
        {'accuracy/top1': 30.0, 'data_time': 0.1, 'time': 0.3, 'step': 0},
        train_line(30, loss=1.9, loss_cls=1.9, acc_top1=30.0),
    ])
    distilled = tmp_path / 'distilled'
    write_run(distilled, [
        train_line(10, loss=5.0, loss_cls=2.2, loss_distill_stage1=1.5, loss_distill_stage2=1.3,
                   distill_kl=0.9, student_ce=2.2),
        train_line(20, loss=4.0, loss_cls=2.0, loss_distill_stage1=1.1, loss_distill_stage2=0.9,
                   distill_kl=0.7, student_ce=2.0),
        {'accuracy/top1': 35.0, 'data_time': 0.1, 'time': 0.3, 'step': 0},
    ])
    return str(baseline), str(distilled)


def curves(ax):
    return {line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in ax.get_lines()}


def test_default_keys_subplots_and_lines(runs):
    fig = tool.plot_logs(runs, legend=['baseline', 'kd'])
    titles = [ax.get_title() for ax in fig.axes]
    # losses (total first, task, then distillation points), diagnostics, validation metrics;
    # lr / time / acc_top1 are not plotted by default
    assert titles == ['loss', 'loss_cls', 'loss_distill_stage1', 'loss_distill_stage2', 'distill_kl',
                      'student_ce', 'accuracy/top1']
    lines_per_plot = [len(ax.get_lines()) for ax in fig.axes]
    assert lines_per_plot == [2, 2, 1, 1, 1, 1, 2]
    assert sum(lines_per_plot) == 10
    loss = curves(fig.axes[0])
    assert loss['baseline'] == ([10, 20, 30], [2.3, 2.1, 1.9])
    assert loss['kd'] == ([10, 20], [5.0, 4.0])
    # a validation value sits at the iteration of the training line logged before it
    metric = curves(fig.axes[-1])
    assert metric == {'baseline': ([20], [30.0]), 'kd': ([20], [35.0])}
    # a run keeps its colour in every subplot, also where the other run has no curve
    kd_colours = {ax.get_title(): line.get_color() for ax in fig.axes for line in ax.get_lines()
                  if line.get_label() == 'kd'}
    assert len(set(kd_colours.values())) == 1


def test_selected_keys_and_scalars_file(runs):
    scalars = tool.find_scalars(runs[1])
    assert scalars.endswith(osp.join('vis_data', 'scalars.json'))
    fig = tool.plot_logs([runs[0], scalars], keys=['acc_top1', 'loss_distill_stage2', 'lr'])
    assert [ax.get_title() for ax in fig.axes] == ['acc_top1', 'loss_distill_stage2', 'lr']
    assert [len(ax.get_lines()) for ax in fig.axes] == [1, 1, 2]
    assert [line.get_label() for line in fig.axes[0].get_lines()] == [runs[0]]


def test_newest_run_of_a_work_dir(tmp_path):
    write_run(tmp_path, [train_line(10, loss=9.0)], timestamp='20240101_000000')
    write_run(tmp_path, [train_line(10, loss=1.0)], timestamp='20240102_000000')
    fig = tool.plot_logs([str(tmp_path)])
    assert curves(fig.axes[0])[str(tmp_path)] == ([10], [1.0])


def test_cli_writes_a_png(runs, tmp_path):
    out = tmp_path / 'plots' / 'curves.png'
    proc = subprocess.run([sys.executable, osp.join(REPO, 'tools', 'analysis', 'plot_logs.py'), *runs,
                           '--legend', 'baseline', 'kd', '--keys', 'loss', 'accuracy/top1', '--out', str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert 'saved 2 plot(s) of 2 run(s)' in proc.stdout
    data = out.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b'IHDR'
    width, height = int.from_bytes(data[16:20], 'big'), int.from_bytes(data[20:24], 'big')
    assert width > 300 and height > 200
    assert data[-8:-4] == b'IEND'


def test_unknown_key_lists_available_keys(runs, tmp_path):
    with pytest.raises(ValueError, match=r'unknown key\(s\) loss_foo.*available keys: .*loss_cls.*'
                                         r'loss_distill_stage1.*accuracy/top1'):
        tool.plot_logs(runs, keys=['loss', 'loss_foo'])
    out = tmp_path / 'never.png'
    proc = subprocess.run([sys.executable, osp.join(REPO, 'tools', 'analysis', 'plot_logs.py'), *runs,
                           '--keys', 'loss_foo', '--out', str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert 'unknown key(s) loss_foo' in proc.stderr and 'available keys' in proc.stderr
    assert not out.exists()


def test_bad_inputs(runs, tmp_path):
    with pytest.raises(ValueError, match='one name per run'):
        tool.plot_logs(runs, legend=['only_one'])
    empty = tmp_path / 'empty_dir'
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match='no vis_data/scalars.json'):
        tool.plot_logs([str(empty)])
    bad = tmp_path / 'bad.json'
    bad.write_text('{"loss": 1.0, "iter": 1}\nnot json\n')
    with pytest.raises(ValueError, match='bad.json:2 is not a JSON object'):
        tool.plot_logs([str(bad)])


def test_teacher_metrics_are_reference_lines(runs, tmp_path):
    """A run that logged ``teacher/accuracy/top1`` (mmkd.TeacherEvalHook, before training) gets a dashed
    horizontal line in its colour in the accuracy/top1 subplot, and no subplot of its own."""
    distilled = tmp_path / 'with_teacher'
    write_run(distilled, [
        {'teacher/accuracy/top1': 60.0, 'step': 0},
        train_line(10, loss=5.0, loss_cls=2.2),
        {'accuracy/top1': 35.0, 'data_time': 0.1, 'time': 0.3, 'step': 0},
    ])
    fig = tool.plot_logs([runs[0], str(distilled)], legend=['baseline', 'kd'])
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ['loss', 'loss_cls', 'accuracy/top1']
    lines = {line.get_label(): line for line in fig.axes[-1].get_lines()}
    assert set(lines) == {'baseline', 'kd', 'kd teacher'}
    reference = lines['kd teacher']
    assert list(reference.get_ydata()) == [60.0, 60.0] and reference.get_linestyle() == '--'
    assert reference.get_color() == lines['kd'].get_color() != lines['baseline'].get_color()
    assert list(lines['kd'].get_xdata()) == [10]

    hidden = tool.plot_logs([runs[0], str(distilled)], legend=['baseline', 'kd'], teacher=False)
    assert [line.get_label() for line in hidden.axes[-1].get_lines()] == ['baseline', 'kd']
    explicit = tool.plot_logs([str(distilled)], keys=['teacher/accuracy/top1'])
    assert curves(explicit.axes[0])[str(distilled)] == ([0], [60.0])

    # a smoke run that stopped before its first validation still shows the teacher's value
    smoke = tmp_path / 'smoke'
    write_run(smoke, [{'teacher/accuracy/top1': 55.0, 'step': 0}, train_line(2, loss=5.0)])
    fig = tool.plot_logs([str(smoke)], legend=['smoke'])
    assert [ax.get_title() for ax in fig.axes] == ['loss', 'accuracy/top1']
    assert [line.get_label() for line in fig.axes[1].get_lines()] == ['smoke teacher']
    assert tool.main([str(smoke), '--no-teacher', '--keys', 'loss', '--out', str(tmp_path / 'p.png')]) is None
