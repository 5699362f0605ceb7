"""The synth daemon: state, generator process and thread, voice runner, render."""
