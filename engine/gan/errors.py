"""The generator's errors (no imports: the CLI catches them without loading numpy)."""


class CheckpointError(ValueError):
    """A checkpoint file is missing, corrupt, or not one of ours."""


class ExportError(CheckpointError):
    """An exported generator is corrupt, stale or not one of ours."""
