"""Scenes: named snapshots of the synth's sound, saved as JSON files in a per-user folder.

A scene holds the latent target, named directions, the controls (envelope, voices, width,
drone, band, clarity, ... -- everything but the face-mapping switch) and the learned map
anchors (:meth:`bridge.synth.state.SynthState.snapshot`).  Names are ``[A-Za-z0-9_-]{1,64}``,
so a name from the network is never a path.  The folder is ``--scenes DIR``, else
``$XDG_DATA_HOME/latent-resonance/scenes`` (``~/.local/share/latent-resonance/scenes``).
A scene saved with another checkpoint (another z_dim) is refused whole.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

from bridge.errors import InputError

NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: the file format's version, written into every scene
FORMAT = 1


def default_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "latent-resonance" / "scenes"


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise InputError(f"scene name {str(name)[:40]!r} is not 1..64 of A-Z a-z 0-9 _ -")
    return name


class SceneStore:
    """Scene files ``NAME.json`` in ``folder`` (made on the first save)."""

    def __init__(self, folder: str | Path | None = None, checkpoint: str = ""):
        self.folder = Path(folder) if folder else default_dir()
        self.checkpoint = checkpoint

    def path(self, name: str) -> Path:
        return self.folder / f"{check_name(name)}.json"

    def save(self, name: str, scene: dict) -> Path:
        """Write ``scene`` atomically (a crash never leaves half a file); InputError on failure."""
        path = self.path(name)
        data = {"format": FORMAT, "name": name, "checkpoint": self.checkpoint, **scene}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(data, indent=1) + "\n")
            os.replace(tmp, path)
        except OSError as exc:
            raise InputError(f"cannot save scene {name!r} in {self.folder}: "
                             f"{exc.strerror or exc}") from None
        return path

    def load(self, name: str, z_dim: int) -> dict:
        """A saved scene, checked whole against ``z_dim``; InputError naming what is wrong."""
        path = self.path(name)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise InputError(f"no scene {name!r} (in {self.folder})") from None
        except (OSError, ValueError) as exc:
            raise InputError(f"scene {name!r} cannot be read: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("z"), list):
            raise InputError(f"scene {name!r} is not a scene file")
        if data.get("z_dim") != z_dim or len(data["z"]) != z_dim:
            raise InputError(f"scene {name!r} was saved with another checkpoint "
                             f"({data.get('checkpoint') or '?'}, z_dim {data.get('z_dim')}); "
                             f"this one has z_dim {z_dim}")
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in data["z"]):
            raise InputError(f"scene {name!r} has a bad latent")
        controls = data.get("controls", {})
        if not isinstance(controls, dict) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                for v in controls.values()):
            raise InputError(f"scene {name!r} has bad controls")
        if not isinstance(data.get("directions", {}), dict) or not isinstance(
                data.get("map_anchors", []), list):
            raise InputError(f"scene {name!r} has bad directions or anchors")
        return data

    def names(self) -> list[str]:
        """Saved scene names, sorted."""
        try:
            return sorted(p.stem for p in self.folder.glob("*.json") if NAME.fullmatch(p.stem))
        except OSError:
            return []
