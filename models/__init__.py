"""The shipped LSTM model of streamfreq and its training recipe.

Files (package data, found by an installed wheel without environment variables):

* ``lstm.json``: metadata (trained input length, range in cycles per window,
  preprocessing version, output layout, training-set description, measured metrics);
* ``lstm_b1.tflite``: the LiteRT model at a fixed batch of 1 (every window, live
  or in file analysis, goes through it on its own);
* ``lstm.keras``: the Keras model they were exported from (the source of truth);
* ``README.md``: the model card; ``accuracy.png``: its plot.

``train.py`` is the recipe (``streamfreq-train``) and ``data.py`` its training-data
generator; training needs the ``train`` extra (TensorFlow), which inference never
imports. The model contract the estimator reads these files through is
``streamfreq.estimators.lstm_contract``.

Example
-------
>>> from streamfreq.models import DEFAULT_MODEL
>>> DEFAULT_MODEL.name
'lstm.json'
"""

from pathlib import Path

DEFAULT_MODEL = Path(__file__).with_name("lstm.json")

__all__ = ["DEFAULT_MODEL"]
