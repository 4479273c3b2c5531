"""``tradechain risk``: customs risk assessment with an auditable trail. Train a model on declarations, register it
(customs or financier) for a regulator of another organisation to approve, score declarations and anchor the
decisions with their explanations, record the human review and the inspection outcome, and replay any decision
bit for bit (``risk audit``). Only hashes go on chain: a declaration, its score and its reasons never do."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from tradechain.cli.common import Run, check_new_file, command, echo, when, write_new_file
from tradechain.contracts import risk_registry
from tradechain.contracts.participant_registry import parse_org_id
from tradechain.errors import InputError
from tradechain.formats.values import parse_bytes32

DATA_HELP = "A directory holding df_syn_train_eng.csv (training year) and df_syn_valid_eng.csv (validation months)."
STORE_HELP = (
    "The model store: a directory or an http(s) base URL. [default: $TRADECHAIN_MODEL_STORE, else .tradechain/models]"
)
DECISIONS_HELP = "Where decision batches are kept. [default: $TRADECHAIN_DECISIONS, else .tradechain/risk/decisions]"


@click.group("risk")
def group() -> None:
    """Customs risk scoring with an auditable trail: train, register/approve/retire models, score and anchor
    decisions, explain, override, record outcomes, replay (audit), federated training (fl-run, fl-audit), report."""


def _say(run: Run, text: str) -> None:
    if not run.as_json:
        click.echo(text, err=True)


def _model_id(value: str, field: str = "MODEL") -> bytes:
    """A model id (0x and 64 hex digits), or a model directory / .onnx file whose id is taken."""
    text = value.strip()
    path = Path(text)
    if path.exists():
        from tradechain.risk.artifact import RiskModel

        return RiskModel.load(path, field).id
    return parse_bytes32(text, field)


# ------------------------------------------------------------------ train and score (no chain)


@command(group, "train")
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="The new model directory.")
@click.option("--store", metavar="STORE", help=STORE_HELP)
def train(run: Run, data_dir: Path, out: Path, store: str | None) -> None:
    """Train on DATA_DIR's training year, measure on its validation months against a customs rule set, a logistic
    regression and scikit-learn's histogram gradient boosting, and write the ONNX model and its card to --out
    (also kept in the model store under its id). Prints the model id (SHA-256 of model.onnx). DATA_HELP"""
    from tradechain.risk import artifact, declarations, training
    from tradechain.risk.store import ModelStore

    if out.exists():
        raise InputError("out", "exists already: name a new model directory", str(out))
    if not out.parent.is_dir():
        raise InputError("out", "its folder does not exist", str(out))
    split = declarations.load(data_dir)
    _say(run, f"training on {len(split.train):,} declarations, validating on {len(split.valid):,}")
    trained = training.train(split, progress=lambda line: _say(run, "  " + line))
    data = artifact.build(trained)
    card = artifact.card(trained, data, data_root=declarations.data_root(split.train), source=str(data_dir))
    artifact.write(out, data, card)
    ModelStore(store).put(data, card)
    card_hash = artifact.card_hash(card)
    lgbm = trained.metrics["lightgbm"]
    run.emit(
        {**card, "cardHash": "0x" + card_hash.hex(), "out": str(out)},
        f"model {card['modelId']}\n  written to {out} (model.onnx {len(data):,} bytes, card.json"
        f" {card_hash.hex()[:12]}…)"
        f"\n  validation: ROC-AUC {lgbm['rocAuc']:.3f}, PR-AUC {lgbm['prAuc']:.3f}, precision at 10% inspected "
        f"{lgbm['at']['10%']['precision']:.2f}; threshold {trained.threshold:.4f} (10% inspected)",
    )


@command(group, "score", chain="send", shared_first=False)
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--model", "model_dir", required=True, type=click.Path(path_type=Path), help="A model directory.")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="The scores file to write (CSV).")
@click.option(
    "--threshold",
    type=float,
    help="Inspect at or above this score (0-1); without --anchor only (an anchored decision uses the approved model's "
    "own). [default: the model's own]",
)
@click.option("--anchor", is_flag=True, help="Also decide, explain and anchor the decisions on chain.")
@click.option(
    "--proposer", metavar="ORG", help="With --anchor: the organisation that registered the model. [default: yours]"
)
@click.option("--decisions", "decisions_dir", type=click.Path(path_type=Path), help=DECISIONS_HELP)
def score(
    run: Run,
    file: Path,
    model_dir: Path,
    out: Path,
    threshold: float | None,
    anchor: bool,
    proposer: str | None,
    decisions_dir: Path | None,
) -> None:
    """Score the declarations of FILE (a CSV with the data set's columns; labels not needed) and write --out with
    the columns `Declaration ID,score` (P(fraud) from 0 to 1). With --anchor, each declaration gets a decision
    (INSPECT at or above the threshold, else RELEASE) with its top reasons, written to a batch folder before the
    batch's Merkle root is anchored; running it again resumes the same batch and never anchors twice."""
    from tradechain.risk import declarations, scoring
    from tradechain.risk.artifact import RiskModel

    check_new_file(out, "out")
    model = RiskModel.load(model_dir)
    cut = scoring.threshold_ppm(model, threshold)
    frame = declarations.read_csv(file, field="FILE")
    proposer_org = parse_org_id(proposer, "proposer") if proposer is not None else None
    data: dict[str, Any] = {"modelId": model.id_hex, "declarations": len(frame), "threshold": cut, "out": str(out)}
    if not anchor:
        scores = model.score(frame)
        inspect = int((scores * 1_000_000 >= cut).sum()) if len(scores) else 0
        data["inspect"] = inspect
        write_new_file(out, scoring.scores_csv(frame, scores), mode=0o644, field="out")
        run.emit(
            data,
            f"scored {len(frame):,} declaration(s) with model {model.id_hex[:18]}…: {inspect:,} at or above the "
            f"threshold {cut / 1_000_000:.4f}; scores written to {out}",
        )
        return
    with run.progress(len(frame), "deciding and explaining") as bar:
        done = scoring.anchor(
            run.client(), model, frame, threshold=cut, proposer=proposer_org, home=decisions_dir, progress=bar
        )
    batch = done.batch
    recorded = [d.score / 1_000_000 for d in batch.decisions]  # the scores the decisions hold, not scored again
    write_new_file(out, scoring.scores_csv(frame, recorded), mode=0o644, field="out")
    data.update(
        {
            "root": "0x" + batch.root.hex(),
            "org": batch.anchor["org"],
            "batchFolder": str(batch.folder),
            "resumed": done.resumed,
            **scoring.summary(batch),
        }
    )
    text = (
        f"scored {len(frame):,} declaration(s): {data['inspect']:,} INSPECT, {data['release']:,} RELEASE; "
        f"decisions in {batch.folder}"
    )
    if done.receipt is None:
        run.emit({**data, "sent": False}, f"{text}; batch 0x{batch.root.hex()} was anchored already: nothing sent")
    else:
        run.sent(done.receipt, {**data, "sent": True}, f"{text}; anchored batch 0x{batch.root.hex()}")


# ------------------------------------------------------------------ models on chain


@command(group, "register", chain="send")
@click.argument("model_dir", type=click.Path(path_type=Path))
@click.option(
    "--approver",
    required=True,
    metavar="ORG",
    help="The regulator (another organisation) you ask to approve it: nobody else can.",
)
@click.option("--store", metavar="STORE", help=STORE_HELP)
def register(run: Run, model_dir: Path, approver: str, store: str | None) -> None:
    """Propose the model of MODEL_DIR for use (customs or financier role), naming the regulator that is to approve
    it: its id and its card's hash go on chain; the artifact is kept in the model store. That regulator approves it
    with `risk approve`; it or you may retire it."""
    from tradechain.risk import artifact
    from tradechain.risk.artifact import RiskModel
    from tradechain.risk.store import ModelStore

    approver_org = parse_org_id(approver, "approver")
    model = RiskModel.load(model_dir)
    if model.card is None:
        raise InputError(
            "MODEL_DIR", f"holds no {artifact.CARD_FILE}: a model is registered with its card", str(model_dir)
        )
    card_hash = artifact.card_hash(model.card)
    ModelStore(store).put(model.data, model.card)
    receipt = run.client().risk.propose_model(model.id, card_hash, approver_org)
    run.sent(
        receipt,
        {"modelId": model.id_hex, "cardHash": "0x" + card_hash.hex(), "approver": approver_org},
        f"proposed model {model.id_hex} (card 0x{card_hash.hex()[:12]}…): organisation {approver_org} approves it "
        "with `tradechain risk approve`",
    )


@command(group, "approve", chain="send")
@click.argument("model")
@click.option("--proposer", required=True, metavar="ORG", help="The organisation that registered it.")
def approve(run: Run, model: str, proposer: str) -> None:
    """Approve MODEL (its id, or its directory) of --proposer for use: the regulator it named when registering it."""
    mid, org = _model_id(model), parse_org_id(proposer, "proposer")
    receipt = run.client().risk.approve_model(mid, org)
    run.sent(receipt, {"modelId": "0x" + mid.hex(), "proposer": org}, f"approved model 0x{mid.hex()} of org {org}")


@command(group, "retire", chain="send")
@click.argument("model")
@click.option("--proposer", required=True, metavar="ORG", help="The organisation that registered it.")
@click.option("--reason", required=True, help="A reason code (<= 32 characters) or a 0x hash.")
def retire(run: Run, model: str, proposer: str, reason: str) -> None:
    """Retire MODEL of --proposer for ever (its proposer or its approver): no decision is anchored under it again."""
    mid, org = _model_id(model), parse_org_id(proposer, "proposer")
    receipt = run.client().risk.retire_model(mid, org, reason)
    run.sent(receipt, {"modelId": "0x" + mid.hex(), "proposer": org}, f"retired model 0x{mid.hex()} of org {org}")


# ------------------------------------------------------------------ one decision


def _decision(reference: str, decisions_dir: Path | None) -> tuple[Path, dict[str, Any]]:
    from tradechain.risk import decisions

    path = decisions.locate(reference, decisions_dir)
    return path, decisions.read_decision(path)


def _onchain(data: dict[str, Any]) -> tuple[bytes, int, Any, list[bytes]]:
    from tradechain.risk import decisions
    from tradechain.risk.audit import batch_fields

    record = decisions.DecisionRecord.from_json(data, "DECISION")
    root, org, _, proof = batch_fields(data)
    return root, org, record.onchain, proof


@command(group, "explain")
@click.argument("decision")
@click.option("--decisions", "decisions_dir", type=click.Path(path_type=Path), help=DECISIONS_HELP)
def explain(run: Run, decision: str, decisions_dir: Path | None) -> None:
    """Why DECISION (a decision file, or a declaration id of a local batch) was decided: score, threshold and the
    reasons raising and lowering the risk (TreeSHAP values, log-odds)."""
    path, data = _decision(decision, decisions_dir)
    why = data["explanation"]

    def text() -> None:
        decl = data["declaration"]
        echo(
            f"declaration {decl['Declaration ID']} ({decl['Date']}, office {decl['Office ID']}, "
            f"HS6 {decl['HS6 Code']}, {decl['Country of Origin']} via {decl['Country of Departure']}): "
            f"{data['decision'].upper()}"
        )
        echo(
            f"  score {data['score'] / 1e6:.4f}, threshold {data['threshold'] / 1e6:.4f}, model {data['modelId'][:18]}…"
        )
        for title, key in (("raising the risk", "raising"), ("lowering it", "lowering")):
            echo(f"  {title}:")
            items = why.get(key)
            for item in items if isinstance(items, list) else ():
                if isinstance(item, dict) and isinstance(item.get("shap"), int | float | Decimal):
                    echo(f"    {float(item['shap']):+.3f}  {item.get('reason')}")

    run.emit({"file": str(path), **data}, text)


@command(group, "override", chain="send")
@click.argument("decision")
@click.option(
    "--decision",
    "final",
    required=True,
    type=click.Choice(["inspect", "release"]),
    help="The reviewer's decision: the model's confirms it, the other overrides it.",
)
@click.option("--reason", required=True, help="A reason code (<= 32 characters) or a 0x hash.")
@click.option("--decisions", "decisions_dir", type=click.Path(path_type=Path), help=DECISIONS_HELP)
def override(run: Run, decision: str, final: str, reason: str, decisions_dir: Path | None) -> None:
    """Record the human review of DECISION, once, before its outcome (customs or inspector of the deciding
    organisation): --decision the model's confirms it; the other overrides it."""
    _, data = _decision(decision, decisions_dir)
    root, org, onchain, proof = _onchain(data)
    receipt = run.client().risk.review_decision(root, org, onchain, proof, final, reason)
    kind = "confirmed" if risk_registry.DECISIONS[final] == onchain.decision else "overridden"
    run.sent(
        receipt,
        {"declaration": data["declaration"]["Declaration ID"], "review": kind, "finalDecision": final},
        f"{kind}: declaration {data['declaration']['Declaration ID']} is to {final.upper()} (reason {reason})",
    )


@command(group, "outcome", chain="send")
@click.argument("decision")
@click.option(
    "--found",
    required=True,
    type=click.Choice(list(risk_registry.OUTCOMES)),
    help="What the inspection found.",
)
@click.option("--decisions", "decisions_dir", type=click.Path(path_type=Path), help=DECISIONS_HELP)
def outcome(run: Run, decision: str, found: str, decisions_dir: Path | None) -> None:
    """Record the inspection outcome of DECISION, once and for ever (customs or inspector of the deciding
    organisation); the model's precision on chain counts it."""
    _, data = _decision(decision, decisions_dir)
    root, org, onchain, proof = _onchain(data)
    receipt = run.client().risk.record_outcome(root, org, onchain, proof, found)
    run.sent(
        receipt,
        {"declaration": data["declaration"]["Declaration ID"], "outcome": found},
        f"outcome of declaration {data['declaration']['Declaration ID']}: "
        f"{risk_registry.OUTCOME_NAMES[risk_registry.OUTCOMES[found]]}",
    )


@command(group, "audit", chain="read")
@click.argument("decision")
@click.option("--store", metavar="STORE", help=STORE_HELP)
@click.option("--org", metavar="ORG", help="The organisation you hold responsible: a file naming another fails.")
@click.option("--decisions", "decisions_dir", type=click.Path(path_type=Path), help=DECISIONS_HELP)
def audit(run: Run, decision: str, store: str | None, org: str | None, decisions_dir: Path | None) -> None:
    """Replay DECISION (a decision file, or a declaration id of a local batch): fetch its model by id from the
    store, recompute the score and the explanation from the recorded input, check the Merkle proof against the
    anchored root and that the model was approved and in force then. Exit 0 MATCH; 3 MISMATCH, naming each check
    that failed (declaration, model, score, threshold, explanation, decision, proof, anchor, approval)."""
    from tradechain.risk.audit import audit as replay
    from tradechain.risk.store import ModelStore

    expected = parse_org_id(org, "org") if org is not None else None
    path, data = _decision(decision, decisions_dir)
    report = replay(data, ModelStore(store), run.client(), expected_org=expected)

    def text() -> None:
        names = ", ".join(c.name for c in report.mismatches)
        echo(f"{report.verdict}: declaration {report.declaration_id}" + (f" ({names})" if names else ""))
        for c in report.checks:
            echo(f"  {'ok ' if c.ok else 'BAD'} {c.name:<11} {c.detail}")

    run.verdict(report.verdict, {"file": str(path), **report.to_json()}, text)


# ------------------------------------------------------------------ the chain's view


@command(group, "report", chain="read")
@click.option("--model", "model", help="Only this model (its id or directory).")
@click.option("--proposer", metavar="ORG", help="Only the models of this organisation.")
def report(run: Run, model: str | None, proposer: str | None) -> None:
    """Every model on chain with its status and, from the chain alone, its decisions, reviews (overrides) and
    outcomes: the precision of each model in production (fraud found among the decisions effectively inspected)."""
    mid = _model_id(model) if model else None
    org = parse_org_id(proposer, "proposer") if proposer else None
    client = run.client()
    rows = [
        r for r in client.risk.models() if (mid is None or r.model_id == mid) and (org is None or r.proposer == org)
    ]

    def text() -> None:
        if not rows:
            echo("no model on chain" + (" matches" if mid or org else ""))
        for r in rows:
            precision = f"{r.precision:.1%}" if r.precision is not None else "-"
            echo(
                f"model 0x{r.model_id.hex()[:16]}… of org {r.proposer}: {r.status.upper()}"
                f" (proposed {when(r.proposed_at)}, approved {when(r.approved_at)} by org {r.approver or '-'},"
                f" retired {when(r.retired_at)})"
            )
            echo(
                f"  {r.decisions:,} decisions; reviews {r.confirmations:,} confirmed, {r.overrides:,} overridden;"
                f" outcomes of inspected {r.inspected_outcomes:,}: fraud {r.inspected_fraud:,}"
                f" (critical {r.inspected_critical:,}), precision {precision};"
                f" of released {r.released_outcomes:,}: fraud {r.released_fraud:,}"
            )

    run.emit({"models": [r.to_json() for r in rows]}, text)


# ------------------------------------------------------------------ federated training


def _federation_id(name: str) -> bytes:
    text = name.strip()
    if not text or len(text) > 32 or not all(0x20 < ord(c) < 0x7F for c in text):
        raise InputError("federation", "a federation name is 1-32 printable ASCII characters", name)
    return text.encode().ljust(32, b"\0")


@command(group, "fl-run", chain="send")
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="The new folder of the rounds.")
@click.option("--rounds", type=click.IntRange(1, 1000), default=10, show_default=True, help="Rounds of FedAvg.")
@click.option("--offices", type=click.IntRange(1, 1000), help="Train the N largest customs offices. [default: all]")
@click.option("--federation", default="customs-offices", show_default=True, help="The federation's name (<= 32).")
@click.option("--anchor", is_flag=True, help="Anchor each round (client update hashes, aggregate hash) on chain.")
def fl_run(
    run: Run, data_dir: Path, out: Path, rounds: int, offices: int | None, federation: str, anchor: bool
) -> None:
    """Federated training with Flower: each customs office (the data's Office ID) trains on its own declarations
    and shares only its model update; the server averages them (FedAvg). Every round is published in --out
    (each office's update, the aggregate, a manifest of their hashes); --anchor puts each round's updates root and
    aggregate hash on chain, so `risk fl-audit` can check them. Then compares, on validation, the federated model
    with the central one and with each office alone (report.json). DATA_HELP"""
    from tradechain.risk import federated

    fed_id = _federation_id(federation)
    if out.exists():
        raise InputError("out", "exists already: name a new folder", str(out))
    client = run.client() if anchor else None
    if client is not None:
        org = client.participants.require_role_any(client.require_signer().address)
        last, _ = client.risk.federation(org, fed_id)
        if last:
            raise InputError("federation", f"{federation} has {last} round(s) on chain already: name a new one")
    manifests = federated.run(
        data_dir, out, rounds, offices, federation=federation, progress=lambda line: _say(run, "  " + line)
    )
    anchored: list[dict[str, Any]] = []
    if client is not None:
        for m in manifests:
            receipt = client.risk.anchor_round(fed_id, m.round, m.updates_root, len(m.clients), m.aggregate_hash)
            anchored.append({"round": m.round, "txHash": receipt.tx_hash, "gasUsed": receipt.gas_used})
            _say(run, f"  round {m.round} anchored (gas {receipt.gas_used:,})")
    report = federated.compare(data_dir, out, progress=lambda line: _say(run, "  " + line))
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    last_round = manifests[-1]
    run.emit(
        {
            "federation": federation,
            "rounds": len(manifests),
            "offices": len(last_round.clients),
            "out": str(out),
            "anchored": anchored,
            "report": report,
        },
        f"federation {federation}: {len(manifests)} round(s) of {len(last_round.clients)} offices published in {out}"
        + (f", each anchored (gas {anchored[-1]['gasUsed']:,} per round)" if anchored else "")
        + f"; comparison in {out / 'report.json'}",
    )


