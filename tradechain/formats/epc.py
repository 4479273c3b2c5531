"""EPC URNs (TDS 2.x pure identities and classes) to canonical GS1 Digital Link URIs, so that an item named
either way is one item. Identifiers of other schemes pass through unchanged."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from tradechain.errors import InputError
from tradechain.formats import gs1

DL = "https://id.gs1.org"
_URN = re.compile(r"urn:epc:(id|class|idpat):([a-z0-9]+):(.+)")


def _parts(body: str, n: int, field: str, value: str) -> list[str]:
    parts = body.split(".")
    if len(parts) != n:
        raise InputError(field, f"expected {n} dot-separated parts", value)
    return parts


def _check_digits(text: str, field: str, value: str) -> None:
    if not text.isdigit():
        raise InputError(field, "company prefix and reference are digits", value)


# An already canonical item or class Digital Link (the common case in bulk imports): only the GTIN's check
# digit needs checking; the unreserved characters used here need no percent-decoding.
_CANONICAL = re.compile(r"https://id\.gs1\.org/01/(\d{14})(?:/10/[0-9A-Za-z\-._]{1,20})?(?:/21/[0-9A-Za-z\-._]{1,20})?")


def to_digital_link(value: str, field: str = "epc") -> str:
    """The canonical Digital Link of an EPC URN or Digital Link; other URIs unchanged."""
    text = value.strip()
    fast = _CANONICAL.fullmatch(text)
    if fast and gs1.check_digit(fast.group(1)[:13]) == int(fast.group(1)[13]):
        return text
    if text.startswith(("http://", "https://")) and re.search(r"/(01|00|414|8004|8018|253)/", text):
        return _canonical_dl(text, field)
    m = _URN.fullmatch(text)
    if not m:
        if text.startswith("urn:epc:"):
            raise InputError(field, "not a valid EPC URN (urn:epc:id|class|idpat:scheme:...)", value)
        return text
    kind, scheme, body = m.groups()
    if scheme == "sgtin":
        cp, iir, serial = _parts(body, 3, field, value)
        _check_digits(cp + iir, field, value)
        if len(cp + iir) != 13:
            raise InputError(field, "SGTIN company prefix and item reference are 13 digits", value)
        gtin = gs1.with_check_digit(iir[0] + cp + iir[1:])
        if kind == "idpat":
            if serial != "*":
                raise InputError(field, "an SGTIN pattern ends with .*", value)
            return f"{DL}/01/{gtin}"
        return f"{DL}/01/{gtin}/21/{quote(gs1.parse_serial(unquote(serial), field), safe='')}"
    if scheme == "lgtin" and kind == "class":
        cp, iir, lot = _parts(body, 3, field, value)
        _check_digits(cp + iir, field, value)
        if len(cp + iir) != 13:
            raise InputError(field, "LGTIN company prefix and item reference are 13 digits", value)
        gtin = gs1.with_check_digit(iir[0] + cp + iir[1:])
        return f"{DL}/01/{gtin}/10/{quote(gs1.parse_lot(unquote(lot), field), safe='')}"
    if scheme == "sscc" and kind == "id":
        cp, ref = _parts(body, 2, field, value)
        _check_digits(cp + ref, field, value)
        if len(cp + ref) != 17:
            raise InputError(field, "SSCC company prefix and serial reference are 17 digits", value)
        return f"{DL}/00/{gs1.with_check_digit(ref[0] + cp + ref[1:])}"
    if scheme == "sgln" and kind == "id":
        cp, loc, ext = _parts(body, 3, field, value)
        _check_digits(cp + loc, field, value)
        if len(cp + loc) != 12:
            raise InputError(field, "SGLN company prefix and location reference are 12 digits", value)
        gln = gs1.with_check_digit(cp + loc)
        return f"{DL}/414/{gln}" + ("" if ext == "0" else f"/254/{quote(unquote(ext), safe='')}")
    return text  # giai, gsrn, gdti, ... kept as the URN they are


def _canonical_dl(text: str, field: str) -> str:
    """A Digital Link on any domain, rewritten on id.gs1.org with the path only (validated)."""
    path = re.search(r"/(01|00|414|8004|8018|253)/.*$", text.split("?")[0])
    assert path is not None
    segments = [unquote(s) for s in path.group(0).split("/") if s]
    if segments[0] in ("01", "00", "414"):
        try:
            ids = gs1.parse_digital_link(DL + "/" + "/".join(quote(s, safe="") for s in segments))
        except InputError as exc:
            raise InputError(field, exc.rule, text) from None
        if ids.gtin:
            out = f"{DL}/01/{ids.gtin}"
            if ids.lot:
                out += f"/10/{quote(ids.lot, safe='')}"
            if ids.serial:
                out += f"/21/{quote(ids.serial, safe='')}"
            return out
        if ids.sscc:
            return f"{DL}/00/{ids.sscc}"
    return DL + "/" + "/".join(quote(s, safe="") for s in segments)


def gln_of(location: str) -> int:
    """The GLN of a location identifier (SGLN URN or /414/ Digital Link), 0 if it has none."""
    try:
        dl = to_digital_link(location)
    except InputError:
        return 0
    m = re.match(rf"{re.escape(DL)}/414/(\d{{13}})", dl)
    return int(m.group(1)) if m else 0
