"""Organisation profiles, the off-chain half of the participant registry: the JSON document whose hash is an
organisation's on-chain profile hash, and the store of verified ones under the state home (``profiles/<hash>.json``);
:meth:`~tradechain.contracts.participant_registry.ParticipantRegistryClient.display_name` serves them.

A profile is a JSON object with a ``name`` (how the organisation is shown: 1 to 120 characters, no control
character) and any other fields (``country``, ``lei``, ``gln`` are checked when given; ``address``, ``website``,
``contact``...). Its hash is the keccak-256 of its canonical JSON (:func:`tradechain.formats.canonical.json_hash`):
key order and white space do not change it, so a profile re-saved by an editor keeps its hash.

The store keeps a profile under its own hash only, written only when that hash is the one expected (the
organisation's on-chain hash); reading re-checks it, so a stored file edited since reads as unverified. It also
remembers which organisation of which registry each profile was kept for (``organisations.json``): once the
organisation records another hash on chain, the profile kept is known to be no longer its own ("unverified").
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tradechain.chain import project
from tradechain.errors import InputError
from tradechain.formats import canonical, gs1, identity

PROFILES_ENV = "TRADECHAIN_PROFILES"
MAX_NAME = 120
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # what a terminal acts on, bidi overrides
_INDEX = "organisations.json"

Status = Literal["verified", "unverified", "none"]


def parse(value: Any, field: str = "profile") -> dict[str, Any]:
    """A profile read from JSON: an object with a readable ``name``; ``country``, ``lei`` and ``gln``, if given,
    valid (ISO 3166-1 alpha-2, ISO 17442, GS1). Returned as given (its hash is of what was given)."""
    if not isinstance(value, dict):
        raise InputError(field, 'a profile is a JSON object with a "name", e.g. {"name": "Acme Tuna Co", ...}')
    name = value.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{field}.name", "a profile names its organisation: a non-empty text")
    if len(name) > MAX_NAME or _CONTROL.search(name) or name != name.strip():
        raise InputError(
            f"{field}.name",
            f"at most {MAX_NAME} characters, no control characters, no leading or trailing spaces",
            name[: MAX_NAME + 1],
        )
    for key, check in (("country", identity.parse_country), ("lei", identity.parse_lei), ("gln", gs1.parse_gln)):
        if key in value:
            if not isinstance(value[key], str):
                raise InputError(f"{field}.{key}", "must be a text", value[key])
            check(value[key], f"{field}.{key}")
    return value


def read(path: Path, field: str = "profile") -> dict[str, Any]:
    """The profile in JSON file ``path`` (read by the safe loader: a key given twice, NaN, ... are refused)."""
    if not path.is_file():
        raise InputError(field, "file not found", str(path))
    try:
        data = canonical.read_file(path, field)
    except canonical.JsonSyntaxError as exc:
        raise InputError(field, f"not JSON ({exc.msg or exc.detail})", str(path)) from None
    return parse(data, field)


def profile_hash(profile: dict[str, Any], field: str = "profile") -> bytes:
    """The profile's hash as it goes on chain: the keccak-256 of its canonical JSON."""
    return canonical.json_hash(profile, field)


def hex32(digest: bytes) -> str:
    return "0x" + digest.hex()


def store_dir() -> Path:
    """``$TRADECHAIN_PROFILES``, else ``profiles/`` of the state home."""
    return Path(os.environ.get(PROFILES_ENV, project.state_home() / "profiles"))


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def save(profile: dict[str, Any], expected: bytes, owner: str | None = None, field: str = "profile") -> Path:
    """Keeps ``profile`` under its hash, which must be ``expected`` (the organisation's on-chain hash): else an
    InputError naming both hashes, and nothing written. ``owner`` (see :func:`owner_key`) is recorded as the
    organisation it was kept for."""
    parse(profile, field)
    digest = profile_hash(profile, field)
    if digest != expected:
        on_chain = "no profile hash" if expected == bytes(32) else f"profile hash {hex32(expected)}"
        raise InputError(
            field,
            f"its hash {hex32(digest)} is not the organisation's on-chain {on_chain}: not this organisation's "
            "profile, or an edited copy (its canonical JSON must be byte for byte the one hashed)",
        )
    path = store_dir() / f"{hex32(digest)}.json"
    _write(path, canonical.canonical_json(profile, field))
    if owner is not None:
        owners = _owners()
        owners[owner] = hex32(digest)
        _write(store_dir() / _INDEX, json.dumps(owners, indent=1, sort_keys=True).encode())
    return path


def owner_key(chain_id: int, registry: str, organisation: int) -> str:
    """The key of an organisation of one registry on one chain, in the store's record of owners."""
    return f"{chain_id}:{registry}:{organisation}"


def _owners() -> dict[str, str]:
    path = store_dir() / _INDEX
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


@dataclass(frozen=True)
class Found:
    """What the store holds for an on-chain profile hash: ``verified`` (a profile hashing to it), ``unverified``
    (a stored file that does not hash to it, or only a profile kept for the organisation before it recorded this
    hash) or ``none``."""

    status: Status
    profile: dict[str, Any] | None = None

    @property
    def name(self) -> str | None:
        return str(self.profile["name"]) if self.profile is not None and self.status == "verified" else None


def find(on_chain: bytes, owner: str | None = None) -> Found:
    """The stored profile of on-chain hash ``on_chain`` (all zero: none recorded), checked against it;
    ``owner``: the organisation's key (:func:`owner_key`), to tell a profile it replaced from none."""
    if on_chain == bytes(32):
        return Found("none")
    path = store_dir() / f"{hex32(on_chain)}.json"
    if path.is_file():
        try:
            profile = parse(canonical.loads(path.read_bytes(), "stored profile"), "stored profile")
        except (InputError, OSError):
            return Found("unverified")
        if profile_hash(profile, "stored profile") != on_chain:
            return Found("unverified")
        return Found("verified", profile)
    kept = _owners().get(owner) if owner is not None else None
    return Found("unverified") if kept is not None and kept != hex32(on_chain) else Found("none")
