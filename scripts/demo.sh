#!/usr/bin/env bash
# One command from a fresh clone to a live readout: set up, then run `streamfreq --source synth`.
# Extra arguments go to streamfreq (e.g. scripts/demo.sh --freq 1000 --snr 10). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh all
exec .venv/bin/streamfreq --source synth "$@"
