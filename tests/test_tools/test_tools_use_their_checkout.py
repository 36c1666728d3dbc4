"""Each checkout's tools run that checkout's mmkd, whichever clone the shared environment's editable install
points at: two copies of this checkout, each marked, run side by side with the same Python."""
import glob
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

import pytest

from conftest import REPO

BOOTSTRAP = "sys.path.insert(0, osp.realpath(__file__).rsplit('/tools/', 1)[0])"
MMKD_IMPORT = re.compile(r'^\s*(from mmkd\b|import mmkd\b)', re.M)


def tool_scripts():
    return sorted(osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'tools', '**', '*.py'), recursive=True))


@pytest.mark.parametrize('tool', [t for t in tool_scripts()
                                  if MMKD_IMPORT.search(open(osp.join(REPO, t)).read())])
def test_every_tool_puts_its_checkout_first_before_importing_mmkd(tool):
    source = open(osp.join(REPO, tool)).read()
    assert BOOTSTRAP in source, f'{tool} does not put its checkout first on sys.path'
    assert source.index(BOOTSTRAP) < MMKD_IMPORT.search(source).start(), tool


def checkout_copy(root, name):
    """This checkout's mmkd and tools under ``root/name``; importing its mmkd prints where it lives."""
    dest = root / name
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc')
    for part in ('mmkd', 'tools'):
        shutil.copytree(osp.join(REPO, part), dest / part, ignore=ignore)
    with open(dest / 'mmkd' / '__init__.py', 'a') as f:
        f.write("\nimport sys as _sys\nprint('mmkd imported from', __file__, file=_sys.stderr)\n")
    return dest


def imported_from(tool_path, *args, cwd):
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env['OMP_NUM_THREADS'] = '1'
    proc = subprocess.run([sys.executable, str(tool_path), *args], cwd=str(cwd), env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return re.findall(r'mmkd imported from (\S+)', proc.stderr)


@pytest.mark.parametrize('tool', ['tools/train.py', 'tools/model_converters/distill_to_student.py',
                                  'tools/analysis/seed_table.py'])
def test_two_checkouts_sharing_one_environment_each_run_their_own_code(tmp_path, tool):
    """Each copy's tool, run from inside the other copy, imports its own copy's mmkd (not the other's, nor
    the installed one)."""
    a, b = (checkout_copy(tmp_path, name) for name in ('a', 'b'))
    for clone, cwd in ((a, b), (b, a)):
        assert imported_from(clone / tool, '--help', cwd=cwd) == [str(clone / 'mmkd' / '__init__.py')]
