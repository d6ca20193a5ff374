"""Batch analysis of whole corpora: ``streamfreq batch``, on a local process pool or on Ray.

Modules, each with one job:

- :mod:`~streamfreq.batch.inputs`: PATH arguments (files, folders, globs, ``@list.txt``) -> audio files;
- :mod:`~streamfreq.batch.job`: one file's work in a worker (:class:`~streamfreq.batch.job.Analyser`),
  the settings, and a file's result (files.csv row + readouts as Parquet bytes);
- :mod:`~streamfreq.batch.store`: the output folder (atomic writes, resume, manifest, lock);
- :mod:`~streamfreq.batch.local` and :mod:`~streamfreq.batch.ray_engine`: the two engines;
- :mod:`~streamfreq.batch.run`: one run, from inputs to stored results (:func:`~streamfreq.batch.run.run_batch`);
- :mod:`~streamfreq.batch.cli`: the ``streamfreq batch`` command line.

Neither engine has analysis code of its own: every file goes through
:func:`streamfreq.analysis.analyze_blocks`, i.e. the streaming engine.
"""
