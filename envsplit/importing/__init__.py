"""``envsplit import``: factor several hand-kept environment files into one environment.yml plus overlays.

read.py reads the files, names.py names their variants and checks ``--base``/``--name``, factor.py computes
the shared environment and each variant's overlay (pairing.py decides what counts as a replace,
virtual.py adds ``--virtual-package``),
files.py renders the project's files, guarantee.py composes them back with envsplit's own reader and
refuses a mismatch, drift.py and drift_render.py compare the files that should mirror each other, and
run.py puts these together for the command in envsplit/cli/import_.py.
"""
