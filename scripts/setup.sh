#!/usr/bin/env bash
# Set streamfreq up on a fresh Debian/Ubuntu machine with Python >= 3.10:
#   1. system packages (PortAudio, libsndfile, PulseAudio for the virtual microphone, sox, Qt's X/EGL
#      libraries, Xvfb) -- installed with apt-get when run as root, otherwise the apt-get line is printed
#      and the script goes on (the core engine needs none of them);
#   2. a virtual environment in .venv with streamfreq installed (editable) and its extras.
#
# Usage: scripts/setup.sh [EXTRAS]    EXTRAS defaults to "all" (audio, lstm, gui); the tests use "all,train,dev".
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS="${1:-all}"
PYTHON="${PYTHON:-python3}"

PACKAGES=(libportaudio2 libsndfile1 pulseaudio pulseaudio-utils libasound2-plugins sox fluidsynth musescore-general-soundfont
          timidity freepats
          xvfb xauth fonts-dejavu-core libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0
          libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
          libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 libxcb-xinerama0)
"$PYTHON" -m venv --help >/dev/null 2>&1 || PACKAGES+=(python3-venv)

missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "setup: installing system packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        echo "setup: installing system packages with sudo: ${missing[*]}"
        sudo apt-get update -qq
        sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "setup: not root; for the microphone, the GUI and the tests, run:"
        echo "  sudo apt-get install -y ${missing[*]}"
    fi
fi

if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $("$PYTHON" --version)"
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
echo "setup: installing streamfreq[$EXTRAS] into .venv"
.venv/bin/python -m pip install -q -e ".[$EXTRAS]"
echo "setup: done"
