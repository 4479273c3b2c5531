"""``tradechain cert``: luxury authenticity certificates (brands issue; owners resell; anyone verifies)."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tradechain.chain import accounts
from tradechain.cli.common import (
    Run,
    check_new_file,
    command,
    file_digest,
    org_name,
    synced_index,
    tx_json,
    tx_text,
    when,
    write_new_file,
)
from tradechain.client import Client
from tradechain.contracts import luxury_certificate as certs
from tradechain.errors import InputError, TradechainError
from tradechain.formats.values import parse_address

if TYPE_CHECKING:
    from tradechain.client import Client

CERT_HELP = "A certificate: its id (0x hex or decimal), BRAND:SERIAL, or a serial with --brand."


@click.group("cert")
def group() -> None:
    """Luxury authenticity certificates: issue, transfer, claim, report stolen or lost, verify."""


def _token(value: str, brand: int | None = None) -> int:
    text = value.strip()
    if brand is not None:
        return certs.certificate_id(brand, text)
    if ":" in text and not text.startswith("0x"):
        head, _, serial = text.partition(":")
        if not head.isdigit():
            raise InputError("certificate", "BRAND:SERIAL starts with the brand's organisation id", value)
        return certs.certificate_id(int(head), serial)
    return certs.parse_token_id(text)


def _hex(token: int) -> str:
    return f"0x{token:064x}"


@command(group, "issue", chain="send")
@click.argument("serial")
@click.option(
    "--metadata",
    "metadata_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The item's metadata JSON (model, reference, materials, origin, date, image hashes).",
)
@click.option("--to", "owner", metavar="ADDRESS", help="First owner. [default: the issuing account]")
def issue(run: Run, serial: str, metadata_file: Path, owner: str | None) -> None:
    """Issue the certificate of SERIAL for your brand."""
    certs.parse_serial(serial)
    metadata = certs.read_metadata(metadata_file)
    if owner is not None:
        parse_address(owner, "to")
    client = run.client()
    token, receipt = client.certificates.issue(serial, metadata, to=owner)
    run.sent(
        receipt,
        {"certificate": _hex(token), "serial": serial, "metadataHash": "0x" + certs.metadata_hash(metadata).hex()},
        f"certificate {_hex(token)} issued for {serial}",
    )


@command(group, "issue-batch", chain="send")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--to", "owner", metavar="ADDRESS", help="First owner of all. [default: the issuing account]")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 1000),
    default=certs.BATCH_SIZE,
    show_default=True,
    help="Certificates per transaction (kept under the 2^24 gas cap).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV of which certificate each serial became: serial, certificate (0x id), tx. Written as each "
    "transaction is mined; a resumed run completes the same file.",
)
def issue_batch(run: Run, file: Path, owner: str | None, batch_size: int, out: Path | None) -> None:
    """Issue a certificate per row of a CSV (column 'serial'; the others are metadata). Resumable: rows issued
    before are skipped, so running it again after an interruption issues nothing twice; with the same --out, it
    adds the rows the interrupted run had not written (with the transaction that issued them), once each, and
    leaves the file in the order of the CSV."""
    rows = certs.read_rows(file)
    if owner is not None:
        parse_address(owner, "to")
    ids = IdsFile(out) if out is not None else None
    client = run.client()
    if ids is not None:
        ids.check_brand(client.certificates.my_brand())
    with run.progress(len(rows), "issuing") as advance:
        result = client.certificates.issue_batch(
            rows,
            to=owner,
            batch_size=batch_size,
            progress=advance,
            on_issued=ids.append if ids is not None else None,
        )
    data = result.to_json()
    text = (
        f"{len(result.issued):,} certificate(s) issued, {len(result.skipped):,} already "
        f"issued, in {len(result.transactions)} transaction(s) ({data['gasPerCertificate']:,} gas each)"
    )
    if ids is not None:
        ids.complete(client, [serial for serial, _ in rows], result.skipped)
        data["file"] = str(ids.path)
        text += f"; serial, certificate and transaction of {len(rows):,} row(s) in {ids.path}"
    else:
        data["certificates"] = [r.to_json() for r in result.rows]
    run.emit(data, text)


IDS_HEADER = ("serial", "certificate", "tx")


class IdsFile:
    """The --out file of ``cert issue-batch``: one ``serial,certificate,tx`` row per certificate, appended (and
    flushed to disk) as each transaction is mined, so an interruption loses at most the rows of the transaction in
    flight; :meth:`complete` adds those (and any the file lacks) from the chain and rewrites the file whole, in the
    order of the CSV."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: dict[str, tuple[str, str]] = {}  # serial: (certificate, tx), in file order
        self.headed = False
        if not path.exists():
            check_new_file(path, "out")
            return
        if not path.is_file():
            raise InputError("out", "is not a file", str(path))
        data = path.read_bytes()
        complete = data[: data.rfind(b"\n") + 1]  # a line cut by an interruption is dropped, and written again
        header = (",".join(IDS_HEADER) + "\n").encode()
        try:
            lines = list(csv.reader(complete.decode("utf-8").splitlines()))
        except (UnicodeDecodeError, csv.Error):
            lines = [[]]
        if (lines and tuple(lines[0]) != IDS_HEADER) or (not lines and not header.startswith(data)):
            raise InputError(
                "out", "exists and is not an ids file of cert issue-batch (header serial,certificate,tx)", str(path)
            )
        self.headed = bool(lines)
        for number, line in enumerate(lines[1:], start=2):
            if len(line) != 3:
                raise InputError("out", f"line {number} is not serial,certificate,tx", str(path))
            self.rows[line[0]] = (line[1], line[2])
        if len(complete) != len(data):
            with path.open("r+b") as fh:
                fh.truncate(len(complete))

    def check_brand(self, brand: int) -> None:
        """Refuses a file whose certificates are not this brand's ids of their serials (another brand's file)."""
        for serial, (certificate, _) in self.rows.items():
            expected = _hex(certs.certificate_id(brand, serial))
            if certificate != expected:
                raise InputError(
                    "out",
                    f"gives {serial} the certificate {certificate}, not {expected} of your brand {brand}: "
                    "another brand's file",
                    str(self.path),
                )

    def append(self, issued: list[certs.IssuedRow]) -> None:
        with self.path.open("a", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            if not self.headed:
                writer.writerow(IDS_HEADER)
                self.headed = True
            for row in issued:
                writer.writerow((row.serial, _hex(row.certificate), row.tx_hash))
                self.rows[row.serial] = (_hex(row.certificate), row.tx_hash)
            fh.flush()
            os.fsync(fh.fileno())

    def complete(self, client: Client, serials: list[str], skipped: list[int]) -> None:
        """Adds the rows of certificates issued by an earlier run that the file lacks, then rewrites it whole
        (atomically) with the CSV's serials first, in its order."""
        missing = {_hex(t) for t in skipped} - {c for c, _ in self.rows.values()}
        if missing:
            brand = client.certificates.my_brand()
            issued_in = client.certificates.issue_transactions(brand)
            for serial in serials:
                certificate = _hex(certs.certificate_id(brand, serial))
                if certificate in missing:
                    self.rows[serial] = (certificate, issued_in.get(int(certificate, 16), ""))
        given = set(serials)
        ordered = [s for s in serials if s in self.rows] + [s for s in self.rows if s not in given]
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(IDS_HEADER)
        writer.writerows((s, *self.rows[s]) for s in ordered)
        import tempfile

        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                os.fchmod(fh.fileno(), stat.S_IMODE(self.path.stat().st_mode) if self.path.exists() else 0o644)
                fh.write(text.getvalue())
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


@command(group, "transfer", chain="send")
@click.argument("certificate")
@click.option("--to", "receiver", required=True, metavar="ADDRESS")
def transfer(run: Run, certificate: str, receiver: str) -> None:
    """Transfer a certificate you own (a safe ERC-721 transfer)."""
    token = _token(certificate)
    client = run.client()
    receipt = client.certificates.transfer(token, receiver)
    run.sent(
        receipt, {"certificate": _hex(token), "to": receiver}, f"certificate {_hex(token)} transferred to {receiver}"
    )


@command(group, "open-claim", chain="send")
@click.argument("certificate")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the claim secret to this new file (mode 600, whole or not at all, never over an existing file) "
    "instead of printing it; `cert claim --secret-file` reads it.",
)
def open_claim(run: Run, certificate: str, out: Path | None) -> None:
    """Open a claim: prints a one-time claim secret to hand over with the item (box card, NFC tag), or writes it
    to --out."""
    token = _token(certificate)
    if out is not None:
        check_new_file(out, "out")
    client = run.client()
    secret, receipt = client.certificates.open_claim(token)
    if out is None:
        run.emit(
            {"certificate": _hex(token), "claimSecret": secret, **tx_json(receipt)},
            f"claim opened on {_hex(token)}; hand this secret over with the item (shown once):\n{secret}\n"
            f"{tx_text(receipt)}",
        )
        return
    try:
        write_new_file(out, (secret + "\n").encode(), mode=0o600, field="out")
    except (InputError, OSError) as exc:  # the claim is open, its secret lost: say how to start again
        reason = exc.user_message if isinstance(exc, InputError) else exc.strerror
        raise TradechainError(
            f"the claim on {_hex(token)} is open ({tx_text(receipt)}), but its secret could not be written to {out} "
            f"({reason}): cancel it with `tradechain cert cancel-claim {_hex(token)}` and open a new one"
        ) from None
    run.emit(
        {"certificate": _hex(token), "secretFile": str(out), **tx_json(receipt)},
        f"claim opened on {_hex(token)}; its secret is in {out} (mode 600): hand it over with the item; "
        f"{tx_text(receipt)}",
    )


