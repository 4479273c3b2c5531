"""Decisions: what the model said of one declaration (score, threshold, inspect or release, the explanation),
batched under one Merkle root that ``RiskRegistry`` anchors, each kept as a self-contained decision file that an
auditor replays with only that file, the model store and a node.

A batch is written whole to its folder (``batch.json`` and one ``<Declaration ID>.json`` per decision) *before* its
root is sent, and found again by what it was made from (the declarations' hashes, the model, the threshold): a
retry after a crash or a lost reply re-anchors the same root, or sends nothing if the chain has it already. Nothing
is decided twice."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tradechain.contracts.risk_registry import DECISION_NAMES, DECISIONS, INSPECT, RELEASE, Decision
from tradechain.errors import InputError
from tradechain.formats import canonical
from tradechain.formats.merkle import MerkleTree
from tradechain.risk import declarations as declarations_
from tradechain.risk.explain import explanation_hash
from tradechain.risk.files import write_whole

SCHEMA = "tradechain.risk.decision/1"
BATCH_FILE = "batch.json"
DECISIONS_ENV = "TRADECHAIN_DECISIONS"
_SAFE = re.compile(r"[^A-Za-z0-9._-]")
_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,100}\.json")


def decisions_home() -> Path:
    """Where batches are kept: ``$TRADECHAIN_DECISIONS``, else ``risk/decisions`` of the project's state."""
    from tradechain.chain import project

    env = os.environ.get(DECISIONS_ENV)
    return Path(env) if env else project.state_home() / "risk" / "decisions"


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def bytes32_field(data: dict[str, Any], key: str, root: str) -> bytes:
    value = data.get(key)
    if not isinstance(value, str) or not re.fullmatch(r"0x[0-9a-fA-F]{64}", value):
        raise InputError(f"{root}.{key}", "must be a 0x hash of 32 bytes")
    return bytes.fromhex(value[2:])


def whole_field(data: dict[str, Any], key: str, root: str, low: int, high: int) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"{root}.{key}", f"must be a whole number from {low} to {high}")
    return value


@dataclass(frozen=True)
class DecisionRecord:
    """One decision with the declaration and the explanation its leaf commits to (their hashes are the leaf's
    ``declarationHash`` and ``explanationHash``; :attr:`onchain` is the leaf's fields)."""

    declaration: dict[str, str]
    model_id: bytes
    score: int  # millionths
    threshold: int  # millionths
    decision: int  # RELEASE or INSPECT
    explanation: dict[str, Any]
    decided_at: int

    @property
    def declaration_id(self) -> str:
        return self.declaration[declarations_.ID]

    @property
    def declaration_hash(self) -> bytes:
        return declarations_.declaration_hash(self.declaration)

    @property
    def explanation_hash(self) -> bytes:
        return explanation_hash(self.explanation)

    @property
    def onchain(self) -> Decision:
        """The leaf's fields (the contract's ``Decision``), checked."""
        return Decision(
            self.declaration_hash,
            self.model_id,
            self.score,
            self.threshold,
            self.decision,
            self.explanation_hash,
            self.decided_at,
        )

    @property
    def leaf(self) -> bytes:
        return self.onchain.leaf

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "declaration": self.declaration,
            "declarationHash": _hex(self.declaration_hash),
            "modelId": _hex(self.model_id),
            "score": self.score,
            "threshold": self.threshold,
            "decision": DECISION_NAMES[self.decision],
            "explanation": self.explanation,
            "explanationHash": _hex(self.explanation_hash),
            "decidedAt": self.decided_at,
        }

    @classmethod
    def from_json(cls, data: Any, root: str = "decision") -> DecisionRecord:
        """A decision as :meth:`to_json` writes it. The hashes written beside the declaration and the explanation
        are not trusted: :mod:`tradechain.risk.audit` compares them with the ones recomputed."""
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise InputError(root, f"is not a tradechain decision ({SCHEMA})")
        declaration = data.get("declaration")
        if not isinstance(declaration, dict) or any(
            not isinstance(declaration.get(c), str) for c in declarations_.INPUTS
        ):
            raise InputError(f"{root}.declaration", "must hold the 20 input columns as text")
        explanation = data.get("explanation")
        if not isinstance(explanation, dict):
            raise InputError(f"{root}.explanation", "must be an object")
        if data.get("decision") not in DECISIONS:
            raise InputError(f"{root}.decision", f"must be one of {', '.join(DECISIONS)}")
        return cls(
            declaration={c: declaration[c] for c in declarations_.INPUTS},
            model_id=bytes32_field(data, "modelId", root),
            score=whole_field(data, "score", root, 0, 1_000_000),
            threshold=whole_field(data, "threshold", root, 0, 1_000_000),
            decision=DECISIONS[data["decision"]],
            explanation=explanation,
            decided_at=whole_field(data, "decidedAt", root, 0, 2**40 - 1),
        )


