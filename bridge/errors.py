"""Errors.  Library code (everything outside :mod:`bridge.cli`) raises the types below, or
``ValueError``/``OSError``, so a live coder driving ``bridge`` from Python can catch them; the
CLI alone turns them into one line and exit code 2."""


class BridgeError(Exception):
    """The outside world is not as a call needs it (a device, a file, a setting, a program);
    the message is one line a user can act on."""


class DeviceError(BridgeError):
    """A camera, MIDI port or external program is missing, busy or failed."""


class InputError(BridgeError, ValueError):
    """A file or value from outside (a recording, script, config file, CC map, target) is not
    valid; the message names where."""


class UserError(Exception):
    """The CLI's: a mistake the user can fix, found by a command itself (a bad flag).

    The CLI prints ``latent-resonance: error: <message>`` and exits with code 2, as it does for
    a :class:`BridgeError` or a checkpoint error.
    """

    exit_code = 2
