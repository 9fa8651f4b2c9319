"""The smoke test of built images (check.py runs inside an image, standard library only)."""