def decide(score: int, threshold: int) -> int:
    """INSPECT at or above the threshold, else RELEASE."""
    return INSPECT if score >= threshold else RELEASE


@dataclass
class Batch:
    """Decisions under one root, and where it was anchored."""

    decisions: list[DecisionRecord]
    model_proposer: int
    key: str
    anchor: dict[str, Any] = field(default_factory=dict)
    """``org``, ``registry``, ``chainId``, ``tx`` once anchored (or being sent)."""
    folder: Path | None = None

    @property
    def model_id(self) -> bytes:
        return self.decisions[0].model_id

    @property
    def tree(self) -> MerkleTree:
        return MerkleTree.build([d.leaf for d in self.decisions])

    @property
    def root(self) -> bytes:
        return self.tree.root

    def decision_file(self, index: int, tree: MerkleTree | None = None) -> dict[str, Any]:
        """The self-contained file of decision ``index``: the decision, its proof and where its batch is anchored."""
        tree = tree or self.tree
        data = self.decisions[index].to_json()
        data["batch"] = {
            "root": _hex(tree.root),
            "index": index,
            "count": len(self.decisions),
            "proof": [_hex(p) for p in tree.proof(index)],
            "modelProposer": self.model_proposer,
            **self.anchor,
        }
        return data

    def write(self, home: Path | None = None) -> Path:
        """Writes the batch folder (each file whole, then renamed); returns it."""
        tree = self.tree
        folder = (home or decisions_home()) / tree.root.hex()
        folder.mkdir(parents=True, exist_ok=True)
        names: list[str] = []
        for index in range(len(self.decisions)):
            name = _file_name(self.decisions[index].declaration_id, names)
            names.append(name)
            _write_json(folder / name, self.decision_file(index, tree))
        _write_json(
            folder / BATCH_FILE,
            {
                "root": _hex(tree.root),
                "key": self.key,
                "count": len(self.decisions),
                "modelId": _hex(self.model_id),
                "modelProposer": self.model_proposer,
                "files": names,
                **self.anchor,
            },
        )
        self.folder = folder
        return folder


def _file_name(declaration_id: str, taken: Sequence[str]) -> str:
    """A plain file name for a declaration's decision, distinct from every name ``taken`` even where the file system
    ignores case (``ABC`` and ``abc`` of a hostile file never write one file)."""
    base = _SAFE.sub("_", declaration_id)[:80] or "declaration"
    folded = {t.casefold() for t in taken} | {BATCH_FILE}
    name, n = f"{base}.json", 1
    while name.casefold() in folded:
        n += 1
        name = f"{base}-{n}.json"
    return name


def _write_json(path: Path, data: Any) -> None:
    write_whole(path, (json.dumps(data, indent=1) + "\n").encode())


def batch_key(
    declaration_hashes: Sequence[bytes], model_id: bytes, threshold: int, proposer: int, scope: str = ""
) -> str:
    """What a batch is made from: a retry of the same declarations, model and threshold, on the same registry
    (``scope``: its chain id and address), finds it again."""
    digest = hashlib.sha256(scope.encode() + model_id + threshold.to_bytes(4, "big") + proposer.to_bytes(4, "big"))
    for h in declaration_hashes:
        digest.update(h)
    return digest.hexdigest()


