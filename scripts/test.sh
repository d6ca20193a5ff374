#!/usr/bin/env bash
# One command from a fresh clone to the whole test suite: set up with the test extras (TensorFlow for
# the training and parity tests), start the virtual microphone, run pytest offscreen.
# Extra arguments go to pytest (e.g. scripts/test.sh -x -k engine).
# A PulseAudio daemon this script starts is stopped when it exits (also on failure or Ctrl-C);
# one that was already running is left as it was.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh all,train,dev
eval "$(bash scripts/virtual-mic.sh env)"
if ! command -v pactl >/dev/null 2>&1 || ! pactl info >/dev/null 2>&1; then
    trap 'bash scripts/virtual-mic.sh stop' EXIT
fi
eval "$(bash scripts/virtual-mic.sh start)"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
.venv/bin/python -m pytest "$@"
