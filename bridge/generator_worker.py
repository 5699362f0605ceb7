"""The child of :class:`bridge.generator_process.GeneratorProcess` (not a user command).

``python -m bridge.generator_worker FD``: on the socket ``FD`` the first message is a
checkpoint dict (``Checkpoint.to_dict()`` with numpy arrays); each further message is
(z, truncation, noise, directions, blocks, n_refine) and is answered ("ok", (image, linear))
or ("error", one line).  ``linear`` maps each of ``blocks`` to its mel -> linear conversion
(:func:`engine.spectral.voice.linear_block`), done here so the voice thread does not have to.
Exits when the socket closes (the parent finished or died).
"""

from __future__ import annotations

import signal
import socket
import sys
from multiprocessing.connection import Connection


def main(fd: int) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    conn = Connection(socket.socket(fileno=fd).detach())
    import torch

    from engine.gan.checkpoint import checkpoint_from_dict
    from engine.spectral.codec import CodecParams, check_spectrogram
    from engine.spectral.voice import BLOCK_COLUMNS, linear_block

    torch.set_num_threads(1)
    try:
        d = conn.recv()
        for key in ("state_dict", "directions"):
            d[key] = {k: torch.from_numpy(v) for k, v in d[key].items()}
        ckpt = checkpoint_from_dict(d, d.get("name", "checkpoint"))
        ckpt.trace_one_image()  # ~35 % less time per pass; the same images
        codec = CodecParams.from_dict(dict(ckpt.codec))
        while True:
            z, psi, noise, directions, blocks, n_refine = conn.recv()
            try:
                out = ckpt.generate(z, truncation=psi, noise=noise, directions=directions)
                linear = None
                if blocks:
                    # the voice's own check first: its conversion starts from the checked image
                    spec = check_spectrogram(out, n_mels=codec.n_mels)
                    last = (spec.shape[1] - 1) // BLOCK_COLUMNS  # a hint past the image: skip
                    linear = {b: linear_block(spec, b, codec, n_refine) for b in blocks
                              if 0 <= b <= last}
                conn.send(("ok", (out, linear)))
            except ValueError as exc:
                conn.send(("error", str(exc)))
    except (EOFError, OSError, KeyboardInterrupt):
        return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
