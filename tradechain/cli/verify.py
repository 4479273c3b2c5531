"""``tradechain verify``: anyone verifies a pack as scanned (a Digital Link or an element string), with its proof
from this machine's serial store or from a portal (``--resolver``); or re-checks a portal's proof bundle against a
node of its own choosing (``--bundle``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

import click

from tradechain.cli.common import Run, command, org_name
from tradechain.client import Client
from tradechain.contracts.product_registry import Status, Verification
from tradechain.errors import ExitCode, InputError, TradechainError
from tradechain.formats import gs1, serials


@command(None, "verify", chain="read")
@click.argument("pack_id", metavar="[PACK]", required=False)
@click.option(
    "--resolver",
    metavar="URL",
    envvar="TRADECHAIN_RESOLVER",
    help="A verification portal to ask for the pack's proof when this machine's serial store has none. "
    "[env: TRADECHAIN_RESOLVER]",
)
@click.option(
    "--bundle",
    "bundle_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help='Re-check a portal\'s proof bundle (the JSON of /api/verify/..., or its "bundle") on the node of '
    "--rpc-url / --network instead of verifying a PACK.",
)
def verify(run: Run, pack_id: str | None, resolver: str | None, bundle_file: Path | None) -> None:
    """Verify a pack as scanned (Digital Link or element string): AUTHENTIC, UNKNOWN, MISMATCH, EXPIRED,
    RECALLED, DECOMMISSIONED, or PROOF UNAVAILABLE (a serialized pack whose serial list is neither in this serial
    store nor published to the --resolver), and who holds it. With --bundle FILE, re-run a portal's proof bundle
    (its contract call at its block) on your own node and compare the result: the portal cannot forge a verdict.
    Exit code 0 AUTHENTIC (or VALID); 3 UNKNOWN or MISMATCH, or a bundle whose result is not what the chain
    returns; 4 EXPIRED, RECALLED or DECOMMISSIONED; 6 PROOF UNAVAILABLE; 2 a scan that does not parse (a literal
    <GS>, a missing FNC1), or a bundle for another chain."""
    if bundle_file is not None:
        if pack_id is not None:
            raise InputError("bundle", "re-checks a bundle on its own: give PACK or --bundle FILE, not both")
        recheck_bundle(run, bundle_file)
        return
    if pack_id is None:
        raise InputError("pack", "is required: the scanned code (Digital Link or element string), or --bundle FILE")
    ids = gs1.parse_any(pack_id)
    proofs: serials.ProofSource | None = None
    if resolver:
        from tradechain.portal import remote

        proofs = remote.ResolverProofs(resolver)
    client = run.client()
    result = client.products.verify(ids, proofs)
    if result.status == Status.UNKNOWN:
        _refuse_a_run_on_field(client, pack_id)
    run.verdict(result.status.name, result.to_json(), _text(client, result, ids, resolver))


def _refuse_a_run_on_field(client: Client, scan: str) -> None:
    """An UNKNOWN raw scan that, with an FNC1 separator where one seems missing, reads as a registered pack is
    a bad input (the scan lost its separator), not a verdict on the pack."""
    for reading in gs1.missing_separator_readings(scan):
        if reading.ids.gtin is None or reading.ids.lot is None:
            continue
        if client.products.verify(reading.ids).status != Status.UNKNOWN:
            raise InputError(reading.field, reading.rule(), scan)


def _text(client: Client, result: Verification, ids: gs1.Gs1Identifiers, resolver: str | None = None) -> str:
    word = result.status.name.replace("_", " ")
    head = f"{word}  {ids.element_string()}  held by {org_name(client, result.custodian) if result.custodian else '-'}"
    if result.status == Status.PROOF_UNAVAILABLE:
        return (
            f"{head}\n  lot {ids.lot} is registered and not recalled, but serial {ids.serial} cannot be checked here: "
            f"the serial list of {result.unavailable_batches} of its commissioning(s) is not in this serial store"
            + (f" nor published to {resolver}" if resolver else "")
            + " (ask the brand for it; $TRADECHAIN_SERIALS names the store, --resolver URL a portal)"
        )
    if result.status == Status.DECOMMISSIONED and result.lot_recalled:
        return f"{head}\n  dispensed before its lot was recalled: another pack with this code is a clone"
    if result.serial_proven is False and result.status != Status.UNKNOWN:
        return f"{head}\n  the lot's verdict; serial {ids.serial} was not checked (its list is not in this store)"
    return head


# --------------------------------------------------------------------------------------------- proof bundles

CHECKED_CONTRACTS = ("ProductRegistry", "LuxuryCertificate", "DocumentRegistry")
# The portal's words for verdicts the CLI calls otherwise (tradechain.errors.VERDICTS).
PORTAL_WORDS = {"DISPENSED ALREADY": "DECOMMISSIONED", "NOT ISSUED": "NOT AUTHENTIC"}


class BundleMismatch(TradechainError):
    """A proof bundle that the chain contradicts: its contract, calldata, block or result is not the chain's."""

    exit_code: ClassVar[int] = ExitCode.NOT_GENUINE
    kind: ClassVar[str] = "bundle-mismatch"


