"""``python -m bridge`` runs the ``latent-resonance`` CLI."""

import sys

from bridge.cli import main

sys.exit(main())
