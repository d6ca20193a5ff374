#!/usr/bin/env bash
# A virtual microphone for tests and demos: a PulseAudio null sink whose monitor is the default source.
#
# Works on a machine with no sound card and no kernel modules (CI containers), as root or not.
# Needs the Debian packages: pulseaudio pulseaudio-utils libportaudio2 (pulseaudio pulls in
# libasound2-plugins, the ALSA "pulse" plugin through which PortAudio reaches the daemon).
#
# Usage:
#   scripts/virtual-mic.sh start             start the daemon (idempotent), print the export line
#   scripts/virtual-mic.sh stop              stop it (idempotent)
#   scripts/virtual-mic.sh status            exit 0 if it is running with the vsink null sink
#   scripts/virtual-mic.sh play HZ SECONDS   play a sine tone into the virtual microphone (needs python3 + numpy
#                                            or sox; set PYTHON to choose the interpreter)
#   scripts/virtual-mic.sh env               print the export line only
#
# Every client (this script, pacat, PortAudio in streamfreq) must see the same XDG_RUNTIME_DIR:
#   eval "$(scripts/virtual-mic.sh env)"
set -euo pipefail

export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/xdg-$(id -u)}"
RATE="${VIRTUAL_MIC_RATE:-48000}"
SINK=vsink

say() { echo "virtual-mic: $*" >&2; }

need() {
    command -v "$1" >/dev/null 2>&1 || {
        say "$1 not found; install the Debian packages: apt-get install -y pulseaudio pulseaudio-utils libportaudio2"
        exit 1
    }
}

running() {
    pactl info >/dev/null 2>&1 && pactl list short sinks 2>/dev/null | grep -q "[[:space:]]${SINK}[[:space:]]"
}

start() {
    need pulseaudio
    need pactl
    mkdir -p -m 700 "$XDG_RUNTIME_DIR"
    if running; then
        say "already running (XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR)"
    else
        if pactl info >/dev/null 2>&1; then
            say "a PulseAudio daemon is running without ${SINK}; loading the null sink into it"
            pactl load-module module-null-sink "sink_name=${SINK}" "rate=${RATE}" channels=1 >/dev/null
        else
            # Root: PulseAudio only warns ("This program is not intended to be run as root").
            pulseaudio --daemonize=yes -n --exit-idle-time=-1 --disallow-exit --use-pid-file=yes \
                --log-target=stderr \
                -L module-native-protocol-unix \
                -L "module-null-sink sink_name=${SINK} rate=${RATE} channels=1" \
                >/dev/null 2>&1 || true
        fi
        for _ in $(seq 1 50); do
            running && break
            sleep 0.1
        done
        if ! running; then
            say "failed to start PulseAudio (try: pulseaudio -n -vv -L module-native-protocol-unix)"
            exit 1
        fi
        say "started PulseAudio with null sink ${SINK} (${RATE} Hz, mono)"
    fi
    pactl set-default-sink "$SINK"
    pactl set-default-source "${SINK}.monitor"
    say "default sink ${SINK}, default source ${SINK}.monitor"
    echo "export XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR"
}

stop() {
    local pidfile="$XDG_RUNTIME_DIR/pulse/pid"
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        local pid
        pid="$(cat "$pidfile")"
        kill -TERM "$pid"
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        say "stopped PulseAudio (pid $pid)"
    else
        say "not running (XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR)"
    fi
}

play() {
    local hz="${1:?usage: virtual-mic.sh play HZ SECONDS}" seconds="${2:?usage: virtual-mic.sh play HZ SECONDS}"
    need pacat
    running || {
        say "not running; start it first: scripts/virtual-mic.sh start"
        exit 1
    }
    say "playing ${hz} Hz for ${seconds} s into ${SINK}"
    local python="${PYTHON:-python3}"
    if "$python" -c "import numpy" >/dev/null 2>&1; then
        "$python" - "$hz" "$seconds" "$RATE" <<'EOF' | pacat --raw --rate="$RATE" --channels=1 --format=s16le --device="$SINK"
import sys
import numpy as np
hz, seconds, rate = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
n = int(round(seconds * rate))
t = np.arange(n) / rate
sys.stdout.buffer.write((0.5 * 32767 * np.sin(2 * np.pi * hz * t)).astype("<i2").tobytes())
EOF
    else
        need sox
        sox -n -r "$RATE" -c 1 -b 16 -e signed -t raw - synth "$seconds" sine "$hz" vol 0.5 |
            pacat --raw --rate="$RATE" --channels=1 --format=s16le --device="$SINK"
    fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status)
    if running; then
        say "running (XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR)"
    else
        say "not running (XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR)"
        exit 1
    fi
    ;;
play)
    shift
    play "$@"
    ;;
env) echo "export XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR" ;;
*)
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
