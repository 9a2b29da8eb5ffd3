#!/usr/bin/env bash
# The small-target levers on Meta-World, measured on the three tasks that score lowest at 64x64 (push,
# pick-place, peg-insert-side): the same recipe with each lever alone, closed-loop success per task at the
# MT50 protocol's 500-step limit. benchmarks/metaworld.md reports the table.
#   bash experiments/metaworld_levers.sh [OUT] [EPISODES_PER_TASK] [STEPS]
# Levers (LEVERS, name:size:goal_marker[:plan] words): base:64:1 marker:64:3 size96:96:1 both:96:3; a fourth
# field `plan` trains with the auxiliary object/goal reading and the plan input on (aux.task_xy recorded).
# A fifth field sets --policy.strided-convs (2 by default; 3 keeps a 128 px image's feature map at 16x16).
# TASKS overrides the three tasks (e.g. TASKS="push pick-place peg-insert-side reach").
set -euo pipefail
OUT=${1:-runs/levers}
EPS=${2:-40}
STEPS=${3:-3000}
TASKS=${TASKS:-"push pick-place peg-insert-side"}
SV=${SV:-.venv/bin/simplevla}
NO_TABLETOP="--policy.aux-weight 0 --policy.plan-input False --policy.parse-weight 0"
mkdir -p "$OUT"
for lever in ${LEVERS:-base:64:1 marker:64:3 size96:96:1 both:96:3}; do
  IFS=: read -r name size marker plan strided <<< "$lever"
  heads=$NO_TABLETOP
  if [ "${plan:-}" = plan ]; then heads="--policy.parse-weight 0"; fi
  t0=$(date +%s)
  $SV record --env metaworld --tasks $TASKS --episodes $((EPS * $(wc -w <<< "$TASKS"))) --size "$size" --goal-marker "$marker" \
      --workers 2 --out "$OUT/$name.data" --no-progress --json > "$OUT/$name.record.json"
  t1=$(date +%s)
  $SV train --dataset "$OUT/$name.data" --out "$OUT/$name" --steps "$STEPS" --threads 2 --val-every 0 --policy.image-size "$size" \
      --policy.strided-convs "${strided:-2}" \
      $heads --json > "$OUT/$name.train.json"
  t2=$(date +%s)
  $SV eval --policy "$OUT/$name" --env metaworld --tasks $TASKS --episodes 20 --envs 20 --workers 2 \
      --max-steps 500 --goal-marker "$marker" --videos 1 --out "$OUT/$name.eval" --json > "$OUT/$name.eval.json"
  t3=$(date +%s)
  echo "$name size=$size marker=$marker plan=${plan:-no} record_s=$((t1 - t0)) train_s=$((t2 - t1)) eval_s=$((t3 - t2)) $(cat "$OUT/$name.eval.json" | tr -d '\n')" | tee -a "$OUT/levers.txt"
done
