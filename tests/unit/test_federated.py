"""Federated training an auditor can check: the canonical bytes of a model update, its keccak hash, FedAvg weighted by
the offices' examples in a fixed order, the Merkle root the chain anchors, and the audit of a published round (MATCH,
or the exact mismatch for a tampered update, aggregate or manifest). The last tests run the Flower engine itself
(``.venv-fl``) on a small sample: three customs offices, two rounds."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from eth_hash.auto import keccak

from tradechain.errors import InputError, TradechainError
from tradechain.formats.merkle import MerkleTree
from tradechain.risk import declarations, fedavg, federated, fl_engine

W = np.array([[1.0, -2.5, 3.0], [0.0, 1e-300, -0.0]])
B = np.array([0.125])


def test_canonical_bytes_are_magic_shapes_then_little_endian_float64_and_read_back_the_same() -> None:
    data = fedavg.serialise([W, B])
    head = b"TCFL1" + struct.pack("<I", 2) + struct.pack("<IQQ", 2, 2, 3) + struct.pack("<IQ", 1, 1)
    assert data == head + W.astype("<f8").tobytes() + B.astype("<f8").tobytes()
    back = fedavg.deserialise(data)
    assert [a.shape for a in back] == [(2, 3), (1,)]
    assert fedavg.serialise(back) == data
    assert fedavg.serialise([np.array([1, 2]), [0.125]]) == fedavg.serialise([np.array([1.0, 2.0]), B])


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"XXXX1" + b"\0" * 8, "bad magic"),
        (fedavg.serialise([W, B])[:-1], "truncated"),
        (fedavg.serialise([W, B]) + b"\0", "1 bytes after the last array"),
    ],
)
def test_bytes_that_are_not_a_canonical_parameter_list_are_refused(data: bytes, says: str) -> None:
    with pytest.raises(fedavg.FormatError, match=says):
        fedavg.deserialise(data)


def test_a_parameter_that_is_not_finite_cannot_be_published() -> None:
    with pytest.raises(fedavg.FormatError, match="array 1 holds a value that is not finite"):
        fedavg.serialise([W, np.array([np.nan])])


def test_the_update_hash_is_keccak_256_of_the_canonical_bytes() -> None:
    assert fedavg.update_hash([W, B]) == keccak(fedavg.serialise([W, B]))
    assert fedavg.update_hash([W, B]) != fedavg.update_hash([W, B + 1e-12])


def test_fedavg_weights_each_office_by_its_examples_and_gives_the_same_bytes_in_any_order() -> None:
    a = ([np.array([0.0, 4.0]), np.array([1.0])], 1)
    b = ([np.array([2.0, 0.0]), np.array([3.0])], 3)
    agg = fedavg.aggregate({"40": a, "13": b})
    assert [x.tolist() for x in agg] == [[1.5, 1.0], [2.5]]
    assert fedavg.serialise(fedavg.aggregate({"13": b, "40": a})) == fedavg.serialise(agg)
    rng = np.random.default_rng(1)
    many = {str(i): ([rng.normal(size=50), rng.normal(size=1)], int(rng.integers(1, 1000))) for i in range(12)}
    shuffled = dict(reversed(list(many.items())))
    assert fedavg.update_hash(fedavg.aggregate(shuffled)) == fedavg.update_hash(fedavg.aggregate(many))


def test_fedavg_refuses_an_office_with_no_examples_or_other_shapes() -> None:
    with pytest.raises(ValueError, match="client 20 trained on 0 examples"):
        fedavg.aggregate({"10": ([W], 5), "20": ([W], 0)})
    with pytest.raises(ValueError, match="client 20 sent parameters of other shapes than client 10"):
        fedavg.aggregate({"10": ([W], 5), "20": ([B], 5)})


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8])
def test_the_updates_root_is_the_merkle_tree_root_the_chain_checks(count: int) -> None:
    hashes = [keccak(bytes([i])) for i in range(count)]
    assert fedavg.updates_root(hashes) == MerkleTree.build(hashes).root
    if count == 2:
        assert fedavg.updates_root(hashes) == keccak(min(hashes) + max(hashes))


# --- audits of round directories built without Flower ---


def publish(out: Path, rounds: int = 2) -> list[dict[str, Any]]:
    """Rounds as the engine publishes them: three offices, each nudging the global model by its own amount."""
    start = [np.zeros(6), np.zeros(1)]
    start_bytes = fedavg.serialise(start)
    out.mkdir(parents=True, exist_ok=True)
    (out / "initial.bin").write_bytes(start_bytes)
    global_in, params, manifests = fedavg.bytes_hash(start_bytes), start, []
    for r in range(1, rounds + 1):
        updates = {
            office: ([params[0] + step * r, params[1] - step], examples)
            for office, step, examples in (("13", 0.1, 956), ("20", -0.3, 11410), ("40", 0.7, 13909))
        }
        params, manifest = fl_engine.publish_round(out, "customs-offices", r, updates, global_in, {"seconds": 0.1})
        global_in = bytes.fromhex(manifest["aggregateHash"][2:])
        manifests.append(manifest)
    return manifests


def edit_manifest(out: Path, round_: int, change: Any) -> None:
    path = fl_engine.round_dir(out, round_) / "manifest.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def nudge(path: Path) -> None:
    """Change the file's last float in its 20th mantissa bit from the top (still a valid, finite parameter list)."""
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x10
    path.write_bytes(bytes(data))


