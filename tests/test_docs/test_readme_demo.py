"""The README's main command, shortened to two iterations per training."""
import json
import os
import subprocess

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow


def test_run_demo_end_to_end(tmp_path):
    env = dict(os.environ, ITERS='2', WORK_DIRS=str(tmp_path))
    proc = subprocess.run(['bash', 'tools/run_demo.sh'], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=1800)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    student_dir = tmp_path / 'overhaul_ssd_r50_r18_toy'
    distiller = json.loads((student_dir / 'distiller_test.json').read_text())
    exported = json.loads((student_dir / 'student_test.json').read_text())
    assert distiller.keys() == exported.keys() and 'pascal_voc/mAP' in distiller
    # the exported plain-mmdet student scores exactly what the distiller's student scored
    assert distiller == exported
    assert (student_dir / 'iter_2_student.pth').is_file()
