import math
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.registry import init_default_scope

from mmkd import compat

compat.apply()  # the tests read checkpoints with torch.load, like the tools do

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(autouse=True)
def mmkd_default_scope():
    """Each test starts in the ``mmkd`` scope, whatever scope an earlier test switched to."""
    init_default_scope('mmkd')


@pytest.fixture(scope='session')
def toy_workspace(tmp_path_factory):
    """A folder laid out like the repo root (configs/ linked, a small data/toy generated) for tools."""
    root = tmp_path_factory.mktemp('workspace')
    os.symlink(osp.join(REPO, 'configs'), root / 'configs')
    run_tool(root, 'tools/misc/make_toy_data.py', '--out', 'data/toy', '--voc07-trainval', '24',
             '--voc07-test', '8', '--voc12-trainval', '16', '--seg-train', '24', '--seg-val', '8',
             '--cifar-train', '200', '--cifar-test', '40')
    return root


def run_tool(cwd, script, *args, launcher=None, timeout=900):
    """Run ``tools/<script>`` (or a shell launcher) in ``cwd``; return its output, fail with it."""
    path = osp.join(REPO, script)
    cmd = ['bash', path, *args] if script.endswith('.sh') else [sys.executable, path, *args]
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    env.setdefault('OMP_NUM_THREADS', '2')
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env.get('PATH', '')
    proc = subprocess.run(cmd, cwd=str(cwd), env=env, capture_output=True, text=True, timeout=timeout)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        pytest.fail(f'{" ".join(cmd)} exited {proc.returncode}:\n{out[-6000:]}')
    return out


def run_fresh(script, *args, cwd):
    """Python ``script`` with ``args`` in a fresh interpreter that finds this checkout's mmkd as an installed
    package (and nothing else of the tests); its stdout, fail with its output."""
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, '-c', script, *map(str, args)], cwd=str(cwd), env=env,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f'fresh interpreter exited {proc.returncode}:\n{(proc.stdout + proc.stderr)[-6000:]}')
    return proc.stdout


def total(losses):
    """The sum of a loss dict's entries whose key starts with ``loss``."""
    return sum(v for k, v in losses.items() if k.startswith('loss'))


def kl_by_hand(target_logits, logits, tau):
    """tau^2 * mean over rows of sum_c p_t log(p_t / p_s), with plain Python floats."""
    out = 0.0
    for t_row, s_row in zip(target_logits, logits):
        t_exp = [math.exp(v / tau) for v in t_row]
        s_exp = [math.exp(v / tau) for v in s_row]
        p_t = [v / sum(t_exp) for v in t_exp]
        p_s = [v / sum(s_exp) for v in s_exp]
        out += sum(a * math.log(a / b) for a, b in zip(p_t, p_s))
    return tau ** 2 * out / len(logits)


def ce_by_hand(logits, labels):
    """Mean cross-entropy of logits rows to integer labels, with plain Python floats."""
    return sum(math.log(sum(math.exp(v) for v in row)) - row[y] for row, y in zip(logits, labels)) / len(labels)
