"""Mel power -> linear STFT power, fast and non-negative.

The origin used ``librosa.feature.inverse.mel_to_stft`` (a non-negative least-squares solve,
seconds per image). Here a precomputed non-negative inverse gives a first estimate with one
matrix product, and a few multiplicative updates (Lee & Seung, the NMF least-squares rule)
refine it toward the NNLS solution. Hand-written because no library offers a batched,
warm-started NNLS that is this cheap; each update costs two matrix products.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.sparse

from .codec import CodecParams, mel_basis

_EPS = np.float32(1e-12)


@dataclass(frozen=True)
class MelInverse:
    """Precomputed matrices for one codec (all float32, read-only).

    ``basis`` (n_mels, n_freq): the mel filterbank M; ``inverse`` (n_freq, n_mels): B >= 0 with
    ``B @ mel`` the band-wise flat spectrum consistent with ``mel`` (exact for flat spectra);
    ``energy`` (n_mels,): ``ones @ B``, so ``energy @ mel`` is the linear power a column carries.
    The matrices are scipy CSR.
    """

    basis: "scipy.sparse.csr_matrix"
    basis_t: "scipy.sparse.csr_matrix"
    inverse: "scipy.sparse.csr_matrix"
    energy: np.ndarray

    def __call__(self, mel: np.ndarray, n_refine: int = 3) -> np.ndarray:
        """Mel power (n_mels,) or (n_mels, T) -> linear power (n_freq, ...) >= 0, float32."""
        mel = np.asarray(mel, dtype=np.float32)
        x = np.asarray(self.inverse @ mel, dtype=np.float32)
        if n_refine > 0:
            one = x.ndim == 1
            x2 = x[:, None] if one else x
            mel2 = mel[:, None] if one else mel
            num = self.basis_t @ mel2
            for _ in range(n_refine):
                den = self.basis_t @ (self.basis @ x2)
                den += _EPS
                x2 *= num
                x2 /= den
        return x


@lru_cache(maxsize=16)
def mel_inverse(codec: CodecParams) -> MelInverse:
    """The cached :class:`MelInverse` for ``codec``."""
    m = mel_basis(codec).astype(np.float64)  # (n_mels, n_freq)
    area = m.sum(axis=1)  # a_m: mel value of a flat unit spectrum
    cover = m.sum(axis=0)  # c_k: how much bin k is covered by filters
    used = area > 0
    b = np.zeros((m.shape[1], m.shape[0]))
    with np.errstate(divide="ignore", invalid="ignore"):
        b[:, used] = (m[used] / area[used, None]).T
        b = np.where(cover[:, None] > 0, b / np.where(cover > 0, cover, 1.0)[:, None], 0.0)
    # the filters are narrow, so the matrices are >95 % zeros: sparse products are ~100x cheaper
    energy = np.ascontiguousarray(b.sum(axis=0), dtype=np.float32)
    energy.setflags(write=False)
    sp = [scipy.sparse.csr_matrix(a.astype(np.float32)) for a in (m, m.T, b)]
    return MelInverse(*sp, energy)