@command(group, "cancel-claim", chain="send")
@click.argument("certificate")
def cancel_claim(run: Run, certificate: str) -> None:
    """Cancel the open claim of a certificate you own (its secret stops working)."""
    token = _token(certificate)
    client = run.client()
    receipt = client.certificates.cancel_claim(token)
    run.sent(receipt, {"certificate": _hex(token)}, f"claim on {_hex(token)} cancelled")


CLAIM_SECRET_ENV = "TRADECHAIN_CLAIM_SECRET"
MAX_SECRET_FILE_BYTES = 4096
SECRET_SOURCES = f"--secret-file FILE (mode 600, or - for stdin), ${CLAIM_SECRET_ENV} or the hidden prompt"


def read_secret_file(path: Path, field: str = "secret-file") -> str:
    """A secret from a file readable by its owner only (or ``-``: stdin), surrounding whitespace stripped."""
    if str(path) == "-":
        data = sys.stdin.buffer.read(MAX_SECRET_FILE_BYTES + 1)
    else:
        try:  # opened first, then checked (fstat): no swap between check and read; a FIFO does not block
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            raise InputError(field, "file not found", str(path)) from None
        except OSError as exc:
            raise InputError(field, f"cannot be read ({exc.strerror})", str(path)) from None
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise InputError(field, "must be a regular file", str(path))
            if os.name == "posix" and st.st_mode & 0o077:
                raise InputError(
                    field,
                    f"must be readable by its owner only (mode {stat.S_IMODE(st.st_mode):04o} lets others read or "
                    f"change it): chmod 600 {path}",
                )
            data = fh.read(MAX_SECRET_FILE_BYTES + 1)
    if len(data) > MAX_SECRET_FILE_BYTES:
        raise InputError(field, f"at most {MAX_SECRET_FILE_BYTES:,} bytes (a claim secret is 66 characters)")
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise InputError(field, "must be UTF-8 text (a claim secret is 0x and 64 hex digits)") from None
    if not text:
        raise InputError(field, "is empty")
    return text


