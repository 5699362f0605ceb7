"""User-facing errors: one clear line, exit code 2, never a traceback."""


class UserError(Exception):
    """A mistake the user can fix (bad flag, missing file, absent device).

    The CLI prints ``latent-resonance: error: <message>`` and exits with code 2.
    """

    exit_code = 2
