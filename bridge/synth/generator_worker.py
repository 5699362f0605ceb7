"""The child of :class:`bridge.synth.generator_process.GeneratorProcess` (not a user command).

``python -m bridge.synth.generator_worker FD``: on the socket ``FD`` the first message is the
generator's ``to_payload()`` (the exported ONNX graph, or a torch checkpoint's arrays, see
:func:`engine.gan.runtime.generator_from_payload`); each further message is
(z, truncation, noise, directions, labels) and is answered ("ok", image) or ("error", one line).
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
    from engine.gan.runtime import generator_from_payload

    try:
        ckpt = generator_from_payload(conn.recv())
        if hasattr(ckpt, "trace_one_image"):  # the torch model (no exported companion)
            import torch

            torch.set_num_threads(1)
            ckpt.trace_one_image()  # ~35 % less time per pass; the same images
        while True:
            z, psi, noise, directions, c = conn.recv()
            try:
                out = ckpt.generate(z, truncation=psi, noise=noise, directions=directions, c=c)
                conn.send(("ok", out))
            except ValueError as exc:
                conn.send(("error", str(exc)))
    except (EOFError, OSError, KeyboardInterrupt):
        return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
