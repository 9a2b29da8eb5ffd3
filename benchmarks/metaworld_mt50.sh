#!/usr/bin/env bash
# The MT50 result of benchmarks/metaworld.md from nothing: record scripted demonstrations of all 50 tasks,
# train the `default` policy (two training seeds), evaluate each on LeRobot's MT50 protocol (10 episodes
# per task, Meta-World's 500-step limit, per-difficulty averages), the first seed also on the held-out
# paraphrases. Every stage's wall time goes to OUT/times.txt. `make metaworld` runs it.
#   bash benchmarks/metaworld_mt50.sh [OUT]
# Settings (environment variables): EPISODES per task (40), STEPS (12000), SIZE (64), MARKER (goal marker
# scale, 1: Meta-World's own), SEEDS ("0 1"), WORKERS (2), THREADS (2), PLAN (0; 1 trains the policy to read
# the object and goal positions (aux.task_xy) and gives that reading to the head, the plan input).
set -euo pipefail
OUT=${1:-runs/mt50}
EPISODES=${EPISODES:-40}
STEPS=${STEPS:-12000}
SIZE=${SIZE:-64}
MARKER=${MARKER:-1}
SEEDS=${SEEDS:-"0 1"}
WORKERS=${WORKERS:-2}
THREADS=${THREADS:-2}
SV=${SV:-.venv/bin/simplevla}
PLAN=${PLAN:-0}
HEADS="--policy.aux-weight 0 --policy.plan-input False --policy.parse-weight 0"
if [ "$PLAN" = 1 ]; then HEADS="--policy.parse-weight 0"; fi  # the parse head reads Tabletop's grammar only
mkdir -p "$OUT"
stage() {  # stage NAME COMMAND...: run it, append its wall time to OUT/times.txt
  local name=$1 t0
  shift
  t0=$(date +%s)
  "$@"
  echo "$name $(($(date +%s) - t0))s $(date -u +%FT%TZ)" | tee -a "$OUT/times.txt" >&2  # not into the JSON
}
if [ ! -f "$OUT/data/meta/info.json" ]; then
  stage record $SV record --env metaworld --tasks mt50 --episodes $((EPISODES * 50)) --size "$SIZE" \
      --goal-marker "$MARKER" --workers "$WORKERS" --out "$OUT/data" --no-progress --json \
      > "$OUT/record.json"
fi
for seed in $SEEDS; do
  stage "train_seed$seed" $SV train --dataset "$OUT/data" --out "$OUT/seed$seed" --steps "$STEPS" --seed "$seed" \
      --threads "$THREADS" --val-every 0 $HEADS --json > "$OUT/seed$seed.train.json"
  stage "eval_seed$seed" $SV eval --policy "$OUT/seed$seed" --env metaworld --tasks mt50 --episodes 10 --envs 10 \
      --max-steps 500 --goal-marker "$MARKER" --workers "$WORKERS" --videos 1 --out "$OUT/seed$seed.eval" \
      --json > "$OUT/seed$seed.eval.json"
done
first=${SEEDS%% *}
stage "eval_heldout_seed$first" $SV eval --policy "$OUT/seed$first" --env metaworld --tasks mt50 --split heldout \
    --episodes 10 --envs 10 --max-steps 500 --goal-marker "$MARKER" --workers "$WORKERS" --videos 0 \
    --out "$OUT/seed$first.eval_heldout" --json > "$OUT/seed$first.eval_heldout.json"
.venv/bin/python benchmarks/metaworld_table.py "$OUT"
