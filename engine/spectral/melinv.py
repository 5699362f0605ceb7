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

try:  # scipy's CSR kernel without the public operator's dispatch (see _csr_times); a private
    # module, so any scipy without it falls back to ``@`` (tests run both paths)
    from scipy.sparse import _sparsetools
except ImportError:  # pragma: no cover - depends on the scipy release
    _sparsetools = None

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
            mel2 = np.ascontiguousarray(mel[:, None] if one else mel)
            cols = x2.shape[1]
            num = _csr_times(self.basis_t, mel2, np.empty_like(x2))
            m = np.empty((self.basis.shape[0], cols), dtype=np.float32)
            den = np.empty_like(x2)
            for _ in range(n_refine):
                _csr_times(self.basis_t, _csr_times(self.basis, x2, m), den)
                den += _EPS
                x2 *= num
                x2 /= den
        return x


def _csr_times(a: "scipy.sparse.csr_matrix", x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out = a @ x`` for C-contiguous float32 ``x`` (n, cols) into ``out``, through scipy's
    CSR kernel directly: the public ``@`` spends more time dispatching than multiplying at
    these sizes (a few thousand non-zeros), and the update loop runs it 64 times per block."""
    kernel = getattr(_sparsetools, "csr_matvecs", None)
    if kernel is None:
        out[...] = a @ x
        return out
    out[...] = 0.0
    kernel(a.shape[0], a.shape[1], x.shape[1], a.indptr, a.indices, a.data, x.ravel(),
           out.ravel())
    return out


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
