"""Package sizes: download sizes from repodata, installed sizes from archives' paths.json."""
