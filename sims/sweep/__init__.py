"""Sweeps: a grid of configurations x seeds from a TOML file, run on Ray Tune or one after another.

``python -m sims.run sweep FILE``; see :mod:`sims.sweep.spec` for the file format and
:mod:`sims.sweep.results` for what is written. Ray is imported only when a sweep runs on it.
"""
