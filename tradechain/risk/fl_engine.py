"""Federated training of the customs risk model with Flower: each customs office (the data's ``Office ID``) trains
on its own training rows in its own process and sends only its parameters; the server aggregates them with
:func:`tradechain.risk.fedavg.aggregate` (so an auditor recomputes the identical bytes) and publishes every round.

Runs in ``.venv-fl`` (Flower's pins clash with the portal's web stack), started by :func:`tradechain.risk.federated.run`
or as ``python -m tradechain.risk.fl_engine --data DIR --out DIR --rounds N --offices K --seed S``. Flower 1.42's
simulation engine needs Ray, which is not used: the server is Flower's ``start_server`` (gRPC on 127.0.0.1) and each
office is a separate process running ``start_client`` against it. Everything but :func:`main` and the two Flower
entry points (``serve``, ``_client_main``) is plain numpy/scipy/scikit-learn, importable in the main venv too
(the comparison with central and per-office models uses it there).

The model is a logistic regression over features computed from each row alone (no statistic pooled across rows
or offices): hashed one-hot tokens (HS2/HS4/HS6, countries, origin vs departure, tax type and rate, import type and
use, payment type, mode of transport, process type, office, courier, and crosses of the HS code, origin and tax
type with the log2 bin of the unit price, of the mass and of the price) into ``2**bits`` columns, plus four scaled
numbers (log mass, log price, log unit price, tax rate). Local training: minibatch Adagrad on the log loss, ``epochs``
passes per round, each office keeping its own Adagrad accumulators between rounds.

Each round writes ``OUT/round-NNN/``: ``<office>.bin`` (every client's parameters, canonical bytes),
``aggregate.bin`` and ``manifest.json`` ({federation, round, clients: [{office, examples, updateHash, file}],
updatesRoot, aggregateHash, globalInHash, metrics}); ``OUT/initial.bin`` is round 1's starting model and
``OUT/federation.json`` the run's configuration."""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import socket
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from tradechain.errors import TradechainError
from tradechain.risk import declarations, fedavg

if TYPE_CHECKING:
    import pandas as pd
    import scipy.sparse as sp

FEDERATION = "customs-offices"
MIN_ROWS = 100
OFFICE = "Office ID"


@dataclass(frozen=True)
class TrainConfig:
    """How every office trains locally (the same for the central and per-office models of the comparison)."""

    bits: int = 16
    epochs: int = 5
    lr: float = 0.1
    l2: float = 1e-6
    batch: int = 64
    seed: int = 0

    @property
    def dimension(self) -> int:
        return (1 << self.bits) + len(NUMBERS)


NUMBERS = ("log mass", "log price", "log unit price", "tax rate")


# --- features: each row on its own ---


def _column(frame: pd.DataFrame, name: str) -> NDArray[Any]:
    values: NDArray[Any] = frame[name].to_numpy(dtype=object)
    return values


