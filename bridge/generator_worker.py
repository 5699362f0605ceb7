"""The child of :class:`bridge.generator_process.GeneratorProcess` (not a user command).

``python -m bridge.generator_worker FD``: on the socket ``FD`` the first message is a
checkpoint dict (``Checkpoint.to_dict()`` with numpy arrays); each further message is
(z, truncation, noise, directions) and is answered ("ok", image) or ("error", one line).
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

    torch.set_num_threads(1)
    try:
        d = conn.recv()
        for key in ("state_dict", "directions"):
            d[key] = {k: torch.from_numpy(v) for k, v in d[key].items()}
        ckpt = checkpoint_from_dict(d, d.get("name", "checkpoint"))
        ckpt.trace_one_image()  # ~35 % less time per pass; the same images
        while True:
            z, psi, noise, directions = conn.recv()
            try:
                out = ckpt.generate(z, truncation=psi, noise=noise, directions=directions)
                conn.send(("ok", out))
            except ValueError as exc:
                conn.send(("error", str(exc)))
    except (EOFError, OSError, KeyboardInterrupt):
        return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