def _plain(value: Any) -> Any:
    """A decoded ABI value as a bundle writes it: bytes as 0x hex, tuples as lists, addresses lower case."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, str) and re.fullmatch(r"0x[0-9a-fA-F]{40}", value):
        return value.lower()
    return value


def _field(bundle: dict[str, Any], key: str, kind: type | tuple[type, ...], rule: str) -> Any:
    value = bundle.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise InputError(key, rule, None if value is None else str(value)[:100])
    return value


def read_bundle(path: Path) -> dict[str, Any]:
    """A proof bundle from a file: the portal's JSON answer (which has ``bundle``) or the bundle itself; with the
    answer's ``verdict`` when the bundle names none."""
    from tradechain.cli.common import read_json_file

    data = read_json_file(path, "bundle")
    found = data.get("bundle") if isinstance(data, dict) and isinstance(data.get("bundle"), dict) else data
    if not isinstance(found, dict):
        raise InputError(
            "bundle", "is a proof bundle: a JSON object with chainId, contract, block, blockHash, calldata"
        )
    bundle = dict(found)
    if "verdict" not in bundle and isinstance(data, dict) and isinstance(data.get("verdict"), str):
        bundle["verdict"] = data["verdict"]
    _field(bundle, "chainId", int, "is the chain id of the bundle (a whole number)")
    _field(bundle, "contractName", str, f"is one of {', '.join(CHECKED_CONTRACTS)}")
    if bundle["contractName"] not in CHECKED_CONTRACTS:
        raise InputError("contractName", f"is one of {', '.join(CHECKED_CONTRACTS)}", bundle["contractName"])
    contract = _field(bundle, "contract", str, "is the contract's 0x address")
    if not re.fullmatch(r"0x[0-9a-fA-F]{40}", contract):
        raise InputError("contract", "is the contract's 0x address", contract)
    _field(bundle, "block", int, "is the block number of the call")
    block_hash = _field(bundle, "blockHash", str, "is the block's 0x 32-byte hash")
    if not re.fullmatch(r"0x[0-9a-fA-F]{64}", block_hash):
        raise InputError("blockHash", "is the block's 0x 32-byte hash", block_hash)
    calldata = _field(bundle, "calldata", str, "is the call's 0x hex data")
    if not re.fullmatch(r"0x([0-9a-fA-F]{2}){4,}", calldata):
        raise InputError("calldata", "is the call's 0x hex data (a 4-byte selector, then the arguments)", calldata)
    if "result" not in bundle:
        raise InputError("result", "is what the call returned (the bundle's claim)")
    return bundle