def tokens(frame: pd.DataFrame) -> list[list[str]]:
    """The categorical tokens of every row (hashed by :func:`features`)."""
    mass = frame["Net Mass"].astype(float).to_numpy()
    price = frame["Item Price"].astype(float).to_numpy()
    unit = price / np.maximum(mass, 1e-3)
    ub = np.floor(np.log2(unit + 1e-9) * 2).astype(int)
    mb = np.floor(np.log2(mass + 1e-9)).astype(int)
    pb = np.floor(np.log2(price + 1e-9)).astype(int)
    c = {name: _column(frame, name) for name in declarations.INPUTS}
    out = []
    for i in range(len(frame)):
        hs, o, d = c["HS6 Code"][i], c["Country of Origin"][i], c["Country of Departure"][i]
        office, tax, oi = c[OFFICE][i], c["Tax Type"][i], c["Country of Origin Indicator"][i]
        u = ub[i]
        out.append(
            [
                f"of={office}",
                f"pt={c['Process Type'][i]}",
                f"it={c['Import Type'][i]}",
                f"iu={c['Import Use'][i]}",
                f"pay={c['Payment Type'][i]}",
                f"mode={c['Mode of Transport'][i]}",
                f"tt={tax}",
                f"oi={oi}",
                f"cou={c['Courier ID'][i]}",
                f"hs2={hs[:2]}",
                f"hs4={hs[:4]}",
                f"hs6={hs}",
                f"o={o}",
                f"d={d}",
                f"od={o}{d}",
                f"diff={o != d}",
                f"tr={c['Tax Rate'][i]}",
                f"hs6ub={hs}|{u}",
                f"hs4ub={hs[:4]}|{u}",
                f"hs2ub={hs[:2]}|{u}",
                f"oub={o}|{u}",
                f"hs6o={hs}|{o}",
                f"ttub={tax}|{u}",
                f"mb={mb[i]}",
                f"pb={pb[i]}",
                f"hs4mb={hs[:4]}|{mb[i]}",
                f"ofhs2={office}|{hs[:2]}",
                f"hs6oub={hs}|{o}|{u}",
                f"oiub={oi}|{u}",
                f"tto={tax}|{o}",
            ]
        )
    return out


def features(frame: pd.DataFrame, bits: int) -> sp.csr_matrix:
    """The sparse feature matrix of declarations: ``2**bits`` hashed token columns (murmur3, scikit-learn's
    FeatureHasher, no sign flip) then the four numbers of :data:`NUMBERS`, each scaled by a fixed constant."""
    import scipy.sparse as sp
    from sklearn.feature_extraction import FeatureHasher

    mass = frame["Net Mass"].astype(float).to_numpy()
    price = frame["Item Price"].astype(float).to_numpy()
    unit = price / np.maximum(mass, 1e-3)
    tax = frame["Tax Rate"].astype(float).to_numpy()
    hashed = FeatureHasher(n_features=2**bits, input_type="string", alternate_sign=False).transform(tokens(frame))
    numbers = np.column_stack([np.log1p(mass) / 10, np.log1p(price) / 15, np.log1p(unit) / 10, tax / 100])
    return sp.hstack([hashed, sp.csr_matrix(numbers)], format="csr")


def labels(frame: pd.DataFrame) -> NDArray[np.float64]:
    y: NDArray[np.float64] = (frame[declarations.FRAUD].to_numpy() == "1").astype(np.float64)
    return y


# --- the model ---


def initial_parameters(config: TrainConfig) -> fedavg.Arrays:
    """Round 1's global model: ``[weights (dimension,), intercept (1,)]``, all zero."""
    return [np.zeros(config.dimension), np.zeros(1)]


def scores(parameters: Sequence[NDArray[np.float64]], x: sp.csr_matrix) -> NDArray[np.float64]:
    """The fraud probability of every row."""
    z = np.asarray(x @ parameters[0]) + parameters[1][0]
    p: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))
    return p


def _rng(config: TrainConfig, party: str, round_: int) -> np.random.Generator:
    return np.random.default_rng([config.seed, round_, *party.encode()])