def claim_secret(secret_file: Path | None) -> str:
    """The claim secret from --secret-file, else $TRADECHAIN_CLAIM_SECRET, else a hidden prompt; checked to be
    exactly 64 hex digits (never padded)."""
    if secret_file is not None:
        text = read_secret_file(secret_file)
    else:
        text = os.environ.get(CLAIM_SECRET_ENV) or str(click.prompt("Claim secret", hide_input=True))
    try:
        key = accounts.parse_private_key(text, "secret")
    except InputError:
        raise InputError("secret", "a claim secret is 32 bytes of hex (exactly 64 hex digits, optional 0x)") from None
    return "0x" + key.hex()


@command(group, "claim", chain="send")
@click.argument("certificate")
@click.option(
    "--secret-file",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help=f"A file holding the claim secret, readable by you only (mode 600); - reads stdin. "
    f"[else ${CLAIM_SECRET_ENV}; else a hidden prompt]",
)
@click.option("--secret", "secret_argument", hidden=True)  # refused: see below
def claim(run: Run, certificate: str, secret_file: Path | None, secret_argument: str | None) -> None:
    """Take a certificate with its claim secret (it becomes yours; nobody can take your claim from the mempool).
    The secret never goes on the command line: --secret-file, $TRADECHAIN_CLAIM_SECRET or a hidden prompt."""
    if secret_argument is not None:  # a command line is visible to every user of the machine (ps, /proc)
        raise InputError("secret", f"never on the command line (other users see it in ps): use {SECRET_SOURCES}")
    token = _token(certificate)
    secret = claim_secret(secret_file)
    client = run.client()
    receipt = client.certificates.claim(token, secret)
    run.sent(
        receipt,
        {"certificate": _hex(token), "owner": client.require_signer().address},
        f"certificate {_hex(token)} is now yours",
    )


