#!/usr/bin/env bash
# The main job end to end on the bundled toy data: set up the environment, make the toy VOC data, train
# the SSD300 ResNet-50 teacher, distil the SSD300 ResNet-18 student with Overhaul feature distillation,
# evaluate it, and export the student as a plain mmdet checkpoint that is evaluated once more.
# ITERS (default 100; the toy configs schedule 200) sets both trainings' length; WORK_DIRS (default
# work_dirs) where runs are written.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(bash tools/setup_env.sh)
export PATH="$venv/bin:$PATH"
iters=${ITERS:-100}
data=data/toy
work=${WORK_DIRS:-work_dirs}
teacher_dir=$work/ssd300_r50_toy
student_dir=$work/overhaul_ssd_r50_r18_toy
opts=(train_cfg.max_iters="$iters" train_cfg.val_interval="$iters")

[ -f "$data/VOCdevkit/VOC2007/ImageSets/Main/test.txt" ] || python tools/misc/make_toy_data.py --out "$data"
python tools/train.py configs/ssd/ssd300_r50_toy.py --work-dir "$teacher_dir" --cfg-options "${opts[@]}"
python tools/train.py configs/overhaul_ssd_r50_r18_toy.py --work-dir "$student_dir" \
  --cfg-options "${opts[@]}" model.teacher.checkpoint="$teacher_dir/iter_$iters.pth"
python tools/test.py configs/overhaul_ssd_r50_r18_toy.py "$student_dir/iter_$iters.pth" \
  --cfg-options model.teacher.checkpoint="$teacher_dir/iter_$iters.pth" --out "$student_dir/distiller_test.json"
python tools/model_converters/distill_to_student.py "$student_dir/iter_$iters.pth" "$student_dir/student.pth" \
  --config configs/overhaul_ssd_r50_r18_toy.py --out-config "$student_dir/student_export_config.py"
python tools/test.py "$student_dir/student_export_config.py" "$student_dir/student.pth" \
  --out "$student_dir/student_test.json"
echo "distilled student (distiller checkpoint): $(cat "$student_dir/distiller_test.json")"
echo "distilled student (exported, plain mmdet): $(cat "$student_dir/student_test.json")"
