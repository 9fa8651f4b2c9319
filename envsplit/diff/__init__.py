"""What changed between two sets of locks, read from folders, files or git, and how it reads in a PR."""