@command(group, "report", chain="send")
@click.argument("certificate")
@click.option("--stolen/--lost", "stolen", required=True)
@click.option(
    "--report",
    "report_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Police report or declaration; its hash goes on chain.",
)
def report(run: Run, certificate: str, stolen: bool, report_file: Path | None) -> None:
    """Report a certificate stolen or lost (its owner or its brand): it is frozen until the brand clears it, and
    an open claim is closed."""
    token = _token(certificate)
    digest = file_digest(report_file, "report")
    client = run.client()
    receipt = client.certificates.report(token, stolen=stolen, report_hash=digest)
    closed = client.certificates.closed_a_claim(receipt)
    note = (
        "; its open claim is closed (the secret handed over no longer works: after the brand clears the report, "
        "the owner opens a new claim)"
        if closed
        else ""
    )
    run.sent(
        receipt,
        {"certificate": _hex(token), "status": "STOLEN" if stolen else "LOST", "claimClosed": closed},
        f"certificate {_hex(token)} reported {'stolen' if stolen else 'lost'}{note}",
    )


@command(group, "clear", chain="send")
@click.argument("certificate")
def clear(run: Run, certificate: str) -> None:
    """Clear a stolen or lost report (the brand, on recovery)."""
    token = _token(certificate)
    client = run.client()
    receipt = client.certificates.clear_report(token)
    run.sent(receipt, {"certificate": _hex(token), "status": "VALID"}, f"report on {_hex(token)} cleared")


@command(group, "service", chain="send")
@click.argument("certificate")
@click.option("--kind", required=True, help="Service code, e.g. REVISION, POLISH, REPAIR.")
@click.option(
    "--record",
    "record_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Service record; its hash goes on chain.",
)
def service(run: Run, certificate: str, kind: str, record_file: Path | None) -> None:
    """Record a service or repair (the brand)."""
    token = _token(certificate)
    digest = file_digest(record_file, "record")
    client = run.client()
    receipt = client.certificates.record_service(token, kind, digest)
    run.sent(receipt, {"certificate": _hex(token), "kind": kind}, f"service {kind} recorded on {_hex(token)}")


@command(group, "verify", chain="read")
@click.argument("certificate")
@click.option("--brand", type=int, help="The brand's organisation id, when CERTIFICATE is a serial.")
@click.option(
    "--metadata",
    "metadata_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A metadata file to check against the certificate's hash.",
)
def verify(run: Run, certificate: str, brand: int | None, metadata_file: Path | None) -> None:
    """Is this certificate authentic, whose, how many owners before, reported, and does the metadata match?
    CERTIFICATE may also be the URL its QR code holds (`cert qr`). Exit code 0 AUTHENTIC; 3 NOT AUTHENTIC (never
    issued) or MISMATCH (the metadata given is not the certificate's); 4 STOLEN or LOST."""
    token = _verify_url_token(certificate) if "://" in certificate else _token(certificate, brand)
    metadata = certs.read_metadata(metadata_file) if metadata_file else None
    client = run.client()
    v = client.certificates.verify(token, metadata)
    data = {"verdict": v.verdict, **v.to_json()}
    if not v.authentic:
        run.verdict(v.verdict, data, f"NOT AUTHENTIC: no certificate {_hex(token)} was ever issued")
        return
    head = v.verdict.replace("_", " ")
    if v.verdict == "MISMATCH":
        head += ": the metadata given DOES NOT MATCH the certificate (another item, or altered)"
    lines = [
        f"{head}  certificate {_hex(token)}",
        f"  brand            {org_name(client, v.brand)}",
        f"  owner            {_party(client, v.owner, short=False) if v.owner else '-'}",
        f"  previous owners  {v.previous_owners}",
    ]
    if v.status != certs.Status.VALID:
        lines.append(f"  reported         {v.status.name.lower()} on {when(v.reported_at)}")
    if v.metadata_matches is not None:
        lines.append(f"  metadata         {'matches' if v.metadata_matches else 'DOES NOT MATCH'} the certificate")
    run.verdict(v.verdict, data, "\n".join(lines))


