#!/usr/bin/env bash
# Which training help makes the wordllama encoder read new wording, and how much does the training seed move it?
# Records the `make demo` dataset, trains the variants below side by side with the `make demo` recipe (5,000
# steps x 64), and evaluates each closed-loop on training wording (50 episodes per family) and on
# experiments/paraphrase_file.py's wording (40 per family) -- never on the held-out split. EPISODES, STEPS,
# EVAL_EPISODES and PER_FAMILY shrink it for a smoke run.
#
#   experiments/text_sweep.sh OUT [cpu|cuda] [encoders|seeds]   (2 CPU threads per run: on 2 cores, run fewer)
#
# `encoders` compares the text encoders and their training help; `seeds` repeats the chosen one and the LSTM
# over training seeds. EVAL=0 trains only (evaluate the checkpoints elsewhere with the same two commands).
set -euo pipefail
OUT=${1:?usage: text_sweep.sh OUT [cpu|cuda]}
DEV=${2:-cpu}
SET=${3:-encoders}
SV=${SIMPLEVLA:-simplevla}
PY=${PYTHON:-python3}
EPISODES=${EPISODES:-16000} STEPS=${STEPS:-5000} EVAL_EPISODES=${EVAL_EPISODES:-50} PER_FAMILY=${PER_FAMILY:-40}
mkdir -p "$OUT"
$SV record --out "$OUT/data" --episodes "$EPISODES" --workers "$(nproc)" --noise 0.2 --no-progress >"$OUT/record.log"
$PY -c "from simplevla.data.cache import build_cache; build_cache('$OUT/data')"
(cd experiments && $PY paraphrase_file.py --per-family "$PER_FAMILY" --out "$OUT/para.tsv")

run() {
  local name=$1
  shift
  $SV train --dataset "$OUT/data" --out "$OUT/$name" --steps "$STEPS" --save-every "$STEPS" --val-every "$STEPS" \
    --warmup-steps 100 --log-every 50 --device "$DEV" --threads 2 "$@" >"$OUT/$name.log" 2>&1
  [ "${EVAL:-1}" = 0 ] && return
  $SV eval --policy "$OUT/$name" --out "$OUT/$name/eval_train" --episodes "$EVAL_EPISODES" --envs 25 --videos 0 --json \
    2>/dev/null | tail -1 >"$OUT/$name.train.json"
  $SV eval --policy "$OUT/$name" --instruction-file "$OUT/para.tsv" --out "$OUT/$name/eval_para" --videos 0 \
    --json 2>/dev/null | tail -1 >"$OUT/$name.para.json"
}

WL="--policy.text wordllama"
if [ "$SET" = encoders ]; then
  run lstm &
  run wl_noise05 $WL --policy.text-noise 0.5 &
  run wl_snap002 $WL --policy.text-snap 0.02 &
  run wl_snap002_seed1 $WL --policy.text-snap 0.02 --seed 1 &
  run wl_snap001 $WL --policy.text-snap 0.01 &
  run wl_snap005 $WL --policy.text-snap 0.05 &
  run wl_snap002_drop02 $WL --policy.text-snap 0.02 --policy.word-dropout 0.2 &
  run wl_snap002_nodrop $WL --policy.text-snap 0.02 --policy.word-dropout 0 &
else
  for seed in 0 1 2; do
    run lstm_seed$seed --seed $seed &
    run wl_snap002_seed$seed $WL --policy.text-snap 0.02 --seed $seed &
  done
fi
wait

$PY experiments/sweep_summary.py "$OUT"
