"""Federated training of the customs risk model, seen from the main venv: :func:`run` starts the Flower engine
(:mod:`tradechain.risk.fl_engine`, in ``.venv-fl``) as a subprocess, :func:`read_round` reads a published round,
:func:`audit_round` recomputes a round from its published files (update hashes, their Merkle root, the FedAvg
aggregate) and compares them with its manifest and, when given, with what the chain anchored; :func:`compare`
measures the federated model against a central one and against each office alone, round by round."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tradechain
from tradechain.errors import InputError, TradechainError
from tradechain.risk import declarations, fedavg
from tradechain.risk.fl_engine import FEDERATION, MIN_ROWS, OFFICE, TrainConfig, round_dir

REPO = Path(tradechain.__file__).resolve().parent.parent
PYTHON_ENV = "TRADECHAIN_FL_PYTHON"
MATCH, MISMATCH = "MATCH", "MISMATCH"


@dataclass(frozen=True)
class ClientUpdate:
    office: str
    examples: int
    update_hash: bytes
    file: str


@dataclass(frozen=True)
class RoundManifest:
    """A published round (``round-NNN/manifest.json``) as the engine wrote it."""

    federation: str
    round: int
    clients: tuple[ClientUpdate, ...]
    updates_root: bytes
    aggregate_hash: bytes
    global_in_hash: bytes
    metrics: Mapping[str, Any]
    path: Path

    @property
    def examples(self) -> int:
        return sum(c.examples for c in self.clients)


@dataclass(frozen=True)
class RoundAudit:
    """A round recomputed from its published files: ``verdict`` is MATCH or MISMATCH, and ``mismatches`` names each
    difference (``client 40: update hash ...``, ``updates root: ...``, ``aggregate: ...``, ``aggregate.bin: ...``,
    ``global model in: ...``, ``chain ...: ...``)."""

    round: int
    federation: str
    mismatches: tuple[str, ...]
    updates_root: bytes | None  # recomputed from the published update files
    aggregate_hash: bytes | None  # of the FedAvg recomputed from the published update files
    client_hashes: Mapping[str, bytes] = field(default_factory=dict)  # recomputed, per office

    @property
    def verdict(self) -> str:
        return MATCH if not self.mismatches else MISMATCH

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.verdict,
            "federation": self.federation,
            "round": self.round,
            "mismatches": list(self.mismatches),
            "updatesRoot": _hex(self.updates_root),
            "aggregateHash": _hex(self.aggregate_hash),
            "clients": {o: _hex(h) for o, h in self.client_hashes.items()},
        }


def _hex(value: bytes | None) -> str | None:
    return None if value is None else "0x" + value.hex()


def _bytes32(value: object, what: str) -> bytes:
    text = str(value)
    try:
        raw = bytes.fromhex(text[2:] if text.startswith("0x") else text)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise InputError(what, "must be a 32-byte hash in hex (0x...)", text)
    return raw


# --- running the engine ---


def engine_python() -> Path:
    """The Python of ``.venv-fl`` (``$TRADECHAIN_FL_PYTHON`` when set, else ``<repo>/.venv-fl/bin/python``)."""
    given = os.environ.get(PYTHON_ENV)
    python = Path(given) if given else REPO / ".venv-fl" / "bin" / "python"
    if not python.is_file():
        where = f"${PYTHON_ENV} = {given}" if given else str(python)
        raise TradechainError(
            f"Flower's venv is missing ({where} not found): run `make install` (it builds .venv-fl from "
            "requirements-fl.lock)"
        )
    return python


def run(
    data_dir: Path,
    out_dir: Path,
    rounds: int,
    offices: int | None = None,
    *,
    seed: int = 0,
    epochs: int = TrainConfig.epochs,
    bits: int = TrainConfig.bits,
    min_rows: int = MIN_ROWS,
    federation: str = FEDERATION,
    progress: Callable[[str], None] | None = None,
) -> list[RoundManifest]:
    """Train the federation (one process per office, the ``offices`` largest, Flower's server in another) for
    ``rounds`` rounds, publishing each in ``out_dir/round-NNN/``; each line the engine prints is passed to
    ``progress``, what it writes on stderr (Flower's errors, a client's traceback) goes to ``out_dir/engine.log``.
    Returns the rounds' manifests."""
    if rounds < 1:
        raise InputError("--rounds", "must be at least 1", rounds)
    if offices is not None and offices < 1:
        raise InputError("--offices", "must be at least 1", offices)
    if not data_dir.is_dir():
        raise InputError("DATA_DIR", "must be a directory holding the declarations", str(data_dir))
    for name in (declarations.TRAIN_FILE, declarations.VALID_FILE):
        if not (data_dir / name).is_file():
            raise InputError("DATA_DIR", f"lacks {name}", str(data_dir))
    python = engine_python()
    command = [str(python), "-m", "tradechain.risk.fl_engine", "--data", str(data_dir), "--out", str(out_dir)]
    command += ["--rounds", str(rounds), "--seed", str(seed), "--epochs", str(epochs), "--bits", str(bits)]
    command += ["--min-rows", str(min_rows), "--federation", federation]
    if offices is not None:
        command += ["--offices", str(offices)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONUNBUFFERED"] = "1"
    last = ""
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "engine.log").open("w+") as stderr:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
        assert proc.stdout is not None
        for line in proc.stdout:
            last = line.rstrip("\n") or last
            if progress is not None:
                progress(line.rstrip("\n"))
        code = proc.wait()
        if code != 0:
            stderr.seek(0)
            tail = [s.strip() for s in stderr.read().splitlines() if s.strip()][-1:]
            detail = "; ".join([last, *tail]) if last.startswith("error:") else "; ".join(tail) or last
            raise TradechainError(f"the federated training stopped (exit code {code}): {detail}")
    return [read_round(out_dir, r) for r in range(1, rounds + 1)]


# --- reading and auditing rounds ---


def published_rounds(out_dir: Path) -> list[int]:
    """The numbers of the rounds published in ``out_dir``."""
    return sorted(int(p.name[6:]) for p in out_dir.glob("round-[0-9][0-9][0-9]") if (p / "manifest.json").is_file())


def read_round(out_dir: Path, round_: int) -> RoundManifest:
    """The manifest of round ``round_`` (InputError if it is not published or not well formed)."""
    path = round_dir(out_dir, round_) / "manifest.json"
    if not path.is_file():
        raise InputError("ROUND", f"round {round_} is not published in {out_dir}", round_)
    try:
        data = json.loads(path.read_text())
        clients = tuple(
            ClientUpdate(str(c["office"]), int(c["examples"]), _bytes32(c["updateHash"], "updateHash"), str(c["file"]))
            for c in data["clients"]
        )
        return RoundManifest(
            federation=str(data["federation"]),
            round=int(data["round"]),
            clients=clients,
            updates_root=_bytes32(data["updatesRoot"], "updatesRoot"),
            aggregate_hash=_bytes32(data["aggregateHash"], "aggregateHash"),
            global_in_hash=_bytes32(data["globalInHash"], "globalInHash"),
            metrics=dict(data.get("metrics") or {}),
            path=path.parent,
        )
    except (ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, InputError):
            raise InputError(f"{path}: {exc.field}", exc.rule, exc.value) from None
        raise InputError(str(path), f"not a round manifest ({exc!r})") from None


def _previous_hash(out_dir: Path, round_: int) -> bytes | None:
    if round_ == 1:
        initial = out_dir / "initial.bin"
        return fedavg.bytes_hash(initial.read_bytes()) if initial.is_file() else None
    before = round_dir(out_dir, round_ - 1) / "aggregate.bin"
    return fedavg.bytes_hash(before.read_bytes()) if before.is_file() else None


def audit_round(
    out_dir: Path,
    round_: int,
    *,
    updates_root: bytes | None = None,
    clients: int | Mapping[str, bytes] | None = None,
    aggregate_hash: bytes | None = None,
) -> RoundAudit:
    """Recompute round ``round_`` from its published files and compare with its manifest and, when given, with the
    chain's values: ``updates_root``, ``clients`` (their number, or office -> update hash) and ``aggregate_hash``.

    From the files: every client's update hash (keccak-256 of ``<office>.bin``), the Merkle root over them (offices
    in order), the FedAvg of the updates weighted by the manifest's example counts and its hash; then the hash of
    ``aggregate.bin``, and the round's starting model against the previous round's aggregate (``initial.bin`` for
    round 1) where published."""
    manifest = read_round(out_dir, round_)
    where = manifest.path
    bad: list[str] = []
    if manifest.round != round_:
        bad.append(f"round: the manifest says round {manifest.round}")
    offices = [c.office for c in manifest.clients]
    if offices != sorted(set(offices)):
        bad.append(f"clients: the manifest must list each office once, in order (lists {', '.join(offices)})")
    hashes: dict[str, bytes] = {}
    updates: dict[str, tuple[Sequence[object], int]] = {}
    for c in manifest.clients:
        file = where / c.file
        if Path(c.file).name != c.file or not file.is_file():
            bad.append(f"client {c.office}: update file {c.file} is not published")
            continue
        data = file.read_bytes()
        hashes[c.office] = got = fedavg.bytes_hash(data)
        if got != c.update_hash:
            bad.append(
                f"client {c.office}: update hash {_hex(c.update_hash)} in the manifest, {_hex(got)} from {c.file}"
            )
        try:
            updates[c.office] = (fedavg.deserialise(data), c.examples)
        except fedavg.FormatError as exc:
            bad.append(f"client {c.office}: {c.file} is not a canonical parameter list ({exc})")
    root = agg_hash = None
    if manifest.clients and len(hashes) == len(manifest.clients):
        root = fedavg.updates_root([hashes[c.office] for c in manifest.clients])
        if root != manifest.updates_root:
            bad.append(
                f"updates root: {_hex(manifest.updates_root)} in the manifest, {_hex(root)} from the update files"
            )
    if updates and len(updates) == len(manifest.clients):
        try:
            agg_hash = fedavg.update_hash(fedavg.aggregate(updates))
        except ValueError as exc:
            bad.append(f"aggregate: cannot be recomputed ({exc})")
        else:
            if agg_hash != manifest.aggregate_hash:
                bad.append(
                    f"aggregate: {_hex(manifest.aggregate_hash)} in the manifest, {_hex(agg_hash)} recomputed from "
                    "the updates (FedAvg)"
                )
    agg_file = where / "aggregate.bin"
    if not agg_file.is_file():
        bad.append("aggregate.bin: not published")
    else:
        published = fedavg.bytes_hash(agg_file.read_bytes())
        expected = agg_hash or manifest.aggregate_hash
        if published != expected:
            bad.append(f"aggregate.bin: hash {_hex(published)}, the aggregate is {_hex(expected)}")
    before = _previous_hash(out_dir, round_)
    if before is not None and before != manifest.global_in_hash:
        bad.append(
            f"global model in: {_hex(manifest.global_in_hash)} in the manifest, {_hex(before)} published by "
            + ("initial.bin" if round_ == 1 else f"round {round_ - 1}")
        )
    bad += _against_chain(manifest, hashes, root, agg_hash, updates_root, clients, aggregate_hash)
    return RoundAudit(round_, manifest.federation, tuple(bad), root, agg_hash, hashes)


def _against_chain(
    manifest: RoundManifest,
    hashes: Mapping[str, bytes],
    root: bytes | None,
    agg_hash: bytes | None,
    chain_root: bytes | None,
    chain_clients: int | Mapping[str, bytes] | None,
    chain_aggregate: bytes | None,
) -> list[str]:
    bad = []
    if chain_root is not None and chain_root != (root or manifest.updates_root):
        bad.append(f"chain updates root: {_hex(chain_root)} anchored, {_hex(root or manifest.updates_root)} published")
    if chain_aggregate is not None and chain_aggregate != (agg_hash or manifest.aggregate_hash):
        bad.append(
            f"chain aggregate: {_hex(chain_aggregate)} anchored, {_hex(agg_hash or manifest.aggregate_hash)} published"
        )
    if isinstance(chain_clients, int):
        if chain_clients != len(manifest.clients):
            bad.append(f"chain clients: {chain_clients} anchored, {len(manifest.clients)} published")
    elif chain_clients is not None:
        anchored, published = set(chain_clients), {c.office for c in manifest.clients}
        for office in sorted(anchored ^ published):
            side = "anchored but not published" if office in anchored else "published but not anchored"
            bad.append(f"chain client {office}: {side}")
        for office in sorted(anchored & published):
            got = hashes.get(office)
            if got is not None and bytes(chain_clients[office]) != got:
                bad.append(
                    f"chain client {office}: update hash {_hex(bytes(chain_clients[office]))} anchored, "
                    f"{_hex(got)} published"
                )
    return bad


# --- the comparison: federated vs central vs each office alone ---


def _summary(values: Sequence[dict[str, float]]) -> dict[str, dict[str, float]]:
    keys = values[0].keys() if values else ()
    return {
        k: {
            "mean": round(sum(v[k] for v in values) / len(values), 4),
            "min": min(v[k] for v in values),
            "max": max(v[k] for v in values),
        }
        for k in keys
    }


def compare(data_dir: Path, out_dir: Path, *, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Per published round, on the validation months: the federated global model (``round-NNN/aggregate.bin``) vs
    a central model of the same type and training (same config, same passes per round) on the pooled training
    rows of the federation's offices vs each office's own model (trained on its rows alone, scored on the whole
    validation set). Metrics: ROC-AUC, PR-AUC, precision in the top 10%. Written to ``out_dir/report.json``."""
    import time

    import numpy as np

    from tradechain.risk import fl_engine

    plan_file = out_dir / "federation.json"
    if not plan_file.is_file():
        raise InputError("OUT_DIR", "holds no federated run (federation.json is missing)", str(out_dir))
    plan = json.loads(plan_file.read_text())
    config = TrainConfig(**plan["config"])
    offices: list[str] = list(plan["offices"])
    numbers = published_rounds(out_dir)
    if not numbers:
        raise InputError("OUT_DIR", "holds no published round", str(out_dir))
    split = declarations.load(data_dir)
    pooled = split.train[split.train[OFFICE].isin(offices)].reset_index(drop=True)
    x_valid, y_valid = fl_engine.features(split.valid, config.bits), fl_engine.labels(split.valid)
    central = fl_engine.LocalTrainer(
        "central", fl_engine.features(pooled, config.bits), fl_engine.labels(pooled), config
    )
    alone = {}
    for office in offices:
        own = split.train[split.train[OFFICE] == office].reset_index(drop=True)
        alone[office] = fl_engine.LocalTrainer(
            office, fl_engine.features(own, config.bits), fl_engine.labels(own), config
        )
    params = {name: fl_engine.initial_parameters(config) for name in ["central", *offices]}
    report_rounds = []
    for r in range(1, max(numbers) + 1):
        started = time.perf_counter()
        params["central"], _ = central.fit(params["central"], r)
        seconds = time.perf_counter() - started
        for office, trainer in alone.items():
            params[office], _ = trainer.fit(params[office], r)
        if r not in numbers:
            continue
        federated = fedavg.deserialise((round_dir(out_dir, r) / "aggregate.bin").read_bytes())
        per_office = {o: fl_engine.metrics(y_valid, fl_engine.scores(params[o], x_valid)) for o in offices}
        fed = fl_engine.metrics(y_valid, fl_engine.scores(federated, x_valid))
        cen = fl_engine.metrics(y_valid, fl_engine.scores(params["central"], x_valid))
        summary = _summary(list(per_office.values()))
        entry: dict[str, Any] = {
            "round": r,
            "federated": fed,
            "central": cen,
            "officesAlone": summary,
            "offices": per_office,
            "centralTrainSeconds": round(seconds, 3),
            "federatedRoundSeconds": read_round(out_dir, r).metrics.get("seconds"),
        }
        report_rounds.append(entry)
        if progress is not None:
            f, c, a = fed, cen, summary
            progress(
                f"round {r}: ROC-AUC federated {f['rocAuc']:.4f}, central {c['rocAuc']:.4f}, offices alone "
                f"{a['rocAuc']['mean']:.4f} (min {a['rocAuc']['min']:.4f}, max {a['rocAuc']['max']:.4f}); "
                f"precision@10% {f['precisionAt10']:.4f} / {c['precisionAt10']:.4f} / {a['precisionAt10']['mean']:.4f}"
            )
    report = {
        "federation": plan["federation"],
        "offices": offices,
        "rows": plan.get("rows", {}),
        "validationRows": len(y_valid),
        "config": plan["config"],
        "flwr": plan.get("flwr"),
        "seed": config.seed,
        "rounds": report_rounds,
        "pooledRows": len(pooled),
        "npVersion": np.__version__,
    }
    (out_dir / "report.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    return report
