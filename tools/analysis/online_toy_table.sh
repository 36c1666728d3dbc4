#!/usr/bin/env bash
# The online / self-distillation runs of docs/results.md on the toy classification data (200-iteration
# toy schedule, ResNet-18 everywhere): Born-Again generations 1-3 and their ensemble (generation 1 is the
# student trained alone), a DML pair, ONE, collaborative learning and rocket launching, for each seed in
# SEEDS (default "0 1 2"), under WORK_DIR (default work_dirs/online_table). Finished runs are reused.
set -euo pipefail
cd "$(dirname "$0")/../.."
W=${WORK_DIR:-work_dirs/online_table}
test_run() {  # config, run dir, output json, cfg-options...
  local cfg=$1 dir=$2 out=$3; shift 3
  [ -f "$dir/$out" ] || python tools/test.py "$cfg" "$dir/iter_200.pth" --work-dir "$dir" --out "$dir/$out" "$@"
}
for s in ${SEEDS:-0 1 2}; do
  python tools/born_again.py configs/ban/ban_cls_r18_toy.py --generations 3 --work-dir "$W/ban_seed$s" --seed "$s"
  for cfg in dml/dml_cls_r18_r18_toy one/one_cls_r18_toy collaborative/cl_cls_r18_toy rocket/rocket_cls_r18_toy; do
    dir=$W/$(basename $cfg)_seed$s
    [ -f "$dir/iter_200.pth" ] || python tools/train.py "configs/$cfg.py" --work-dir "$dir" \
      --cfg-options randomness.seed="$s"
  done
  test_run configs/dml/dml_cls_r18_r18_toy.py "$W/dml_cls_r18_r18_toy_seed$s" test_a.json --cfg-options model.predict_peer=a
  test_run configs/dml/dml_cls_r18_r18_toy.py "$W/dml_cls_r18_r18_toy_seed$s" test_b.json --cfg-options model.predict_peer=b
  test_run configs/one/one_cls_r18_toy.py "$W/one_cls_r18_toy_seed$s" test_ensemble.json
  test_run configs/one/one_cls_r18_toy.py "$W/one_cls_r18_toy_seed$s" test_branch0.json --cfg-options model.predict_branch=0
  test_run configs/collaborative/cl_cls_r18_toy.py "$W/cl_cls_r18_toy_seed$s" test_head0.json --cfg-options model.predict_head=0
  test_run configs/rocket/rocket_cls_r18_toy.py "$W/rocket_cls_r18_toy_seed$s" test_light.json
done
