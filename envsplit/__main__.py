"""``python -m envsplit``."""

from envsplit.entry import main

main()
