"""Training data: synthesised tones (:mod:`.synth`), note plans and MIDI (:mod:`.sources`),
audio -> image windows (:mod:`.windows`) and datasets (:mod:`.dataset`)."""