@command(group, "fl-audit", chain="read")
@click.argument("round_", metavar="ROUND", type=click.IntRange(1, 2**32 - 1))
@click.option("--dir", "out", required=True, type=click.Path(path_type=Path), help="The folder of the rounds.")
@click.option("--org", required=True, metavar="ORG", help="The organisation that anchored it.")
def fl_audit(run: Run, round_: int, out: Path, org: str) -> None:
    """Recompute federated round ROUND from its published files: every office's update hash, their Merkle root and
    the FedAvg aggregate, against the round's manifest and against what --org anchored on chain (files alone can be
    rewritten consistently: only the chain's digest tells). Exit 0 MATCH; 3 MISMATCH, naming each difference."""
    from tradechain.risk import federated

    manifest = federated.read_round(out, round_)
    audit = federated.audit_round(out, round_)
    problems = list(audit.mismatches)
    owner = parse_org_id(org, "org")
    record = run.client().risk.round(owner, _federation_id(manifest.federation), round_)
    if not record.exists:
        problems.append(f"chain: organisation {owner} anchored no round {round_} of {manifest.federation}")
    elif (
        audit.updates_root is None
        or audit.aggregate_hash is None
        or not record.matches(audit.updates_root, len(manifest.clients), audit.aggregate_hash)
    ):
        problems.append("chain: the anchored digest is not the one of the recomputed round")
    chain: dict[str, Any] = {"org": owner, "anchoredAt": record.anchored_at, "digest": "0x" + record.digest.hex()}
    verdict = "MISMATCH" if problems else "MATCH"
    data = {**audit.to_json(), "status": verdict, "mismatches": problems, "chain": chain}

    def text() -> None:
        where = f", anchored by org {chain['org']} at {when(chain['anchoredAt'])}" if chain["anchoredAt"] else ""
        echo(f"{verdict}: round {round_} of {manifest.federation} ({len(manifest.clients)} offices){where}")
        for problem in problems:
            echo(f"  BAD {problem}")

    run.verdict(verdict, data, text)
