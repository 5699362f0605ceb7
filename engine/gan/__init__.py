"""The generator: model (:mod:`.model`), augmentation (:mod:`.augment`), training step
(:mod:`.train`), checkpoints (:mod:`.checkpoint`), descriptors/metric (:mod:`.descriptors`,
:mod:`.metrics`), named directions (:mod:`.directions`), end-of-training card
(:mod:`.finalize`) and audio -> latent (:mod:`.invert`)."""
