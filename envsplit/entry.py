"""The ``envsplit`` console command: Ctrl-C while the CLI's modules are still being imported is an interrupt too."""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Import the CLI under the same Ctrl-C contract as a running command: "Interrupted.", exit 130."""
    try:
        from envsplit.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.stderr.flush()
        os._exit(130)
    run()
