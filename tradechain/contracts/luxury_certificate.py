"""Client of ``LuxuryCertificate``: issuing (one or thousands, resumable), transfers, claims with a one-time key,
theft and loss reports, service records, verification against a metadata file, QR codes.

Metadata is hashed in a canonical JSON form (keys sorted, no insignificant white space, UTF-8, integers as
written, no NaN or infinities), so the same content always gives the same hash and any change gives another.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_hash.auto import keccak

from tradechain.chain.tx import Receipt
from tradechain.contracts.base import ContractClient
from tradechain.errors import InputError
from tradechain.formats import canonical
from tradechain.formats.values import parse_address

NAME = "LuxuryCertificate"
GAS_CAP = 2**24
BATCH_SIZE = 450  # about 29,000 gas per certificate: 450 (13M gas) stay under the 2^24 cap per transaction


class Status(IntEnum):
    VALID = 0
    STOLEN = 1
    LOST = 2


def canonical_json(metadata: dict[str, Any]) -> bytes:
    return canonical.canonical_json(metadata, "metadata")


def metadata_hash(metadata: dict[str, Any]) -> bytes:
    return canonical.json_hash(metadata, "metadata")


def read_metadata(path: Path) -> dict[str, Any]:
    """A metadata file: a JSON object, read by :func:`tradechain.formats.canonical.read_file` (a key given twice, NaN, a
    size, depth or number beyond the limits are refused, naming the path as ``metadata.KEY``)."""
    if not path.is_file():
        raise InputError("metadata", "file not found", str(path))
    try:
        data = canonical.read_file(path, "metadata")
    except canonical.JsonSyntaxError as exc:
        raise InputError("metadata", f"not JSON ({exc.detail})", str(path)) from None
    except InputError as exc:
        if exc.field == "metadata" and exc.rule == "is empty":
            raise InputError("metadata", "not JSON (the file is empty)", str(path)) from None
        raise
    if not isinstance(data, dict):
        raise InputError("metadata", "must be a JSON object", str(path))
    return data


def parse_serial(value: str, field: str = "serial") -> bytes:
    """A product serial: 1-32 printable ASCII characters, as bytes32."""
    text = str(value).strip()
    if not text:
        raise InputError(field, "must not be empty")
    if len(text) > 32:
        raise InputError(field, f"at most 32 characters, not {len(text)}", value)
    if not all(0x20 < ord(c) < 0x7F for c in text):
        raise InputError(field, "printable ASCII without spaces only", value)
    return text.encode().ljust(32, b"\0")


def certificate_id(brand: int, serial: str) -> int:
    """The brand in the top 32 bits, the top 224 bits of ``keccak256(abi.encode(bytes32 serial))`` below."""
    if not 1 <= brand < 2**32:
        raise InputError("brand", "an organisation id is 1 to 2^32 - 1", brand)
    digest = int.from_bytes(keccak(abi_encode(["bytes32"], [parse_serial(serial)])), "big")
    return (brand << 224) | (digest >> 32)


def brand_of(token_id: int) -> int:
    return token_id >> 224


def parse_token_id(value: str, field: str = "certificate") -> int:
    text = str(value).strip()
    try:
        number = int(text, 16) if text.startswith("0x") else int(text)
    except ValueError:
        raise InputError(field, "a certificate id is a number or 0x hex", value) from None
    if not 0 <= number < 2**256:
        raise InputError(field, "out of range", value)
    return number


MAX_CSV_ROWS = 100_000  # rows of one batch file


def read_rows(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """The certificates of a CSV batch file: (serial, metadata) per row, every serial checked before anything is
    sent; a column other than ``serial`` becomes a metadata field, an empty cell is left out."""
    if not path.is_file():
        raise InputError("file", "not found", str(path))
    text = path.read_text(encoding="utf-8", errors="replace")
    if not text.strip():
        raise InputError("file", "is empty", str(path))
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or "serial" not in reader.fieldnames:
        raise InputError("file", "a CSV with a 'serial' column (other columns become metadata fields)", str(path))
    rows = []
    try:
        for line, row in enumerate(reader, start=2):
            if None in row:
                raise InputError(f"line {line}", "has more fields than the header")
            serial = (row.pop("serial") or "").strip()
            parse_serial(serial, f"line {line}: serial")
            rows.append((serial, {k: v for k, v in row.items() if v not in (None, "")}))
            if len(rows) > MAX_CSV_ROWS:
                raise InputError("file", f"at most {MAX_CSV_ROWS:,} rows per run", str(path))
    except csv.Error as exc:  # a field over the csv module's limit, a NUL byte
        raise InputError(f"line {reader.line_num}", f"not CSV ({exc})", str(path)) from None
    if not rows:
        raise InputError("file", "holds no row", str(path))
    return rows


@dataclass(frozen=True)
class IssuedRow:
    """Which certificate a batch row became, and in which transaction."""

    serial: str
    certificate: int
    tx_hash: str

    def to_json(self) -> dict[str, Any]:
        return {"serial": self.serial, "certificate": f"0x{self.certificate:064x}", "tx": self.tx_hash}


@dataclass(frozen=True)
class BatchResult:
    issued: list[int]
    skipped: list[int]  # already issued before (a resumed run)
    transactions: list[str]
    gas_used: int
    max_tx_gas: int = 0
    rows: list[IssuedRow] = field(default_factory=list)  # the certificates issued in this run, in row order

    def to_json(self) -> dict[str, Any]:
        return {
            "issued": len(self.issued),
            "skipped": len(self.skipped),
            "transactions": self.transactions,
            "maxTransactionGas": self.max_tx_gas,
            "gasUsed": self.gas_used,
            "gasPerCertificate": round(self.gas_used / max(len(self.issued), 1)),
        }


@dataclass(frozen=True)
class Verification:
    token_id: int
    authentic: bool
    brand: int
    owner: str | None
    previous_owners: int
    status: Status
    reported_at: int
    metadata_hash: str
    metadata_matches: bool | None  # None when no metadata was given

    @property
    def verdict(self) -> str:
        """AUTHENTIC; NOT_AUTHENTIC (never issued); MISMATCH (issued, but the metadata given is not its own: the
        item presented is not the certified one, whatever its report); STOLEN or LOST (reported, not cleared)."""
        if not self.authentic:
            return "NOT_AUTHENTIC"
        if self.metadata_matches is False:
            return "MISMATCH"
        return "AUTHENTIC" if self.status == Status.VALID else self.status.name

    def to_json(self) -> dict[str, Any]:
        return {
            "certificate": f"0x{self.token_id:064x}",
            "authentic": self.authentic,
            "brand": self.brand,
            "owner": self.owner,
            "previousOwners": self.previous_owners,
            "status": self.status.name,
            "reportedAt": self.reported_at,
            "metadataHash": self.metadata_hash,
            "metadataMatches": self.metadata_matches,
        }


class CertificateClient(ContractClient, name=NAME):
    def my_brand(self) -> int:
        org, _ = self.client.participants.organisation_of(self.client.require_signer().address)
        if org == 0:
            raise InputError("account", "this account signs for no organisation")
        return org

    # -------------------------------------------------------------- issuance

    def issue(self, serial: str, metadata: dict[str, Any], *, to: str | None = None) -> tuple[int, Receipt]:
        brand = self.my_brand()
        owner = parse_address(to, "to") if to else self.client.require_signer().address
        receipt = self._send("issue", brand, owner, parse_serial(serial), metadata_hash(metadata))
        return certificate_id(brand, serial), receipt

    def issue_batch(
        self,
        rows: Sequence[tuple[str, dict[str, Any]]],
        *,
        to: str | None = None,
        batch_size: int = BATCH_SIZE,
        progress: Callable[[int, int], None] | None = None,
        on_issued: Callable[[list[IssuedRow]], None] | None = None,
    ) -> BatchResult:
        """Issues every (serial, metadata) row, ``batch_size`` per transaction. Rows already issued are skipped,
        so running it again after an interruption issues the rest and nothing twice. ``on_issued`` is given the
        rows of each transaction once it is mined (to record which certificate each serial became as it goes)."""
        brand = self.my_brand()
        owner = parse_address(to, "to") if to else self.client.require_signer().address
        seen: set[bytes] = set()
        prepared = []
        for i, (serial, metadata) in enumerate(rows):
            raw = parse_serial(serial, f"rows[{i}].serial")
            if raw in seen:
                raise InputError(f"rows[{i}].serial", "appears twice in the batch", serial)
            seen.add(raw)
            prepared.append((raw, metadata_hash(metadata), certificate_id(brand, serial), serial))
        existing: list[bool] = []
        for start in range(0, len(prepared), 1000):
            existing += list(self._call("existing", [p[2] for p in prepared[start : start + 1000]]))
        todo = [p for p, done in zip(prepared, existing, strict=True) if not done]
        skipped = [p[2] for p, done in zip(prepared, existing, strict=True) if done]
        issued: list[int] = []
        txs: list[str] = []
        rows_out: list[IssuedRow] = []
        gas = biggest = 0
        for start in range(0, len(todo), batch_size):
            chunk = todo[start : start + batch_size]
            receipt = self._send("issueBatch", brand, owner, [c[0] for c in chunk], [c[1] for c in chunk])
            issued += [c[2] for c in chunk]
            txs.append(receipt.tx_hash)
            done = [IssuedRow(c[3], c[2], receipt.tx_hash) for c in chunk]
            rows_out += done
            gas += receipt.gas_used
            biggest = max(biggest, receipt.gas_used)
            if on_issued:
                on_issued(done)
            if progress:
                progress(len(issued), len(todo))
        return BatchResult(issued, skipped, txs, gas, biggest, rows_out)

    def issue_transactions(self, brand: int) -> dict[int, str]:
        """The transaction that issued each certificate of ``brand`` (from its CertificateIssued events): for the
        rows a resumed batch skipped, issued by an earlier run."""
        return {
            int(log["args"]["tokenId"]): "0x" + bytes(log["transactionHash"]).hex()
            for log in self._event_logs("CertificateIssued", {"brand": brand})
        }

    # -------------------------------------------------------------- transfers and claims

    def transfer(self, token_id: int, to: str) -> Receipt:
        sender = self.client.require_signer().address
        return self._send("safeTransferFrom", sender, parse_address(to, "to"), token_id)

    def open_claim(self, token_id: int) -> tuple[str, Receipt]:
        """Opens a claim with a new one-time key; returns its secret (0x hex) to hand over with the item."""
        key = Account.create()
        receipt = self._send("openClaim", token_id, key.address)
        return "0x" + bytes(key.key).hex(), receipt

    def cancel_claim(self, token_id: int) -> Receipt:
        return self._send("cancelClaim", token_id)

    def claim(self, token_id: int, secret: str) -> Receipt:
        """Takes the certificate with the claim secret: the signature binds it to this signer."""
        from tradechain.chain.accounts import parse_private_key

        key = Account.from_key(parse_private_key(secret, "secret"))  # exactly 64 hex digits: never padded
        claimant = self.client.require_signer().address
        nonce = int(self._call("getCertificate", token_id)[2])
        inner = keccak(
            abi_encode(
                ["string", "uint256", "address", "uint256", "address", "uint32"],
                ["tradechain certificate claim", self.client.chain_id, self.address, token_id, claimant, nonce],
            )
        )
        signature = Account.sign_message(encode_defunct(primitive=inner), key.key).signature
        return self._send("claim", token_id, bytes(signature))

    # -------------------------------------------------------------- reports and service

    def report(self, token_id: int, *, stolen: bool, report_hash: bytes = b"\0" * 32) -> Receipt:
        """Reports it stolen or lost: frozen until the brand clears it. An open claim is closed (ClaimClosed)."""
        return self._send("report", token_id, stolen, report_hash)

    def closed_a_claim(self, receipt: Receipt) -> bool:
        """Whether the transaction of ``receipt`` (a report) closed an open claim (its ClaimClosed event)."""
        return bool(self._events(receipt, "ClaimClosed"))

    def clear_report(self, token_id: int) -> Receipt:
        return self._send("clearReport", token_id)

    def record_service(self, token_id: int, kind: str, record_hash: bytes = b"\0" * 32) -> Receipt:
        from tradechain.formats.values import reason_code

        return self._send("recordService", token_id, reason_code(kind, "kind"), record_hash)

    # -------------------------------------------------------------- reads

    def exists(self, token_id: int) -> bool:
        return bool(self._call("existing", [token_id])[0])

    def _logs(self, event: str, token_id: int) -> list[Any]:
        return self._event_logs(event, {"tokenId": token_id})

    def metadata_hash_of(self, token_id: int) -> str:
        """The certificate's current metadata hash, from its issue and update events (it is not stored)."""
        found = [
            (log["blockNumber"], log["logIndex"], log["args"]["metadataHash"])
            for log in self._logs("CertificateIssued", token_id)
        ]
        found += [
            (log["blockNumber"], log["logIndex"], log["args"]["newHash"])
            for log in self._logs("MetadataHashChanged", token_id)
        ]
        return "0x" + bytes(max(found)[2]).hex() if found else ""

    def verify(self, token_id: int, metadata: dict[str, Any] | None = None) -> Verification:
        if not self.exists(token_id):
            return Verification(token_id, False, 0, None, 0, Status.VALID, 0, "", None)
        status, reported, _nonce, _key = self._call("getCertificate", token_id)
        stored = self.metadata_hash_of(token_id)
        matches = None if metadata is None else "0x" + metadata_hash(metadata).hex() == stored
        owner = str(self._call("ownerOf", token_id))
        previous = len(self._logs("Transfer", token_id)) - 1  # every transfer after the mint adds an owner
        return Verification(
            token_id, True, brand_of(token_id), owner, previous, Status(status), int(reported), stored, matches
        )


def write_qr(token_id: int, out: Path, base_url: str) -> str:
    """A PNG QR code of the certificate's verification URL; returns the URL."""
    import segno

    url = f"{base_url.rstrip('/')}/0x{token_id:064x}"
    segno.make(url, error="m").save(str(out), kind="png", scale=6, border=4)
    return url
