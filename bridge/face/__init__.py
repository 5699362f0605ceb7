"""The face engine's outside: camera and video capture, recordings, the daemon."""
