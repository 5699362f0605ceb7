"""Sizes of a generator and its discriminator: plain data, no torch (the runtime reads them
from an exported generator, see :mod:`engine.gan.runtime`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

#: file formats (:mod:`engine.gan.checkpoint`), here so that torch-only tools write them too
GENERATOR_FORMAT = "latent-resonance-generator"
TRAIN_FORMAT = "latent-resonance-train"
FORMAT_VERSION = 1


@dataclass
class GanConfig:
    """Sizes of generator and discriminator.  ``resolution`` is (mel bands, frames); both must be
    ``start`` times a power of two, where ``start`` is (H, W) of the learned constant."""

    z_dim: int = 64
    w_dim: int = 128
    mapping_layers: int = 2
    resolution: tuple[int, int] = (128, 64)
    start: tuple[int, int] = (8, 4)
    g_channels: list[int] = field(default_factory=lambda: [128, 128, 64, 32, 16])
    d_channels: list[int] = field(default_factory=lambda: [16, 32, 64, 128, 128])
    mapping_lr_mult: float = 0.01
    mbstd_group: int = 4
    #: a conditioned generator's label space (:class:`engine.gan.labels.LabelSpace` as a dict);
    #: empty: unconditioned (every checkpoint before conditioning)
    labels: dict = field(default_factory=dict)

    def __post_init__(self):
        self.resolution = tuple(int(v) for v in self.resolution)
        self.start = tuple(int(v) for v in self.start)
        self.g_channels = [int(c) for c in self.g_channels]
        self.d_channels = [int(c) for c in self.d_channels]
        levels = self.levels
        if (self.start[0] * 2 ** (levels - 1), self.start[1] * 2 ** (levels - 1)) != self.resolution:
            raise ValueError(f"resolution {self.resolution} is not start {self.start} x 2^k "
                             f"with {levels} channel levels")
        if len(self.d_channels) != levels:
            raise ValueError("g_channels and d_channels need the same number of levels")
        self.labels = self.label_space.to_dict() if self.labels else {}

    @property
    def label_space(self):
        """The :class:`~engine.gan.labels.LabelSpace`, or None when unconditioned."""
        from engine.gan.labels import LabelSpace

        return LabelSpace.from_dict(self.labels) if self.labels else None

    @property
    def c_dim(self) -> int:
        """Length of the label vector (0 when unconditioned)."""
        space = self.label_space
        return space.dim if space else 0

    @property
    def levels(self) -> int:
        return len(self.g_channels)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["resolution"] = list(self.resolution)
        d["start"] = list(self.start)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "GanConfig":
        names = cls.__dataclass_fields__.keys()
        return cls(**{k: v for k, v in d.items() if k in names})


#: channel presets, highest resolution LAST for the generator (lowest first)
PRESETS = {
    "small": ([128, 128, 64, 32, 16], 64, 128),   # g_channels, z_dim, w_dim
    # the shipped 256-band default: narrower at the top levels, where a pass spends its time
    "live": ([128, 128, 64, 32, 16, 16], 64, 128),
    "tiny": ([32, 32, 16, 8], 16, 32),
}


def preset_config(preset: str, shape: tuple[int, int], labels: dict | None = None) -> GanConfig:
    """The sizes of ``preset`` for images of ``shape`` (mel bands, frames): as many channel
    levels as the shape halves into, the highest resolution last; ``labels`` (a LabelSpace
    dict) makes it conditioned."""
    chans, z_dim, w_dim = PRESETS[preset]
    h, w = shape
    levels = len(chans)
    while levels > 1 and (h % 2 ** (levels - 1) or w % 2 ** (levels - 1)
                          or h >> (levels - 1) < 2 or w >> (levels - 1) < 2):
        levels -= 1
    g = chans[len(chans) - levels:]
    start = (h >> (levels - 1), w >> (levels - 1))
    return GanConfig(z_dim=z_dim, w_dim=w_dim, resolution=(h, w), start=start, g_channels=g,
                     d_channels=list(reversed(g)), labels=dict(labels or {}))
