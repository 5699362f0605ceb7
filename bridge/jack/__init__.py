"""JACK: the reconnecting client, the audio output, libjack's hooks, realtime threads."""