def _verify_url_token(url: str) -> int:
    """The certificate id of a verification URL, as `cert qr` writes it: http(s), the id last in the path (0x
    and 64 hex digits), on any verification site."""
    from urllib.parse import urlsplit

    rule = "a verification URL is http(s)://SITE/.../0x followed by the certificate id's 64 hex digits"
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise InputError("certificate", rule, url) from None
    last = parts.path.rstrip("/").rpartition("/")[2]
    if parts.scheme not in ("http", "https") or not parts.netloc or not re.fullmatch(r"0x[0-9a-fA-F]{64}", last):
        raise InputError("certificate", rule, url)
    return int(last, 16)


DEFAULT_VERIFY_URL = "http://127.0.0.1:8700/certificate"


def default_verify_url() -> str:
    """Where a certificate's QR code points: the certificate page of the portal this checkout runs (`tradechain
    serve --detach`), else ``$TRADECHAIN_VERIFY_URL``, else the local portal's default address."""
    from tradechain.portal import server

    found = server.running()
    if found is not None:
        return f"{found.url}/certificate"
    return os.environ.get("TRADECHAIN_VERIFY_URL") or DEFAULT_VERIFY_URL


@command(group, "qr", chain="read")
@click.argument("certificate")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="PNG file to write.")
@click.option(
    "--base-url",
    default=lambda: default_verify_url(),
    show_default="the running portal's /certificate, else $TRADECHAIN_VERIFY_URL, else http://127.0.0.1:8700/certificate",
    help="Verification site; the certificate id is appended.",
)
def qr(run: Run, certificate: str, out: Path, base_url: str) -> None:
    """Write a QR code of the certificate's verification URL (PNG), for an issued certificate only; `cert verify
    URL` takes that URL."""
    token = _token(certificate)
    if out.suffix.lower() != ".png":
        raise InputError("out", "the QR code is written as PNG: name the file *.png", str(out))
    if not run.client().certificates.exists(token):
        raise InputError(
            "certificate",
            f"no certificate {_hex(token)} was ever issued on this chain: a QR code would verify as "
            "NOT AUTHENTIC (issue it first: tradechain cert issue)",
            certificate,
        )
    url = certs.write_qr(token, out, base_url)
    run.emit({"certificate": _hex(token), "url": url, "file": str(out)}, f"wrote {out} ({url})")


@command(group, "publish", chain="read")
@click.argument("file", type=click.Path(path_type=Path), metavar="ROWS_FILE")
@click.option("--brand", type=click.IntRange(1, 2**32 - 1), metavar="ORG", help="The brand's organisation number.")
@click.option("--account", "account", metavar="NAME", envvar="TRADECHAIN_ACCOUNT", help="Or: an account of the brand.")
@click.option(
    "--portal",
    "portal_url",
    metavar="URL",
    help="The portal to publish to. [default: the portal `tradechain serve --detach` runs here, else "
    "$TRADECHAIN_RESOLVER]",
)
def publish(run: Run, file: Path, brand: int | None, account: str | None, portal_url: str | None) -> None:
    """Publish the descriptions of the brand's certificates (ROWS_FILE: the CSV of `cert issue-batch`, column
    'serial', the others the metadata) to a portal, whose certificate pages then show brand, model and reference.
    The portal keeps each one only if it hashes to its certificate's on-chain metadata hash (so no signature is
    needed: none can be forged); a row of a certificate not issued is refused. The brand is --brand ORG, or the
    organisation of --account."""
    from tradechain.cli.serials import portal_option
    from tradechain.portal import remote

    rows = certs.read_rows(file)
    url = portal_option(portal_url)
    if brand is None:
        if account is None:
            raise InputError("brand", "give --brand ORG (the brand's organisation number) or --account NAME")
        client = run.client_signing_as(account)
        brand = client.certificates.my_brand()
    published = remote.publish_metadata(url, [(certs.certificate_id(brand, s), m) for s, m in rows])
    count = int(published.get("published", 0))
    run.emit(
        {"portal": url, "brand": brand, **published},
        f"{count:,} certificate description(s) of brand {brand} published to {url}",
    )


