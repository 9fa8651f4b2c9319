"""pip entries: which Python distributions conda provides, a uv resolve of the rest, and their lock records."""
