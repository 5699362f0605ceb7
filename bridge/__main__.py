"""``python -m bridge`` runs the ``latent-resonance`` CLI."""

import sys

from bridge.cli import main

if __name__ == "__main__":  # (not when a spawned child process re-imports this module)
    sys.exit(main())
