#!/usr/bin/env bash
# Set up (or reuse) the environment, then run the whole test suite, slow end-to-end tests included.
# The tests run in parallel, one pytest-xdist worker per core (at most 4; MMKD_TEST_WORKERS=N to choose,
# 0 for one process), each test file in one worker so that its fixtures are built once.
# Extra arguments go to pytest, e.g. `bash tools/run_tests.sh -m "not slow"` for the fast part only.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(bash tools/setup_env.sh)
cores=$(nproc)
workers=${MMKD_TEST_WORKERS:-$(( cores < 4 ? cores : 4 ))}
[ "$workers" -gt 1 ] || workers=0
exec "$venv/bin/python" -m pytest -n "$workers" --dist loadfile "$@"
