"""The content-addressed model store: an artifact is kept under its id (``<sha256 hex>.onnx``), beside its card
(``<sha256 hex>.card.json``), in a directory (``$TRADECHAIN_MODEL_STORE``, else ``models/`` in the project's state
directory) or read from an HTTP(S) base URL. Whatever the source, an artifact is accepted only if its SHA-256 is the
id asked for: a store cannot hand an auditor a different model."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tradechain.errors import InputError, TradechainError
from tradechain.risk.artifact import model_id
from tradechain.risk.files import write_whole

STORE_ENV = "TRADECHAIN_MODEL_STORE"
MAX_BYTES = 256 * 2**20


def default_store() -> str:
    from tradechain.chain import project

    return os.environ.get(STORE_ENV) or str(project.state_home() / "models")


def _name(mid: bytes) -> str:
    return mid.hex()


class ModelStore:
    """A directory or an HTTP(S) base URL of artifacts named by their id."""

    def __init__(self, location: str | Path | None = None) -> None:
        self.location = str(location) if location is not None else default_store()
        self.remote = self.location.startswith(("http://", "https://"))

    def put(self, data: bytes, card: dict[str, Any] | None = None) -> bytes:
        """Keep an artifact (and its card) under its id; returns the id. Idempotent."""
        if self.remote:
            raise InputError("store", "a remote store is read-only here: copy the files to it", self.location)
        mid = model_id(data)
        folder = Path(self.location)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{_name(mid)}.onnx"
        if not target.is_file() or model_id(target.read_bytes()) != mid:
            write_whole(target, data)
        if card is not None:
            write_whole(folder / f"{_name(mid)}.card.json", (json.dumps(card, indent=2) + "\n").encode())
        return mid

    def _read(self, name: str) -> bytes | None:
        if self.remote:
            url = self.location.rstrip("/") + "/" + name
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    return bytes(response.read(MAX_BYTES + 1))
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    return None
                raise TradechainError(f"model store {self.location}: HTTP {exc.code}") from None
            except (urllib.error.URLError, OSError) as exc:
                raise TradechainError(f"model store {self.location} is unreachable ({exc})") from None
        path = Path(self.location) / name
        return path.read_bytes() if path.is_file() else None

    def get(self, mid: bytes) -> bytes:
        """The artifact of id ``mid``, checked against it."""
        data = self._read(f"{_name(mid)}.onnx")
        if data is None:
            raise TradechainError(f"model 0x{mid.hex()} is not in the model store {self.location}")
        if model_id(data) != mid:
            raise TradechainError(
                f"the model store {self.location} holds other bytes under 0x{mid.hex()}"
                f" (SHA-256 0x{model_id(data).hex()})"
            )
        return data

    def card(self, mid: bytes) -> dict[str, Any] | None:
        data = self._read(f"{_name(mid)}.card.json")
        if data is None:
            return None
        try:
            value = json.loads(data)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None
