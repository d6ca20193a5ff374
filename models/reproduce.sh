#!/usr/bin/env bash
# Retrain the shipped LSTM from scratch in one command: the two seeded stages of the model card
# (about 45 minutes on the shared 2-core CPU), each keeping its best evaluated epoch; the last one
# exports to LiteRT and fits the bias and reliability calibration.
# Usage: models/reproduce.sh OUT_DIR     (needs: pip install "streamfreq[train]")
set -euo pipefail
out="${1:?usage: models/reproduce.sh OUT_DIR}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export OPENBLAS_NUM_THREADS=1
# stage 1: the recipe's defaults (lr 3e-4 over a 40-epoch schedule); its losses rose after epoch 3, so it stops there
streamfreq-train --out "$work/stage1" --set stop_after=3 --set calibrate=false
# stage 2: from stage 1, lr 1e-4 cosine over 44 epochs
streamfreq-train --out "$out" --init "$work/stage1/lstm.keras" --seed 1 --epochs 44 \
    --set learning_rate=1e-4 --set warmup=0.02
echo "reproduce: model written to $out (compare: python benchmarks/lstm_accuracy.py --model $out)"