class LocalTrainer:
    """One party's training rows and Adagrad accumulators; :meth:`fit` runs ``epochs`` passes from given
    parameters. Deterministic for (seed, party, round)."""

    def __init__(self, party: str, x: sp.csr_matrix, y: NDArray[np.float64], config: TrainConfig) -> None:
        self.party, self.x, self.y, self.config = party, x, y, config
        self.g2 = [np.full(config.dimension, 1e-8), np.full(1, 1e-8)]

    @property
    def examples(self) -> int:
        return int(self.x.shape[0])

    def fit(self, parameters: Sequence[NDArray[np.float64]], round_: int) -> tuple[fedavg.Arrays, float]:
        """The parameters after this round's local passes, and the mean log loss seen while training."""
        cfg = self.config
        w, b = np.array(parameters[0], dtype=np.float64), float(parameters[1][0])
        gw, gb = self.g2[0], float(self.g2[1][0])
        rng = _rng(cfg, self.party, round_)
        n, loss = self.examples, 0.0
        for _ in range(cfg.epochs):
            order = rng.permutation(n)
            for k in range(0, n, cfg.batch):
                idx = order[k : k + cfg.batch]
                xb, yb = self.x[idx], self.y[idx]
                p = 1.0 / (1.0 + np.exp(-np.clip(np.asarray(xb @ w) + b, -50, 50)))
                loss -= float(np.sum(yb * np.log(p + 1e-12) + (1 - yb) * np.log(1 - p + 1e-12)))
                g = p - yb
                grad = np.asarray(xb.T @ g) / len(idx) + cfg.l2 * w
                grad_b = float(g.mean())
                gw += grad * grad
                gb += grad_b * grad_b
                w -= cfg.lr * grad / np.sqrt(gw)
                b -= cfg.lr * grad_b / math.sqrt(gb)
        self.g2 = [gw, np.array([gb])]
        return [w, np.array([b])], loss / max(1, n * cfg.epochs)


