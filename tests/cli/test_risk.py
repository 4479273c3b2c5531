"""Issue 17, AI risk assessment with an auditable trail, as customs and auditors use it: `risk train` prints the
model id (the SHA-256 of its ONNX artifact; tests/unit/test_risk.py trains twice to the same bytes), `risk score`
writes `Declaration ID,score`, a model is registered by customs and approved by a regulator of another organisation,
decisions are anchored with their reasons (a retry sends nothing), reviewed, given an outcome that the chain's
per-model precision counts, and replayed by `risk audit`: MATCH, or the exact MISMATCH for a tampered input, model
or score."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import tx_count
from helpers import addr, ok, refused, run

from tradechain.risk import declarations

ROWS = 1200


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A model trained by `risk train` on a synthetic data directory (the data set's columns and layout), and a file
    of 30 new declarations (no labels)."""
    base = tmp_path_factory.mktemp("risk")
    data = declarations.write_sample(base / "data", ROWS)
    new = base / "new.csv"
    fresh = declarations.sample(30, seed=42, start="2021-04-01", days=5)
    fresh.drop(columns=list(declarations.LABELS)).to_csv(new, index=False)
    store = base / "store"
    out = ok("risk", "train", str(data), "--out", str(base / "M"), "--store", str(store))
    return {"base": base, "data": data, "model": base / "M", "store": store, "new": new, "card": out}


