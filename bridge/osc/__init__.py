"""OSC in and out: the synth's server, the face engine's sender, sender limits, OSCQuery."""
