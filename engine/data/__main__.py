"""``python -m engine.data IN OUT [...]``: the origin's module invocation of the dataset tool."""

import sys

from bridge.cli import dataset_alias

sys.exit(dataset_alias())