@command(group, "history", chain="read")
@click.argument("certificate")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), help="Index database.")
def history(run: Run, certificate: str, db: Path | None) -> None:
    """The owners of a certificate in order, and everything recorded about it (from the index): when (ISO 8601,
    UTC), what, and who, organisations by the names of their profiles."""
    token = _token(certificate)
    client = run.client()
    store = synced_index(client, db)
    result = store.certificate_history(_hex(token))
    for e in result["events"]:
        e["time"] = when(e["timestamp"]) if e.get("timestamp") else None
    names: dict[str, str] = {}

    def party(address: str) -> str:
        if address not in names:
            names[address] = _party(client, address)
        return names[address]

    run.emit(
        result,
        "\n".join(
            [f"certificate {_hex(token)}", f"owners: {' -> '.join(party(o) for o in result['owners']) or '-'}"]
            + [
                f"{e['time'] or '-':20}  {_event_text(client, e['name'], e['args'], party)}  (block {e['block']})"
                for e in result["events"]
            ]
        ),
    )


def _party(client: Client, address: str, *, short: bool = True) -> str:
    """An account as history and verify name it: ``0x3C44…93BC of Acme Tuna Co (org 13)`` when it signs for an
    organisation, else the account alone (a private owner)."""
    text = f"{address[:6]}…{address[-4:]}" if short else address
    org, _ = client.participants.organisation_of(address)
    return f"{text} of {org_name(client, org)}" if org else text


def _text32(value: Any) -> str:
    """A bytes32 argument (a serial, a service kind) as its text when it is plain ASCII, else its hex."""
    raw = bytes.fromhex(str(value)[2:]) if isinstance(value, str) and value.startswith("0x") else b""
    text = raw.rstrip(b"\0")
    return text.decode() if text and all(0x20 <= b < 0x7F for b in text) else str(value)


def _status(value: Any) -> str:
    try:
        return certs.Status(int(value)).name.lower()
    except ValueError:
        return str(value)


def _event_text(client: Client, name: str, a: dict[str, Any], party: Any) -> str:
    """One event of a certificate's history in words, its parties named."""
    zero = "0x" + "00" * 20
    if name == "CertificateIssued":
        return f"issued by {org_name(client, int(a['brand']))}, serial {_text32(a['serial'])}"
    if name == "Transfer":
        if a["from"] == zero:
            return f"first owner {party(a['to'])}"
        return f"transferred from {party(a['from'])} to {party(a['to'])}"
    if name == "ClaimOpened":
        return f"claim opened by its owner {party(a['owner'])}"
    if name == "ClaimClosed":
        return "claim closed (its secret no longer works)"
    if name == "CertificateClaimed":
        return f"claimed by {party(a['claimant'])} from {party(a['previousOwner'])}"
    if name == "CertificateReported":
        return f"reported {_status(a['status'])} by {party(a['reporter'])}"
    if name == "ReportCleared":
        return f"{_status(a['previousStatus'])} report cleared by {party(a['by'])}"
    if name == "ServiceRecorded":
        return f"service {_text32(a['kind'])} recorded by {org_name(client, int(a['brand']))}"
    if name == "MetadataHashChanged":
        return f"metadata hash changed to {a['newHash']}"
    shown = ", ".join(f"{k}={v}" for k, v in a.items() if k != "tokenId")
    return f"{name}({shown})"
