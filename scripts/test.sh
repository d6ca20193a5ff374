#!/usr/bin/env bash
# One command from a fresh clone to the whole test suite: set up with the test extras (TensorFlow for
# the training and parity tests), start the virtual microphone, run pytest offscreen.
# Extra arguments go to pytest (e.g. scripts/test.sh -x -k engine).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh all,train,dev
eval "$(bash scripts/virtual-mic.sh start)"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
exec .venv/bin/python -m pytest "$@"
