"""Training material from outside: Freesound previews, fluidsynth renders."""
