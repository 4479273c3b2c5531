"""Files the risk tools write: each whole or not at all."""

from __future__ import annotations

from pathlib import Path


def write_whole(path: Path, data: bytes) -> None:
    """Writes ``data`` to ``path`` through a ``.part`` file beside it, then renames it: a crash leaves the old file
    or the new one, never half of one."""
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    part.replace(path)
