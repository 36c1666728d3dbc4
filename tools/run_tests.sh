#!/usr/bin/env bash
# Set up (or reuse) the environment, then run the whole test suite, slow end-to-end tests included.
# Extra arguments go to pytest, e.g. `bash tools/run_tests.sh -m "not slow"` for the fast part only.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(bash tools/setup_env.sh)
exec "$venv/bin/python" -m pytest "$@"
