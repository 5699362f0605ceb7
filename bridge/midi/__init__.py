"""MIDI out: control changes to a virtual port (ALSA, or JACK MIDI)."""
