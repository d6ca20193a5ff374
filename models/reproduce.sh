#!/usr/bin/env bash
# Retrain the shipped LSTM from scratch in one command: the three seeded stages of the model card
# (about 26 minutes of training on a 2-core CPU, plus ~40 s of calibration per stage).
# Usage: models/reproduce.sh OUT_DIR     (needs: pip install "streamfreq[train]")
set -euo pipefail
out="${1:?usage: models/reproduce.sh OUT_DIR}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
streamfreq-train --out "$work/stage1"
streamfreq-train --out "$work/stage2" --init "$work/stage1/lstm.keras" --seed 1 --epochs 12 --steps 200 \
    --set learning_rate=5e-5 --set warmup=0.02
streamfreq-train --out "$out" --init "$work/stage2/lstm.keras" --seed 2 --epochs 16 --steps 200 \
    --set learning_rate=3e-5 --set warmup=0.02
echo "reproduce: model written to $out (compare: python benchmarks/lstm_accuracy.py --model $out)"
