"""tools/setup_env.sh on a warm machine: it reuses the cached environment and leaves mmkd's install alone.

A reinstall uninstalls first, so a warm call that reinstalled would break ``import mmkd`` for every job of
the same environment starting meanwhile (two drivers or a test run beside a training run).
"""
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import REPO


def _install_files(venv: Path) -> dict:
    site = Path(sysconfig.get_paths()['purelib'])
    files = list(site.glob('mmkd*')) + list(site.glob('__editable__*mmkd*')) + list(venv.glob('.mmkd-*'))
    return {str(p): (p.stat().st_ino, p.stat().st_mtime_ns) for p in files}


def test_warm_setup_env_reuses_the_environment_and_does_not_reinstall_mmkd():
    venv = Path(sys.prefix)
    if not (venv / '.mmkd-ready').is_file():
        pytest.skip('the suite is not running inside the environment tools/setup_env.sh prepares')
    before = _install_files(venv)
    assert any('.mmkd-editable-' in p for p in before), sorted(before)
    proc = subprocess.run(['bash', 'tools/setup_env.sh'], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert Path(proc.stdout.strip()) == venv
    assert 'building' not in proc.stderr and 'creating' not in proc.stderr, proc.stderr
    assert _install_files(venv) == before
