"""``python -m envsplit``."""

from envsplit.cli import main

main()