def test_a_published_round_holds_what_fedavg_computes_and_audits_to_match(tmp_path: Path) -> None:
    manifests = publish(tmp_path)
    m = federated.read_round(tmp_path, 2)
    files = {c.office: (tmp_path / "round-002" / c.file).read_bytes() for c in m.clients}
    assert [c.office for c in m.clients] == ["13", "20", "40"]
    assert [c.update_hash for c in m.clients] == [keccak(files[o]) for o in ("13", "20", "40")]
    assert m.updates_root == MerkleTree.build([c.update_hash for c in m.clients]).root
    updates = {c.office: (fedavg.deserialise(files[c.office]), c.examples) for c in m.clients}
    assert m.aggregate_hash == fedavg.update_hash(fedavg.aggregate(updates))
    assert m.global_in_hash == bytes.fromhex(manifests[0]["aggregateHash"][2:]) and m.examples == 26275
    for r in (1, 2):
        audit = federated.audit_round(tmp_path, r)
        assert (audit.verdict, audit.mismatches) == ("MATCH", ())
        assert audit.to_json()["updatesRoot"] == manifests[r - 1]["updatesRoot"]
    anchored = {c.office: c.update_hash for c in m.clients}
    chain = federated.audit_round(
        tmp_path, 2, updates_root=m.updates_root, clients=anchored, aggregate_hash=m.aggregate_hash
    )
    assert chain.verdict == "MATCH"
    assert federated.published_rounds(tmp_path) == [1, 2]


def test_an_office_nudging_its_published_update_is_the_exact_mismatch(tmp_path: Path) -> None:
    publish(tmp_path)
    before = federated.read_round(tmp_path, 2)
    nudge(tmp_path / "round-002" / "20.bin")
    audit = federated.audit_round(tmp_path, 2)
    now = keccak((tmp_path / "round-002" / "20.bin").read_bytes())
    assert audit.verdict == "MISMATCH"
    assert [m.split(":")[0] for m in audit.mismatches] == ["client 20", "updates root", "aggregate", "aggregate.bin"]
    assert audit.mismatches[0] == (
        f"client 20: update hash 0x{before.clients[1].update_hash.hex()} in the manifest, 0x{now.hex()} from 20.bin"
    )
    assert audit.client_hashes["20"] == now and audit.client_hashes["13"] == before.clients[0].update_hash
    assert federated.audit_round(tmp_path, 1).verdict == "MATCH"


def test_a_tampered_aggregate_file_is_the_exact_mismatch(tmp_path: Path) -> None:
    publish(tmp_path)
    nudge(tmp_path / "round-001" / "aggregate.bin")
    audit = federated.audit_round(tmp_path, 1)
    published = keccak((tmp_path / "round-001" / "aggregate.bin").read_bytes())
    assert audit.aggregate_hash is not None
    assert audit.mismatches == (
        f"aggregate.bin: hash 0x{published.hex()}, the aggregate is 0x{audit.aggregate_hash.hex()}",
    )
    # round 2 started from the aggregate as published before: its starting point no longer matches
    assert [m.split(":")[0] for m in federated.audit_round(tmp_path, 2).mismatches] == ["global model in"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(aggregateHash="0x" + "11" * 32), ["aggregate"]),
        (lambda d: d.update(updatesRoot="0x" + "22" * 32), ["updates root"]),
        (lambda d: d["clients"][2].update(updateHash="0x" + "33" * 32), ["client 40"]),
        (lambda d: d["clients"][0].update(examples=50000), ["aggregate", "aggregate.bin"]),
        (lambda d: d["clients"].pop(0), ["updates root", "aggregate", "aggregate.bin"]),
    ],
    ids=["aggregate hash", "updates root", "client hash", "examples inflated", "client dropped"],
)
def test_a_tampered_manifest_is_the_exact_mismatch(tmp_path: Path, change: Any, expected: list[str]) -> None:
    publish(tmp_path)
    edit_manifest(tmp_path, 2, change)
    audit = federated.audit_round(tmp_path, 2)
    assert audit.verdict == "MISMATCH"
    assert [m.split(":")[0] for m in audit.mismatches] == expected


