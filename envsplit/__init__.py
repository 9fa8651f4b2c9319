"""envsplit: one canonical conda environment, overlays, and reproducible per-variant lockfiles."""

__version__ = "0.1.0"