def find_batch(key: str, home: Path | None = None) -> Path | None:
    """The folder of a batch made from ``key``, if one was written."""
    folder = home or decisions_home()
    if not folder.is_dir():
        return None
    for candidate in sorted(folder.iterdir()):
        meta = candidate / BATCH_FILE
        if meta.is_file():
            try:
                if json.loads(meta.read_text()).get("key") == key:
                    return candidate
            except ValueError:
                continue
    return None


def read_batch(folder: Path) -> Batch:
    """A batch folder as :meth:`Batch.write` wrote it."""
    meta = canonical.read_file(folder / BATCH_FILE, "batch")
    names = meta.get("files") if isinstance(meta, dict) else None
    if not isinstance(names, list) or not all(isinstance(n, str) and _PLAIN.fullmatch(n) for n in names):
        raise InputError("batch", "its files must be plain file names of the batch folder", str(folder))
    decisions = [DecisionRecord.from_json(_read_plain(folder / n, n), n) for n in names]
    anchor = {k: meta[k] for k in ("org", "registry", "chainId", "tx") if k in meta}
    return Batch(decisions, int(meta["modelProposer"]), meta["key"], anchor, folder)


def _read_plain(path: Path, field: str) -> Any:
    """A JSON file read safely (:func:`canonical.read_file`: no key twice, no NaN, size limits), its numbers as
    Python's own (floats as written back by ``json``)."""
    canonical.read_file(path, field)
    return json.loads(path.read_text())


def read_decision(path: Path, field: str = "DECISION") -> dict[str, Any]:
    """A decision file (JSON read safely: a key given twice or a NaN is refused)."""
    if not path.is_file():
        raise InputError(field, "must be a decision file (<Declaration ID>.json of a batch folder)", str(path))
    data = canonical.read_file(path, field)
    if not isinstance(data, dict):
        raise InputError(field, "must be a JSON object")
    DecisionRecord.from_json(data, field)
    return data


def locate(reference: str, home: Path | None = None, field: str = "DECISION") -> Path:
    """A decision given as a file path, or as a declaration id found in the local batches (the latest batch)."""
    path = Path(reference)
    if path.is_file():
        return path
    folder = home or decisions_home()
    found: list[Path] = []
    if folder.is_dir():
        for candidate in sorted(folder.iterdir()):
            target = _named(candidate, reference)
            if target is not None:
                found.append(target)
    if not found:
        raise InputError(field, f"no decision file and no decision of declaration {reference} under {folder}", "")
    if len(found) > 1:
        raise InputError(
            field,
            f"declaration {reference} was decided in {len(found)} batches "
            f"({', '.join(p.parent.name[:12] for p in found)}): give its decision file",
        )
    return found[0]


def _named(folder: Path, reference: str) -> Path | None:
    """The file of declaration ``reference`` in a batch folder: ``<id>.json``, or ``<id>-N.json`` when another
    declaration's id was written to the same name first (as :func:`_file_name` names them)."""
    base = (_SAFE.sub("_", reference)[:80] or "declaration").casefold()
    if not folder.is_dir():
        return None
    for target in sorted(folder.iterdir()):
        name = target.name.casefold()
        if name == BATCH_FILE or not (name == f"{base}.json" or re.fullmatch(re.escape(base) + r"-\d+\.json", name)):
            continue
        try:
            data = json.loads(target.read_text())
        except (OSError, ValueError):
            continue
        declaration = data.get("declaration") if isinstance(data, dict) else None
        if isinstance(declaration, dict) and declaration.get(declarations_.ID) == reference:
            return target
    return None


def iter_batches(home: Path | None = None) -> Iterator[Path]:
    folder = home or decisions_home()
    if folder.is_dir():
        for candidate in sorted(folder.iterdir()):
            if (candidate / BATCH_FILE).is_file():
                yield candidate
