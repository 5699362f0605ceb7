"""How a generator sounds next to real instruments, measured on audio clips (issue bars).

Every clip is what a listener hears: a spectrogram played by the live voice
(:func:`voice_clip`: the synth's streaming phase reconstruction and output stage, the middle
1.2 s of 2 s) or real audio.  The measures:

* **1-NN two-sample accuracy** (:func:`nn_accuracy`) on per-clip MFCC mean + std
  (:func:`clip_features`): pool two sets, classify every clip by its nearest other clip; 0.5
  means the sets cannot be told apart, 1.0 that every clip's neighbour is of its own set.
* **pyin voiced probability** (:func:`voiced_probability`): librosa's pYIN, mean over frames --
  how clearly a clip has one pitch.
* **spread** (:func:`spread`): mean pairwise feature distance, to be divided by the real set's
  (1.0 = as varied as the real notes; mode collapse is far below).
* **family classifier** (:class:`FamilyClassifier`): logistic regression on the same features,
  trained on real clips through the codec and the voice.
* **pitch of a clip** (:func:`clip_pitch`): the median pYIN f0 of its voiced frames, as MIDI.

scikit-learn comes with librosa (its dependency); nothing here needs torch.
"""

from __future__ import annotations

import numpy as np

#: the clip a measure hears: this much of a longer voice render, from its middle
CLIP_S, RENDER_S = 1.2, 2.0
N_MFCC = 20
#: pYIN's search range (Hz): below the lowest trained note (MIDI 28, 41 Hz) to above C7
PYIN_FMIN, PYIN_FMAX = 32.0, 2200.0


def middle(y: np.ndarray, sr: int, seconds: float = CLIP_S) -> np.ndarray:
    """The middle ``seconds`` of ``y``."""
    n = int(round(seconds * sr))
    start = max(0, (len(y) - n) // 2)
    return np.asarray(y[start:start + n], np.float32)


def voice_clip(spec: np.ndarray, codec, seed: int = 0, seconds: float = RENDER_S) -> np.ndarray:
    """``spec`` played by the live voice for ``seconds`` (offline, the synth's default
    controls), its middle :data:`CLIP_S` at ``codec.sr``."""
    from engine.synth.chain import make_voice

    voice = make_voice(codec, seed)
    voice.set_spectrogram(spec)
    hops = int(np.ceil(seconds * voice.sample_rate / voice.hop))
    y = np.concatenate([np.asarray(voice.next_hop(), np.float32) for _ in range(hops)])
    return middle(y, voice.sample_rate)


def clip_features(y: np.ndarray, sr: int) -> np.ndarray:
    """MFCC (20) mean and standard deviation over the clip: (40,) float64."""
    import librosa

    m = librosa.feature.mfcc(y=np.asarray(y, np.float32), sr=sr, n_mfcc=N_MFCC)
    return np.concatenate([m.mean(axis=1), m.std(axis=1)]).astype(np.float64)


def standardiser(reference: np.ndarray):
    """A function scaling features by ``reference``'s mean and standard deviation."""
    mu, sd = reference.mean(0), reference.std(0) + 1e-9
    return lambda x: (np.asarray(x, np.float64) - mu) / sd


def nn_accuracy(a: np.ndarray, b: np.ndarray) -> float:
    """Leave-one-out 1-nearest-neighbour accuracy of telling rows of ``a`` from rows of ``b``
    (Euclidean; equal set sizes give 0.5 for indistinguishable sets)."""
    x = np.concatenate([a, b])
    y = np.r_[np.zeros(len(a)), np.ones(len(b))]
    d = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    return float(np.mean(y[d.argmin(1)] == y))


def spread(x: np.ndarray) -> float:
    """Mean pairwise Euclidean distance between rows."""
    d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    n = len(x)
    return float(d.sum() / max(1, n * (n - 1)))


def _pyin(y: np.ndarray, sr: int):
    import librosa

    return librosa.pyin(np.asarray(y, np.float32), fmin=PYIN_FMIN, fmax=PYIN_FMAX, sr=sr,
                        frame_length=2048)


def voiced_probability(y: np.ndarray, sr: int) -> float:
    """Mean pYIN voiced probability over the clip's frames (0..1)."""
    _, _, prob = _pyin(y, sr)
    return float(np.nanmean(prob))


def clip_pitch(y: np.ndarray, sr: int) -> float:
    """Median f0 of the voiced frames as a (fractional) MIDI note; NaN when none is voiced."""
    f0, voiced, _ = _pyin(y, sr)
    f = f0[voiced & np.isfinite(f0)]
    if not len(f):
        return float("nan")
    return float(69.0 + 12.0 * np.log2(np.median(f) / 440.0))


class FamilyClassifier:
    """Logistic regression from clip features to instrument family names."""

    def __init__(self, features: np.ndarray, families: list[str], seed: int = 0):
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self.model = make_pipeline(StandardScaler(),
                                   LogisticRegression(max_iter=2000, C=1.0, random_state=seed))
        self.model.fit(features, np.asarray(families))

    def predict(self, features: np.ndarray) -> np.ndarray:
        return self.model.predict(features)

    def accuracy(self, features: np.ndarray, families: list[str]) -> float:
        return float(np.mean(self.predict(features) == np.asarray(families)))