def metrics(y: NDArray[np.float64], s: NDArray[np.float64]) -> dict[str, float]:
    """ROC-AUC, PR-AUC (average precision) and the precision in the top 10% by score (ties: file order)."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    top = np.argsort(-s, kind="stable")[: max(1, math.ceil(0.1 * len(y)))]
    return {
        "rocAuc": round(float(roc_auc_score(y, s)), 4),
        "prAuc": round(float(average_precision_score(y, s)), 4),
        "precisionAt10": round(float(y[top].mean()), 4),
    }


def choose_offices(train: pd.DataFrame, offices: int | None, min_rows: int = MIN_ROWS) -> list[str]:
    """The ``offices`` largest offices by training rows (all when None) among those with at least ``min_rows``
    rows; ties by id."""
    counts = train[OFFICE].value_counts()
    ranked = sorted(((int(n), str(o)) for o, n in counts.items() if n >= min_rows), key=lambda t: (-t[0], t[1]))
    chosen = [o for _, o in ranked][: offices if offices else None]
    if not chosen:
        raise ValueError(f"no office has at least {min_rows} training rows")
    return sorted(chosen)


def round_dir(out: Path, round_: int) -> Path:
    return out / f"round-{round_:03d}"


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def publish_round(
    out: Path,
    federation: str,
    round_: int,
    updates: dict[str, tuple[fedavg.Arrays, int]],
    global_in: bytes,
    extra: dict[str, Any] | None = None,
) -> tuple[fedavg.Arrays, dict[str, Any]]:
    """Write a round's client updates, aggregate and manifest; returns the aggregate and the manifest."""
    where = round_dir(out, round_)
    where.mkdir(parents=True, exist_ok=True)
    clients: list[dict[str, Any]] = []
    hashes: list[bytes] = []
    for office in sorted(updates):
        arrays, examples = updates[office]
        data = fedavg.serialise(arrays)
        _write(where / f"{office}.bin", data)
        hashes.append(fedavg.bytes_hash(data))
        clients.append(
            {
                "office": office,
                "examples": int(examples),
                "updateHash": "0x" + hashes[-1].hex(),
                "file": f"{office}.bin",
            }
        )
    agg = fedavg.aggregate(updates)
    agg_bytes = fedavg.serialise(agg)
    _write(where / "aggregate.bin", agg_bytes)
    manifest: dict[str, Any] = {
        "federation": federation,
        "round": round_,
        "clients": clients,
        "updatesRoot": "0x" + fedavg.updates_root(hashes).hex(),
        "aggregateHash": "0x" + fedavg.bytes_hash(agg_bytes).hex(),
        "globalInHash": "0x" + global_in.hex(),
        "metrics": extra or {},
    }
    _write(where / "manifest.json", (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
    return agg, manifest


# --- Flower: the server and the office clients ---


def _quiet() -> None:
    # Flower logs every message it receives (and that start_server/start_client are deprecated) at INFO/WARNING.
    import logging

    logging.getLogger("flwr").setLevel(logging.ERROR)


def _client_main(address: str, office: str, train_rows: pd.DataFrame, config: TrainConfig) -> None:
    """One office's process: its own training rows only; sends its parameters after each round's local passes."""
    import flwr as fl

    _quiet()

    x, y = features(train_rows, config.bits), labels(train_rows)
    trainer = LocalTrainer(office, x, y, config)
    _wait_for(address)

    class Office(fl.client.NumPyClient):  # type: ignore[misc]
        def get_parameters(self, config: dict[str, Any]) -> fedavg.Arrays:
            return initial_parameters(trainer.config)

        def fit(self, parameters: fedavg.Arrays, config: dict[str, Any]) -> tuple[fedavg.Arrays, int, dict[str, Any]]:
            params, loss = trainer.fit(parameters, int(config["round"]))
            return params, trainer.examples, {"office": office, "loss": loss}

    fl.client.start_client(server_address=address, client=Office().to_client(), insecure=True)


def _client_entry(address: str, office: str, train_rows: pd.DataFrame, config: TrainConfig) -> None:
    # The spawned process imports this module by its real name (also when the parent runs it with ``-m``).
    import importlib

    importlib.import_module("tradechain.risk.fl_engine")._client_main(address, office, train_rows, config)


_CLIENT = _client_entry


def _wait_for(address: str, seconds: float = 120.0) -> None:
    """Wait until the server accepts connections: over gRPC-bidi, Flower's client gives up at once on a server
    not listening yet (its retries cover only the channel, not the first message)."""
    host, port = address.rsplit(":", 1)
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection((host, int(port)), timeout=1.0):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the federation's server at {address} did not start in {seconds:.0f} s") from None
            time.sleep(0.1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _say(line: str) -> None:
    print(line, flush=True)


def serve(
    data_dir: Path,
    out: Path,
    rounds: int,
    offices: int | None,
    config: TrainConfig,
    *,
    min_rows: int = MIN_ROWS,
    federation: str = FEDERATION,
    port: int | None = None,
) -> list[dict[str, Any]]:
    """Run the federation: one process per chosen office, Flower's server in this one; returns the manifests."""
    import flwr as fl
    from flwr.common import ndarrays_to_parameters, parameters_to_ndarrays

    _quiet()
    split = declarations.load(data_dir)
    chosen = choose_offices(split.train, offices, min_rows)
    out.mkdir(parents=True, exist_ok=True)
    x_valid, y_valid = features(split.valid, config.bits), labels(split.valid)
    start = initial_parameters(config)
    start_bytes = fedavg.serialise(start)
    _write(out / "initial.bin", start_bytes)
    rows = {o: int((split.train[OFFICE] == o).sum()) for o in chosen}
    plan = {
        "federation": federation,
        "rounds": rounds,
        "offices": chosen,
        "rows": rows,
        "minRows": min_rows,
        "config": asdict(config),
        "initialHash": "0x" + fedavg.bytes_hash(start_bytes).hex(),
        "flwr": fl.__version__,
    }
    _write(out / "federation.json", (json.dumps(plan, indent=2, sort_keys=True) + "\n").encode())
    _say(f"federation {federation}: {len(chosen)} offices ({', '.join(chosen)}), {rounds} rounds")

    address = f"127.0.0.1:{port or _free_port()}"
    ctx = multiprocessing.get_context("spawn")
    procs = []
    for office in chosen:
        own = split.train[split.train[OFFICE] == office].reset_index(drop=True)
        proc = ctx.Process(target=_CLIENT, args=(address, office, own, config), name=f"office-{office}")
        proc.start()
        procs.append(proc)
    finished = threading.Event()

    def watch() -> None:
        while not finished.wait(0.5):
            for proc in procs:
                if proc.exitcode not in (None, 0):
                    _say(f"error: the client of {proc.name} stopped (exit code {proc.exitcode})")
                    for other in procs:
                        if other.is_alive():
                            other.kill()
                    os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
    manifests: list[dict[str, Any]] = []
    global_in = [fedavg.bytes_hash(start_bytes)]
    clock = [time.perf_counter()]

    class AuditedFedAvg(fl.server.strategy.FedAvg):  # type: ignore[misc]
        """FedAvg whose aggregate is :func:`fedavg.aggregate` over the offices' updates, published each round."""

        def aggregate_fit(
            self, server_round: int, results: list[Any], failures: list[Any]
        ) -> tuple[Any, dict[str, Any]]:
            if failures:
                raise RuntimeError(f"round {server_round}: {len(failures)} client(s) failed")
            updates, losses = {}, {}
            for _proxy, res in results:
                office = str(res.metrics["office"])
                if office in updates:
                    raise RuntimeError(f"round {server_round}: two updates from office {office}")
                updates[office] = (parameters_to_ndarrays(res.parameters), int(res.num_examples))
                losses[office] = round(float(res.metrics["loss"]), 6)
            agg = fedavg.aggregate(updates)
            now = time.perf_counter()
            valid = metrics(y_valid, scores(agg, x_valid))
            extra: dict[str, Any] = {
                "valid": valid,
                "trainLoss": losses,
                "seconds": round(now - clock[0], 3),
            }
            agg, manifest = publish_round(out, federation, server_round, updates, global_in[0], extra)
            global_in[0] = bytes.fromhex(manifest["aggregateHash"][2:])
            clock[0] = time.perf_counter()
            manifests.append(manifest)
            v = valid
            _say(
                f"round {server_round}/{rounds}: {len(updates)} offices, "
                f"{sum(n for _, n in updates.values())} examples, ROC-AUC {v['rocAuc']:.4f}, "
                f"PR-AUC {v['prAuc']:.4f}, precision@10% {v['precisionAt10']:.4f}, {extra['seconds']:.2f} s"
            )
            return ndarrays_to_parameters(agg), {}

    strategy = AuditedFedAvg(
        fraction_fit=1.0,
        fraction_evaluate=0.0,
        min_fit_clients=len(chosen),
        min_evaluate_clients=0,
        min_available_clients=len(chosen),
        initial_parameters=ndarrays_to_parameters(start),
        on_fit_config_fn=lambda r: {"round": r},
        accept_failures=False,
    )
    try:
        fl.server.start_server(
            server_address=address,
            config=fl.server.ServerConfig(num_rounds=rounds, round_timeout=600.0),
            strategy=strategy,
        )
    finally:
        finished.set()
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    if len(manifests) != rounds:
        raise RuntimeError(f"the federation ran {len(manifests)} of {rounds} rounds")
    return manifests


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tradechain.risk.fl_engine", description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the declarations' data directory")
    parser.add_argument("--out", type=Path, required=True, help="where the rounds are published")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--offices", type=int, default=None, help="the K largest offices (default: all)")
    parser.add_argument("--min-rows", type=int, default=MIN_ROWS, help="offices with fewer training rows stay out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=TrainConfig.epochs, help="local passes per round")
    parser.add_argument("--bits", type=int, default=TrainConfig.bits, help="2**bits hashed feature columns")
    parser.add_argument("--lr", type=float, default=TrainConfig.lr)
    parser.add_argument("--federation", default=FEDERATION)
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    config = TrainConfig(bits=args.bits, epochs=args.epochs, lr=args.lr, seed=args.seed)
    try:
        serve(
            args.data,
            args.out,
            args.rounds,
            args.offices,
            config,
            min_rows=args.min_rows,
            federation=args.federation,
            port=args.port,
        )
    except (TradechainError, ValueError, RuntimeError, OSError) as exc:
        _say(f"error: {exc}")
        return 1
    _say(f"done: {args.rounds} rounds in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
