"""Planning and running a lock: which pairs are stale, solving (layered, in parallel), writing."""
