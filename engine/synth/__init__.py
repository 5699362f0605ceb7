"""Pure pieces of the synth daemon: the face-to-synth mapping and latent navigation (glide).

No threads, sockets or devices here: time is always passed in (seconds).
"""
