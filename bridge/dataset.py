"""``python -m bridge.dataset IN OUT [...]``: the origin's module invocation of the dataset tool
(same as ``latent-resonance dataset`` and ``latent-resonance-dataset``)."""

import sys

from bridge.cli import dataset_alias

if __name__ == "__main__":
    sys.exit(dataset_alias())