def test_what_the_chain_anchored_is_checked_against_the_published_round(tmp_path: Path) -> None:
    publish(tmp_path)
    m = federated.read_round(tmp_path, 1)
    hashes = {c.office: c.update_hash for c in m.clients}
    anchored = {**hashes, "40": b"\3" * 32, "99": b"\4" * 32}
    audit = federated.audit_round(tmp_path, 1, updates_root=b"\1" * 32, aggregate_hash=b"\2" * 32, clients=anchored)
    assert audit.mismatches == (
        f"chain updates root: 0x{'01' * 32} anchored, 0x{m.updates_root.hex()} published",
        f"chain aggregate: 0x{'02' * 32} anchored, 0x{m.aggregate_hash.hex()} published",
        "chain client 99: anchored but not published",
        f"chain client 40: update hash 0x{'03' * 32} anchored, 0x{hashes['40'].hex()} published",
    )
    assert federated.audit_round(tmp_path, 1, clients=2).mismatches == ("chain clients: 2 anchored, 3 published",)


def test_a_round_that_is_not_published_is_refused_by_name(tmp_path: Path) -> None:
    publish(tmp_path, rounds=1)
    with pytest.raises(InputError, match="round 2 is not published"):
        federated.audit_round(tmp_path, 2)
    edit_manifest(tmp_path, 1, lambda d: d.update(updatesRoot="0x1234"))
    with pytest.raises(InputError, match="updatesRoot: must be a 32-byte hash"):
        federated.read_round(tmp_path, 1)


def test_without_flowers_venv_running_says_to_run_make_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = declarations.write_sample(tmp_path / "data", 200)
    monkeypatch.setenv(federated.PYTHON_ENV, str(tmp_path / "nowhere" / "python"))
    with pytest.raises(TradechainError, match=r"Flower's venv is missing .*run `make install`"):
        federated.run(data, tmp_path / "out", rounds=1)


def test_running_on_a_directory_without_declarations_names_the_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=f"DATA_DIR: lacks {declarations.TRAIN_FILE}"):
        federated.run(tmp_path, tmp_path / "out", rounds=1)
    with pytest.raises(InputError, match="--rounds: must be at least 1"):
        federated.run(tmp_path, tmp_path / "out", rounds=0)


def test_offices_are_the_largest_with_enough_rows() -> None:
    frame = declarations.sample(600, seed=3)
    counts = frame["Office ID"].value_counts()
    assert fl_engine.choose_offices(frame, 2) == sorted(counts.index[:2])
    assert fl_engine.choose_offices(frame, None, min_rows=1) == sorted(counts.index)
    with pytest.raises(ValueError, match="no office has at least 100000 training rows"):
        fl_engine.choose_offices(frame, 3, min_rows=100_000)


# --- the Flower engine itself (.venv-fl) ---

ENGINE = federated.REPO / ".venv-fl" / "bin" / "python"
needs_engine = pytest.mark.skipif(
    not ENGINE.is_file() and not federated.os.environ.get(federated.PYTHON_ENV),
    reason=f"Flower's venv is absent ({ENGINE}): `make install` builds it from requirements-fl.lock",
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str], list[federated.RoundManifest]]:
    base = tmp_path_factory.mktemp("fl")
    data = declarations.write_sample(base / "data", 1200, seed=11)
    lines: list[str] = []
    manifests = federated.run(data, base / "out", rounds=2, offices=3, bits=10, progress=lines.append)
    return data, base / "out", lines, manifests


@needs_engine
def test_three_offices_train_two_rounds_over_flower_and_each_round_audits_to_match(
    trained: tuple[Path, Path, list[str], list[federated.RoundManifest]],
) -> None:
    data, out, lines, manifests = trained
    split = declarations.load(data)
    offices = sorted(split.train["Office ID"].value_counts().index[:3])
    assert lines[0].startswith(f"federation customs-offices: 3 offices ({', '.join(offices)}), 2 rounds")
    assert [line.split(":")[0] for line in lines[1:3]] == ["round 1/2", "round 2/2"]
    for m in manifests:
        assert [c.office for c in m.clients] == offices
        assert [c.examples for c in m.clients] == [int((split.train["Office ID"] == o).sum()) for o in offices]
        assert 0.0 <= m.metrics["valid"]["rocAuc"] <= 1.0
        assert federated.audit_round(out, m.round).verdict == "MATCH"
    assert manifests[1].global_in_hash == manifests[0].aggregate_hash
    assert manifests[0].global_in_hash == keccak((out / "initial.bin").read_bytes())


@needs_engine
def test_the_federated_model_is_compared_with_central_and_each_office_alone(
    trained: tuple[Path, Path, list[str], list[federated.RoundManifest]],
) -> None:
    data, out, _, manifests = trained
    report = federated.compare(data, out)
    assert json.loads((out / "report.json").read_text()) == report
    assert [r["round"] for r in report["rounds"]] == [1, 2]
    first = report["rounds"][0]
    assert first["federated"] == manifests[0].metrics["valid"]
    assert set(first["offices"]) == {c.office for c in manifests[0].clients}
    assert set(first["central"]) == {"rocAuc", "prAuc", "precisionAt10"}
    auc = [o["rocAuc"] for o in first["offices"].values()]
    assert first["officesAlone"]["rocAuc"] == {"mean": round(sum(auc) / 3, 4), "min": min(auc), "max": max(auc)}