@pytest.fixture
def risk_env(cli_env: Path, trained: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("TRADECHAIN_MODEL_STORE", str(trained["store"]))
    monkeypatch.setenv("TRADECHAIN_DECISIONS", str(cli_env / "decisions"))
    return {**trained, "tmp": cli_env, "decisions": cli_env / "decisions"}


def _registered(env: dict[str, Any], members: dict[str, int]) -> str:
    model_id: str = env["card"]["modelId"]
    ok("risk", "register", str(env["model"]), "--approver", str(members["regulator"]), "--account", "customs")
    ok("risk", "approve", model_id, "--proposer", str(members["customs"]), "--account", "regulator")
    return model_id


def _score(env: dict[str, Any], name: str) -> tuple[str, ...]:
    """`risk score` of the new declarations with the trained model, its scores to ``name`` in the test's folder."""
    return ("risk", "score", str(env["new"]), "--model", str(env["model"]), "--out", str(env["tmp"] / name))


def _anchored(env: dict[str, Any], members: dict[str, int], name: str = "S.csv") -> dict[str, Any]:
    _registered(env, members)
    args = _score(env, name)
    result: dict[str, Any] = ok(*args, "--anchor", "--account", "customs")
    return result


# ------------------------------------------------------------------ train and score


def test_train_prints_the_model_id_of_its_onnx_file_and_writes_its_card(trained: dict[str, Any]) -> None:
    card = trained["card"]
    data = (trained["model"] / "model.onnx").read_bytes()
    assert card["modelId"] == "0x" + hashlib.sha256(data).hexdigest()
    assert (trained["store"] / f"{card['modelId'][2:]}.onnx").read_bytes() == data
    written = json.loads((trained["model"] / "card.json").read_text())
    assert written["modelId"] == card["modelId"] and written["training"]["rows"] == ROWS
    assert (
        written["training"]["dataRoot"] == "0x" + declarations.data_root(declarations.load(trained["data"]).train).hex()
    )
    assert set(written["baselines"]) == {"hist_gradient_boosting", "logistic_regression", "rules"}
    assert 0.5 < written["validation"]["metrics"]["rocAuc"] <= 1
    assert written["libraries"]["onnxruntime"] and written["libraries"]["lightgbm"]


def test_score_writes_one_score_from_0_to_1_per_declaration(trained: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "S.csv"
    result = ok("risk", "score", str(trained["new"]), "--model", str(trained["model"]), "--out", str(out))
    with out.open() as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["Declaration ID", "score"]
    ids = [r[0] for r in rows[1:]]
    assert ids == list(declarations.read_csv(trained["new"])["Declaration ID"])
    scores = [float(r[1]) for r in rows[1:]]
    assert all(0 <= s <= 1 for s in scores) and len(set(scores)) > 1
    assert result["inspect"] == sum(s * 1e6 >= result["threshold"] for s in scores)
    again = run("risk", "score", str(trained["new"]), "--model", str(trained["model"]), "--out", str(out))
    refused(again, "out", "never overwritten")


def test_a_bad_declaration_is_refused_naming_its_row_and_column(trained: dict[str, Any], tmp_path: Path) -> None:
    text = trained["new"].read_text().splitlines()
    cells = text[3].split(",")
    cells[declarations.INPUTS.index("Net Mass")] = "-5"
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([*text[:3], ",".join(cells), *text[4:]]) + "\n")
    out = tmp_path / "S.csv"
    refused(
        run("risk", "score", str(bad), "--model", str(trained["model"]), "--out", str(out)),
        "row 3: Net Mass",
        "at least 0",
    )
    assert not out.exists()


# ------------------------------------------------------------------ models on chain, decisions anchored


def test_customs_cannot_approve_its_own_model_and_an_unapproved_model_anchors_nothing(
    risk_env: dict[str, Any], sdk_members: dict[str, int]
) -> None:
    model_id = risk_env["card"]["modelId"]
    ok("risk", "register", str(risk_env["model"]), "--approver", str(sdk_members["regulator"]), "--account", "customs")
    own = run("risk", "approve", model_id, "--proposer", str(sdk_members["customs"]), "--account", "customs", "--json")
    assert own.exit_code == 1 and "MissingRole" in own.stderr, own.stderr  # customs holds no regulator role
    sent = tx_count(addr("customs"))
    args = _score(risk_env, "S.csv")
    refused(run(*args, "--anchor", "--account", "customs"), "model", "is proposed")
    assert tx_count(addr("customs")) == sent and not (risk_env["tmp"] / "S.csv").exists()


def test_anchoring_writes_the_decisions_first_and_a_retry_sends_nothing(
    risk_env: dict[str, Any], sdk_members: dict[str, int], sdk: Any
) -> None:
    first = _anchored(risk_env, sdk_members)
    assert first["sent"] is True and first["decisions"] == 30 and first["inspect"] + first["release"] == 30
    folder = Path(first["batchFolder"])
    files = sorted(p.name for p in folder.glob("*.json") if p.name != "batch.json")
    assert len(files) == 30
    batch = sdk.risk.batch(first["root"], sdk_members["customs"])
    assert batch.exists and batch.count == 30 and "0x" + batch.model_id.hex() == risk_env["card"]["modelId"]
    sent = tx_count(addr("customs"))
    args = _score(risk_env, "S2.csv")
    again = ok(*args, "--anchor", "--account", "customs")
    assert again["sent"] is False and again["resumed"] is True and again["root"] == first["root"]
    assert tx_count(addr("customs")) == sent
    decision = json.loads((folder / files[0]).read_text())
    assert decision["explanation"]["raising"] or decision["explanation"]["lowering"]
    assert decision["batch"]["org"] == sdk_members["customs"] and decision["batch"]["root"] == first["root"]


# ------------------------------------------------------------------ the replay audit


def test_an_auditor_replays_a_decision_to_match(
    risk_env: dict[str, Any], sdk_members: dict[str, int], tmp_path: Path
) -> None:
    first = _anchored(risk_env, sdk_members)
    source = next(p for p in Path(first["batchFolder"]).glob("*.json") if p.name != "batch.json")
    alone = tmp_path / "auditor" / "decision.json"  # the auditor holds only the file, the store and a node
    alone.parent.mkdir()
    shutil.copy(source, alone)
    report = ok("risk", "audit", str(alone))
    assert report["verdict"] == "MATCH" and report["mismatches"] == []
    assert [c["check"] for c in report["checks"]] == [
        "declaration",
        "model",
        "score",
        "threshold",
        "explanation",
        "decision",
        "proof",
        "anchor",
        "approval",
    ]
    text = run("risk", "audit", str(alone))
    assert text.exit_code == 0 and text.output.startswith("MATCH: declaration ")


def _tampered(source: Path, folder: Path, change: Any) -> Path:
    data = json.loads(source.read_text())
    change(data)
    path = folder / "tampered.json"
    path.write_text(json.dumps(data))
    return path


def test_a_tampered_input_model_or_score_is_the_exact_mismatch(
    risk_env: dict[str, Any], sdk_members: dict[str, int], tmp_path: Path
) -> None:
    first = _anchored(risk_env, sdk_members)
    source = next(p for p in Path(first["batchFolder"]).glob("*.json") if p.name != "batch.json")
    original = json.loads(source.read_text())

    def mismatches(path: Path, *extra: str) -> list[str]:
        result = run("risk", "audit", str(path), *extra, "--json")
        assert result.exit_code == 3, (result.output, result.stderr)
        report = json.loads(result.output)
        assert report["verdict"] == "MISMATCH"
        return list(report["mismatches"])

    def input_(d: dict[str, Any]) -> None:  # the declared value changed after the decision
        d["declaration"]["Item Price"] = str(float(d["declaration"]["Item Price"]) * 10)

    got = mismatches(_tampered(source, tmp_path, input_))
    assert got[0] == "declaration" and {"proof", "anchor"} <= set(got)  # its leaf is not the one anchored
    assert "model" not in got and "approval" not in got

    def score(d: dict[str, Any]) -> None:
        d["score"] = (d["score"] + 250_000) % 1_000_000

    flipped = ((original["score"] + 250_000) % 1_000_000 >= original["threshold"]) != (
        original["score"] >= original["threshold"]
    )
    assert mismatches(_tampered(source, tmp_path, score)) == [
        "score",
        *(["decision"] if flipped else []),
        "proof",
        "anchor",
    ]

    other = tmp_path / "other-store"  # a store that hands other bytes under the model's id
    other.mkdir()
    (other / f"{original['modelId'][2:]}.onnx").write_bytes((risk_env["model"] / "model.onnx").read_bytes() + b"\0")
    assert mismatches(source, "--store", str(other)) == ["model", "score", "threshold", "explanation"]


# ------------------------------------------------------------------ human oversight, outcomes, the chain's precision


def test_an_officer_overrides_a_decision_the_outcome_follows_and_the_report_counts_it(
    risk_env: dict[str, Any], sdk_members: dict[str, int], sdk: Any
) -> None:
    first = _anchored(risk_env, sdk_members)
    folder = Path(first["batchFolder"])
    released = next(
        p
        for p in sorted(folder.glob("*.json"))
        if p.name != "batch.json" and json.loads(p.read_text())["decision"] == "release"
    )
    decl = json.loads(released.read_text())["declaration"]["Declaration ID"]
    why = ok("risk", "explain", decl)  # found by its declaration id in the local batches
    assert why["declaration"]["Declaration ID"] == decl and why["explanation"]["shap"]
    text = run("risk", "explain", decl)
    assert text.exit_code == 0 and "raising the risk:" in text.output and decl in text.output
    assert any(line.strip()[:1] in "+-" and len(line.strip()) > 8 for line in text.output.splitlines()[2:])
    other = run("risk", "override", decl, "--decision", "inspect", "--reason", "tip-off", "--account", "inspector")
    assert other.exit_code == 1 and "NotBatchOrganisation" in other.stderr  # another organisation reviews nothing
    review = ok("risk", "override", decl, "--decision", "inspect", "--reason", "tip-off", "--account", "customs")
    assert review["review"] == "overridden" and review["finalDecision"] == "inspect"
    ok("risk", "outcome", decl, "--found", "critical", "--account", "customs")
    again = run("risk", "outcome", decl, "--found", "no-fraud", "--account", "customs", "--json")
    assert again.exit_code == 1 and "OutcomeAlreadyRecorded" in again.stderr  # an outcome is final
    late = run("risk", "override", decl, "--decision", "release", "--reason", "x", "--account", "customs", "--json")
    assert late.exit_code == 1 and "OutcomeAlreadyRecorded" in late.stderr  # no review moves a counted outcome
    report = ok("risk", "report", "--proposer", str(sdk_members["customs"]))
    (model,) = report["models"]
    assert (model["status"], model["decisions"], model["overrides"], model["confirmations"]) == ("approved", 30, 1, 0)
    # counted under the model's own decision: a release the officer overrode, where critical fraud was found, is
    # the model's miss (a review moves no counter)
    assert (model["releasedOutcomes"], model["releasedFraud"], model["releasedCritical"]) == (1, 1, 1)
    assert model["inspectedOutcomes"] == 0 and model["precision"] is None
    record = sdk.risk.model(model["modelId"], sdk_members["customs"])
    assert record.released_critical == 1 and record.overrides == 1
    audit = ok("risk", "audit", decl)
    assert audit["verdict"] == "MATCH" and audit["review"]["finalDecision"] == "inspect" and audit["outcome"] == 3


def test_a_retired_model_anchors_no_more_decisions(risk_env: dict[str, Any], sdk_members: dict[str, int]) -> None:
    model_id = _registered(risk_env, sdk_members)
    ok(
        "risk",
        "retire",
        model_id,
        "--proposer",
        str(sdk_members["customs"]),
        "--reason",
        "drift",
        "--account",
        "regulator",
    )
    args = _score(risk_env, "S.csv")
    refused(run(*args, "--anchor", "--account", "customs"), "model", "is retired")
    assert ok("risk", "report")["models"][0]["status"] == "retired"


# ------------------------------------------------------------------ federated training


def test_customs_offices_train_together_each_round_is_anchored_and_audited(
    risk_env: dict[str, Any], sdk_members: dict[str, int], tmp_path: Path
) -> None:
    from tradechain.risk import federated

    try:
        federated.engine_python()
    except Exception as exc:  # the reason is the skip's message
        pytest.skip(str(exc))
    out = tmp_path / "fl"
    args = ("risk", "fl-run", str(risk_env["data"]), "--out", str(out), "--rounds", "2", "--offices", "3")
    result = ok(*args, "--federation", "offices-test", "--anchor", "--account", "customs")
    assert result["rounds"] == 2 and result["offices"] == 3 and len(result["anchored"]) == 2
    assert all(a["gasUsed"] < 100_000 for a in result["anchored"])
    report = json.loads((out / "report.json").read_text())
    assert report == result["report"] and len(report["rounds"]) == 2
    org = str(sdk_members["customs"])
    audit = ok("risk", "fl-audit", "2", "--dir", str(out), "--org", org)
    assert audit["status"] == "MATCH" and audit["chain"]["org"] == sdk_members["customs"]
    rerun = ("risk", "fl-run", str(risk_env["data"]), "--out", str(tmp_path / "fl2"), "--rounds", "1")
    again = run(*rerun, "--federation", "offices-test", "--anchor", "--account", "customs")  # the same name again
    refused(again, "federation", "has 2 round(s) on chain already")
    assert not (tmp_path / "fl2").exists()
    manifest = json.loads((out / "round-002" / "manifest.json").read_text())
    update = out / "round-002" / manifest["clients"][0]["file"]
    data = bytearray(update.read_bytes())
    data[-1] ^= 1  # one bit of one office's update
    update.write_bytes(bytes(data))
    tampered = run("risk", "fl-audit", "2", "--dir", str(out), "--org", org, "--json")
    assert tampered.exit_code == 3, tampered.output
    problems = json.loads(tampered.output)["mismatches"]
    assert any(p.startswith(f"client {manifest['clients'][0]['office']}") for p in problems), problems
    assert any(p.startswith("chain") for p in problems), problems


def test_a_batch_folder_changed_before_a_retry_is_refused_and_nothing_is_sent(
    risk_env: dict[str, Any], sdk_members: dict[str, int]
) -> None:
    first = _anchored(risk_env, sdk_members)
    folder = Path(first["batchFolder"])
    name = json.loads((folder / "batch.json").read_text())["files"][0]
    forged = json.loads((folder / name).read_text())
    forged["decision"] = "release" if forged["decision"] == "inspect" else "inspect"  # another process's "decision"
    (folder / name).write_text(json.dumps(forged))
    sent = tx_count(addr("customs"))
    args = _score(risk_env, "S2.csv")
    refused(run(*args, "--anchor", "--account", "customs"), "decisions", "is not this run's")
    assert tx_count(addr("customs")) == sent and not (risk_env["tmp"] / "S2.csv").exists()


def test_an_officers_own_threshold_is_never_anchored_and_an_auditor_names_the_org_expected(
    risk_env: dict[str, Any], sdk_members: dict[str, int]
) -> None:
    first = _anchored(risk_env, sdk_members)
    args = _score(risk_env, "S2.csv")
    refused(run(*args, "--threshold", "0.99", "--anchor", "--account", "customs"), "threshold", "model's own threshold")
    source = next(p for p in Path(first["batchFolder"]).glob("*.json") if p.name != "batch.json")
    assert ok("risk", "audit", str(source), "--org", str(sdk_members["customs"]))["verdict"] == "MATCH"
    other = run("risk", "audit", str(source), "--org", str(sdk_members["regulator"]), "--json")
    assert other.exit_code == 3 and json.loads(other.output)["mismatches"] == ["anchor"]
