#!/usr/bin/env bash
# Prepare (or reuse) mmkd's Python environment and print its path.
#
# The environment and the mmcv wheel live outside the clone, in $MMKD_CACHE (default ~/.cache/mmkd): the
# environment keyed by a hash of the pinned requirements and the Python version, the wheel by what it is
# compiled against (the Python version, the build pins, torch and mmcv). A warm machine reuses both; a new
# test or runtime pin makes a new environment from the same wheel. mmcv 2.1.0 is compiled once with its
# ops (about 15 minutes on 2 cores).
# Usage: source <(bash tools/setup_env.sh --exports)   or   VENV=$(bash tools/setup_env.sh)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=${MMKD_PYTHON:-python3}
cache=${MMKD_CACHE:-$HOME/.cache/mmkd}
key=$( { "$python" --version; cat "$root"/requirements/build.txt "$root"/requirements/runtime.txt \
         "$root"/requirements/tests.txt; } | sha256sum | cut -c1-12)
wheel_key=$( { "$python" --version; cat "$root"/requirements/build.txt;
               grep -E '^(torch|mmcv)==' "$root"/requirements/runtime.txt; } | sha256sum | cut -c1-12)
venv=$cache/venv-$key
wheels=$cache/wheels-$wheel_key
log() { echo "[setup_env] $*" >&2; }

mkdir -p "$cache" "$wheels"
exec 9>"$cache/.lock-$key"
flock 9

if [ ! -f "$venv/.mmkd-ready" ]; then
  log "creating $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  pip=("$venv/bin/python" -m pip install -q)
  # torch first: it pulls a newer setuptools, which the build pins must then override.
  "${pip[@]}" "$(grep '^torch==' "$root/requirements/runtime.txt")" \
    "$(grep '^numpy==' "$root/requirements/runtime.txt")"
  "${pip[@]}" -r "$root/requirements/build.txt"
  mmcv_pin=$(grep '^mmcv==' "$root/requirements/runtime.txt")
  exec 8>"$wheels/.lock"  # environments of other pins share the wheel: one builds it
  flock 8
  if ! ls "$wheels"/mmcv-*.whl >/dev/null 2>&1; then
    log "building $mmcv_pin with ops (cached in $wheels; about 15 minutes on 2 cores)"
    # mmcv's setup.py imports torch and mmengine-free build deps from the venv itself.
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} FORCE_CUDA=${FORCE_CUDA:-0} \
      "$venv/bin/python" -m pip wheel -q --no-build-isolation --no-deps -w "$wheels" "$mmcv_pin"
  fi
  flock -u 8
  "${pip[@]}" --find-links "$wheels" -r "$root/requirements/runtime.txt" -r "$root/requirements/tests.txt"
  # torch 2.13 asks for setuptools>=77, which drops pkg_resources that mmengine/mmcv import: restore the pin.
  "${pip[@]}" --no-deps -r "$root/requirements/build.txt"
  "$venv/bin/python" -c "import mmcv.ops, mmdet.models, mmseg.models" \
    || { log "the environment does not import mmcv.ops/mmdet/mmseg"; exit 1; }
  touch "$venv/.mmkd-ready"
fi
# The package itself: an editable install of this clone, for `import mmkd` outside the tools. The tools
# put their own checkout first on sys.path, so clones sharing this venv each run their own code whichever
# clone the install points at. It is redone only when the venv points at another clone or setup.py
# changed: reinstalling uninstalls first, so an unconditional reinstall breaks a plain `import mmkd` for
# any job of the same venv that starts meanwhile. The check runs in / so that the current directory does
# not hide where the install points.
stamp="$venv/.mmkd-editable-$( { echo "$root"; cat "$root/setup.py"; } | sha256sum | cut -c1-12)"
if [ ! -f "$stamp" ] || ! (cd / && "$venv/bin/python" -c \
    'import os, sys, mmkd; sys.exit(os.path.dirname(os.path.abspath(mmkd.__file__)) != sys.argv[1])' \
    "$root/mmkd" 2>/dev/null); then
  "$venv/bin/python" -m pip install -q --no-deps --no-build-isolation -e "$root" >&2
  rm -f "$venv"/.mmkd-editable-*
  touch "$stamp"
fi
if [ "${1:-}" = "--exports" ]; then
  echo "export PATH=$venv/bin:\$PATH VIRTUAL_ENV=$venv"
else
  echo "$venv"
fi