def recheck_bundle(run: Run, path: Path) -> None:
    """Runs a bundle's call (``eth_call`` of its calldata to its contract at its block hash) on the node of this
    run and compares: the contract must be this chain's deployed one, the calldata the arguments shown, the result
    the one claimed and the verdict the one the result reads as; then exits with the verdict's code."""
    from eth_abi import decode
    from eth_utils.abi import function_abi_to_4byte_selector, get_abi_input_types, get_abi_output_types
    from web3.exceptions import BlockNotFound

    from tradechain.chain import artifacts
    from tradechain.cli.common import exit_with_verdict

    bundle = read_bundle(path)
    client = run.client()
    if bundle["chainId"] != client.chain_id:
        raise InputError(
            "chainId",
            f"the bundle is for chain {bundle['chainId']}; the node at {client.rpc_url} serves chain "
            f"{client.chain_id}: re-check it on a node of chain {bundle['chainId']} (--rpc-url URL)",
        )
    name = bundle["contractName"]
    deployed = client.address_of(name)
    if bundle["contract"].lower() != deployed.lower():
        raise BundleMismatch(
            f"the bundle's contract {bundle['contract']} is not the {name} of tradechain's deployment on chain "
            f"{client.chain_id} ({deployed}): its answer proves nothing"
        )
    calldata = bytes.fromhex(bundle["calldata"][2:])
    abi: list[Any] = [e for e in artifacts.load(name).abi if e.get("type") == "function"]
    fn: Any = next((e for e in abi if function_abi_to_4byte_selector(e) == calldata[:4]), None)
    if fn is None or fn.get("stateMutability") not in ("view", "pure"):
        raise BundleMismatch(f"the bundle's calldata calls no view function of {name}")
    try:
        arguments = decode(get_abi_input_types(fn), calldata[4:], strict=True)
    except Exception:  # eth_abi raises several decoding errors
        raise BundleMismatch(f"the bundle's calldata is not a call of {fn['name']}") from None
    shown = bundle.get("arguments")
    if isinstance(shown, dict) and _plain(list(shown.values())) != _plain(list(arguments)):
        raise BundleMismatch("the bundle's calldata is not the call of the arguments it shows")
    try:
        block = client.w3.eth.get_block(bundle["blockHash"])
    except BlockNotFound:
        raise BundleMismatch(
            f"the node at {client.rpc_url} has no block {bundle['blockHash']}: the bundle's block is not on this chain"
        ) from None
    if int(block["number"]) != bundle["block"]:
        raise BundleMismatch(f"block {bundle['blockHash']} is number {block['number']}, not {bundle['block']}")
    raw = client.w3.eth.call(
        {"to": client.w3.to_checksum_address(deployed), "data": bundle["calldata"]},
        block_identifier=bundle["blockHash"],
    )
    outputs = decode(get_abi_output_types(fn), bytes(raw))
    value = outputs[0] if len(outputs) == 1 else outputs
    returned, word = _reading(name, fn["name"], value, bundle.get("verdict"))
    if _plain(returned) != _plain(bundle["result"]):
        raise BundleMismatch(
            f"the bundle's result is not what the chain returns: the bundle says {bundle['result']}, the chain "
            f"returns {returned} ({name}.{fn['name']} at block {bundle['block']})"
        )
    claimed = bundle.get("verdict")
    if isinstance(claimed, str) and claimed.upper() != word:
        raise BundleMismatch(f"the bundle's verdict {claimed} is not what its result reads as ({word})")
    data = {
        "verdict": word,
        "matches": True,
        "chainId": client.chain_id,
        "contractName": name,
        "contract": deployed,
        "block": bundle["block"],
        "blockHash": bundle["blockHash"],
        "function": fn["name"],
        "result": _plain(returned),
    }
    text = (
        f"{word}  the chain returns what the bundle says: {name}.{fn['name']} at block {bundle['block']} "
        f"({bundle['blockHash'][:18]}…) on chain {client.chain_id}, node {client.rpc_url}"
    )
    if fn["name"] == "verifyLot" and word == "AUTHENTIC":
        text += "\n  a lot-level verdict: no serial was proven in this call"
    run.emit(data, text)
    exit_with_verdict(PORTAL_WORDS.get(word, word))


def _reading(contract: str, function: str, value: Any, claimed: object) -> tuple[Any, str]:
    """What a bundle's ``result`` holds for this call's decoded return ``value``, and the verdict it reads as."""
    from tradechain.contracts import luxury_certificate as certs
    from tradechain.portal.verdicts import PACK_WORDS

    if contract == "ProductRegistry":
        status, custodian = Status(int(value[0])), int(value[1])
        word = PACK_WORDS[status].word
        cautious = {PACK_WORDS[Status.PROOF_UNAVAILABLE].word, PACK_WORDS[Status.UNKNOWN].word}
        if function == "verifyLot" and status == Status.AUTHENTIC and isinstance(claimed, str):
            word = claimed.upper() if claimed.upper() in cautious else word  # a serial its proof did not reach
        return {"status": status.name, "statusCode": int(status), "custodian": custodian}, word
    if contract == "LuxuryCertificate":
        if function == "existing":
            return list(value), "VALID" if all(value) else "NOT ISSUED"
        return list(value), certs.Status(int(value[0])).name
    valid, issuer, _roles, anchored, revoked = value
    word = "VALID" if valid else "REVOKED" if revoked else "INVALID"
    return [bool(valid), int(issuer), int(anchored), int(revoked)], word
