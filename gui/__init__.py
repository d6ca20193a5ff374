"""The streamfreq desktop app (``streamfreq-gui``; installed as ``streamfreq.gui``).

Modules, one job each: ``app`` (entry point, flags), ``window`` (main window,
redraw timer), ``plots`` (waveform, spectrum, history), ``readouts`` (tuner and
per-estimator cards), ``controls`` (source and analysis controls), ``theme``
(palette), ``live`` (starts and stops the engine's live sessions; no Qt).
"""

#: The synthetic tone's frequencies the app offers (Hz): its frequency and sweep boxes, and its ``--freq``.
TONE_RANGE = (20.0, 20000.0)
