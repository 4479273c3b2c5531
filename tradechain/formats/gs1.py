"""GS1 identifiers, strict, pure Python: GTIN, serial, lot, expiry, SSCC, GLN, element strings and Digital Link.

Every parser raises :class:`~tradechain.errors.InputError` naming the field and the GS1 rule broken.
The AI table (every AI of the current General Specifications: format, pattern, title, predefined length) and
the AIM symbology names come from biip; ours on top: the one-line errors, the AI pairing rules (req/ex), the
GS1 Digital Link 1.4 path, query and URI rules, and what each symbology identifier carries.
References: GS1 General Specifications (AIs, check digits, character set 82, the YYMMDD century rule) and
GS1 Digital Link URI syntax 1.x.
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import unquote, urlsplit

from biip import ParseError
from biip.gs1_application_identifiers import _GS1_APPLICATION_IDENTIFIERS as _BIIP_AIS
from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from biip.symbology import SymbologyIdentifier

from tradechain.errors import InputError

GS = "\x1d"  # FNC1 as transmitted by scanners between variable-length fields
GS_RENDERING = "<GS>"  # how FNC1 is shown in print and by scanner tools; in data these are 4 characters of set 82
GS_RENDERING_RULE = (
    "holds '<GS>', the printed form of the FNC1 separator, not the separator ('<', 'G', 'S' and '>' are data "
    "characters of GS1 character set 82, so it is never read as one): give the scan as the scanner sends it "
    "(FNC1 as the ASCII 29 group separator, \\x1d) or the bracketed form (01)...(10)...(21)..."
)
# GS1 AI encodable character set 82 (General Specifications, figure 7.11-1)
_CSET82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+")


def check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of ``body`` (every digit but the check digit): weights 3,1,3,... from the
    right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def with_check_digit(body: str) -> str:
    """Appends the GS1 check digit to ``body`` (e.g. 12 digits of a GLN, 13 of a GTIN-14)."""
    if not body.isdigit() or not body.isascii():
        raise InputError("body", "digits only", body)
    return body + str(check_digit(body))


def _digits(value: str | int, field_name: str, lengths: tuple[int, ...], what: str) -> str:
    text = str(value).strip()
    if not text.isascii() or not text.isdigit():
        raise InputError(field_name, f"{_article(what)} {what} is digits only", value)
    if len(text) not in lengths:
        allowed = "/".join(str(n) for n in lengths)
        raise InputError(field_name, f"{_article(what)} {what} is {allowed} digits, not {len(text)}", value)
    expected = check_digit(text[:-1])
    if int(text[-1]) != expected:
        raise InputError(field_name, f"{what} check digit is wrong: expected {expected}, got {text[-1]}", value)
    return text


def _article(word: str) -> str:
    return "an" if word[0] in "AEFHILMNORSX" else "a"  # as spoken: an SSCC, a GTIN, a GLN


def parse_gtin(value: str | int, field: str = "gtin") -> str:
    """GTIN-8, -12, -13 or -14 with its check digit, returned as GTIN-14 (zero-padded)."""
    return _digits(value, field, (8, 12, 13, 14), "GTIN").zfill(14)


def parse_sscc(value: str | int, field: str = "sscc") -> str:
    """SSCC: 18 digits with a check digit (logistic units: pallets, containers)."""
    return _digits(value, field, (18,), "SSCC")


def parse_gln(value: str | int, field: str = "gln") -> int:
    """A GS1 Global Location Number: 13 digits, the last a mod-10 check digit."""
    return int(_digits(value, field, (13,), "GLN"))


def format_gln(gln: int) -> str:
    return f"{gln:013d}"


COMPANY_PREFIX_DIGITS = (4, 12)  # the lengths a GS1 company prefix may have, as the registry licenses them


def parse_company_prefix(value: str, field: str = "prefix") -> str:
    """A GS1 company prefix as its digit string, 4 to 12 digits: its length is part of it ("0614141" and
    "614141" are different prefixes), so it is never taken as a number."""
    if not isinstance(value, str):
        raise InputError(field, "give a company prefix as its digit string: its leading zeros count", value)
    text = value.strip()
    if not text.isascii() or not text.isdigit():
        raise InputError(field, "a company prefix is digits only", value)
    low, high = COMPANY_PREFIX_DIGITS
    if not low <= len(text) <= high:
        raise InputError(field, f"a company prefix is {low} to {high} digits, not {len(text)}", value)
    return text


def parse_prefixed_key(value: str | int, field: str = "key") -> str:
    """A GS1 key that carries a company prefix after its first digit: an SSCC (18 digits) or a GTIN (8, 12, 13
    or 14 digits, returned as GTIN-14), with its check digit."""
    text = str(value).strip()
    if text.isascii() and text.isdigit() and len(text) == 18:
        return parse_sscc(text, field)
    if text.isascii() and text.isdigit() and len(text) not in (8, 12, 13, 14):
        raise InputError(field, f"a GTIN is 8/12/13/14 digits and an SSCC 18, not {len(text)}", value)
    return parse_gtin(text, field)


def key_prefix(key: str, digits: int) -> str:
    """The company prefix of ``digits`` digits that GS1 key ``key`` (a GTIN-14 or an SSCC) carries: the digits
    after its first one (the GTIN's indicator digit, the SSCC's extension digit)."""
    return key[1 : 1 + digits]


def _cset82(value: str, field_name: str, ai: str, what: str) -> str:
    if not value:
        raise InputError(field_name, f"a {what} (AI {ai}) must not be empty")
    if len(value) > 20:
        raise InputError(field_name, f"a {what} (AI {ai}) is at most 20 characters, not {len(value)}", value)
    if not _CSET82.fullmatch(value):
        raise InputError(field_name, f"a {what} (AI {ai}) uses only GS1 character set 82", value)
    return value


def parse_serial(value: str, field: str = "serial") -> str:
    return _cset82(str(value), field, "21", "serial")


def parse_lot(value: str, field: str = "lot") -> str:
    return _cset82(str(value), field, "10", "lot")


def parse_yymmdd(value: str, field: str = "expiry", today: date | None = None) -> date:
    """AI 17 (and 11, 15...): YYMMDD; DD 00 means the last day of the month. The century follows the GS1
    rule: the year lies from 49 years before to 50 years after the current year."""
    text = str(value).strip()
    if len(text) != 6 or not text.isdigit():
        raise InputError(field, "a date is YYMMDD, 6 digits", value)
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    this_year = (today or date.today()).year
    century, current = divmod(this_year, 100)
    diff = yy - current
    year = (century - 1 if diff >= 51 else century + 1 if diff <= -50 else century) * 100 + yy
    if not 1 <= mm <= 12:
        raise InputError(field, f"month {mm:02d} is not 01-12", value)
    last = calendar.monthrange(year, mm)[1]
    if dd == 0:
        dd = last
    if dd > last:
        raise InputError(field, f"day {dd:02d} does not exist in {year}-{mm:02d}", value)
    return date(year, mm, dd)


def format_yymmdd(d: date) -> str:
    return d.strftime("%y%m%d")


# Application identifiers given a name of their own here: AI -> (fixed length or None for variable, max length, key).
# Every other AI of the General Specifications comes from biip's table (format, pattern, title) and is reported
# in ``Gs1Identifiers.ais``, AI -> value.
_AIS: dict[str, tuple[int | None, int, str]] = {
    "00": (18, 18, "sscc"),
    "01": (14, 14, "gtin"),
    "02": (14, 14, "content_gtin"),
    "10": (None, 20, "lot"),
    "11": (6, 6, "production_date"),
    "13": (6, 6, "packaging_date"),
    "15": (6, 6, "best_before"),
    "16": (6, 6, "sell_by"),
    "17": (6, 6, "expiry"),
    "21": (None, 20, "serial"),
    "22": (None, 20, "cpv"),
    "30": (None, 8, "count"),
    "37": (None, 8, "count"),
    "254": (None, 20, "gln_extension"),
    "410": (13, 13, "ship_to_gln"),
    "411": (13, 13, "bill_to_gln"),
    "412": (13, 13, "purchased_from_gln"),
    "413": (13, 13, "ship_for_gln"),
    "414": (13, 13, "gln"),
    "415": (13, 13, "invoicing_party_gln"),
    "416": (13, 13, "production_gln"),
    "417": (13, 13, "party_gln"),
}
_DATE_KEYS = {"expiry", "production_date", "packaging_date", "best_before", "sell_by"}
_TABLE: dict[str, GS1ApplicationIdentifier] = dict(_BIIP_AIS)


def _fixed_length(ai: str) -> int | None:
    """The data length of a predefined-length AI (no FNC1 after it), None for a variable-length one."""
    if ai in _AIS:
        return _AIS[ai][0]
    entry = _TABLE[ai]
    if entry.separator_required:
        return None
    return sum(int(part[1:]) for part in entry.format.split("+")[1:])


def ai_title(ai: str) -> str:
    """The AI's data title in the General Specifications (``NET WEIGHT (kg)`` for 3103)."""
    return _TABLE[ai].data_title if ai in _TABLE else ai


_title = ai_title


def _field(ai: str) -> str:
    return _AIS[ai][2] if ai in _AIS else f"AI {ai}"


# AI pairing rules of the GS1 General Specifications (section 4.14), the part biip does not check: read from GS1's
# Barcode Syntax Dictionary (formats/data/gs1-syntax-dictionary.txt, Apache-2.0, github.com/gs1/gs1-syntax-dictionary
# at ff2eb4b), its ``req=`` and ``ex=`` attributes. A requirement is a list of alternatives, any one of which must be
# present, an alternative a group of AIs or patterns that must all be present (``01+21``); every ``req=`` of an AI
# applies. A pattern's ``n`` stands for any digit (``310n``, ``35nn``). An AI never excludes itself.
SYNTAX_DICTIONARY = "data/gs1-syntax-dictionary.txt"


def _ai_range(text: str) -> list[str]:
    if "-" not in text:
        return [text]
    first, last = text.split("-")
    return [str(n).zfill(len(first)) for n in range(int(first), int(last) + 1)]


@functools.cache
def _pairing_rules() -> tuple[dict[str, list[list[tuple[str, ...]]]], dict[str, list[str]]]:
    from importlib import resources

    text = resources.files("tradechain.formats").joinpath(SYNTAX_DICTIONARY).read_text(encoding="utf-8")
    requires: dict[str, list[list[tuple[str, ...]]]] = {}
    excludes: dict[str, list[str]] = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        reqs = [[tuple(alt.split("+")) for alt in tok[4:].split(",")] for tok in fields[1:] if tok.startswith("req=")]
        exs = [pattern for tok in fields[1:] if tok.startswith("ex=") for pattern in tok[3:].split(",")]
        for ai in _ai_range(fields[0]):
            requires[ai], excludes[ai] = reqs, exs
    return requires, excludes


def _matches(pattern: str, ai: str) -> bool:
    return len(pattern) == len(ai) and all(
        p == a or (p == "n" and a.isdigit()) for p, a in zip(pattern, ai, strict=True)
    )


def _present(pattern: str, ais: set[str]) -> bool:
    return any(_matches(pattern, ai) for ai in ais)


_MEASURES = re.compile(r"3[1-6]\d\d")


def _rule_key(ai: str) -> str:
    return ai[:3] + "n" if _MEASURES.fullmatch(ai) else ai


def _name(pattern: str) -> str:
    return f"AI {pattern} ({_title(pattern)})" if "n" not in pattern else f"an AI {pattern}"


def _describe(alternatives: list[tuple[str, ...]]) -> str:
    names = [" with ".join(_name(p) for p in group) for group in alternatives]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _check_pairs(ais: list[str]) -> None:
    present = set(ais)
    families = [_rule_key(a) for a in ais if _MEASURES.fullmatch(a)]
    for family in families:
        given = [a for a in ais if _rule_key(a) == family]
        if len(set(given)) > 1:
            raise InputError(
                "element string",
                f"AIs {' and '.join(sorted(set(given)))} are one measure ({_title(given[0])}) given twice "
                "with different decimal points: one per string",
            )
    requires, excludes = _pairing_rules()
    for ai in ais:
        for alternatives in requires.get(ai, []):
            if not any(all(_present(p, present) for p in group) for group in alternatives):
                if ai == "21":
                    raise InputError("serial", "a serial (AI 21) qualifies a GTIN (AI 01), which is missing")
                if ai == "10":
                    raise InputError(
                        "lot", "a lot (AI 10) qualifies a GTIN (AI 01) or a content GTIN (AI 02), which is missing"
                    )
                raise InputError(
                    _field(ai),
                    f"AI {ai} ({_title(ai)}) requires {_describe(alternatives)} in the same string "
                    "(GS1 General Specifications, AI pairing rules)",
                )
        for pattern in excludes.get(ai, []):
            for other in sorted(present - {ai}):
                if _matches(pattern, other):
                    raise InputError(
                        "element string",
                        f"AI {ai} ({_title(ai)}) and AI {other} ({_title(other)}) may not appear together "
                        "(GS1 General Specifications, AI pairing rules)",
                    )


@dataclass
class Gs1Identifiers:
    """What a scan or a URI identifies. Dates are :class:`datetime.date`; ``ais`` holds every other AI (of the
    current General Specifications) as given, AI -> value."""

    gtin: str | None = None
    serial: str | None = None
    lot: str | None = None
    expiry: date | None = None
    sscc: str | None = None
    gln: str | None = None
    other: dict[str, str] = field(default_factory=dict)
    ais: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("gtin", "serial", "lot", "sscc", "gln"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.expiry is not None:
            out["expiry"] = self.expiry.isoformat()
        out.update(self.other)
        if self.ais:
            out["ais"] = dict(self.ais)
        return out

    def element_string(self) -> str:
        """The human-readable element string, ``(01)...(17)...(10)...(21)...``."""
        parts = []
        if self.sscc:
            parts.append(f"(00){self.sscc}")
        if self.gtin:
            parts.append(f"(01){self.gtin}")
        if self.expiry:
            parts.append(f"(17){format_yymmdd(self.expiry)}")
        if self.lot:
            parts.append(f"(10){self.lot}")
        if self.serial:
            parts.append(f"(21){self.serial}")
        if self.gln:
            parts.append(f"(414){self.gln}")
        parts.extend(f"({ai}){value}" for ai, value in self.ais.items())
        return "".join(parts)

    def digital_link(self, domain: str = "https://id.gs1.org") -> str:
        """The GS1 Digital Link URI (primary key, then lot and serial in the path, expiry in the query)."""
        from urllib.parse import quote

        if self.gtin:
            path = f"/01/{self.gtin}"
            if self.lot:
                path += f"/10/{quote(self.lot, safe='')}"
            if self.serial:
                path += f"/21/{quote(self.serial, safe='')}"
        elif self.sscc:
            path = f"/00/{self.sscc}"
        elif self.gln:
            path = f"/414/{self.gln}"
        else:
            raise InputError("identifiers", "a Digital Link needs a GTIN, an SSCC or a GLN")
        attributes = [f"17={format_yymmdd(self.expiry)}"] if self.expiry and self.gtin else []
        attributes += [f"{ai}={quote(v, safe='')}" for ai, v in self.ais.items()]
        query = "?" + "&".join(attributes) if attributes else ""
        return domain.rstrip("/") + path + query


def _store(ids: Gs1Identifiers, ai: str, value: str, today: date | None) -> None:
    if ai not in _AIS:
        ids.ais[ai] = value
        return
    key = _AIS[ai][2]
    where = f"AI {ai}"
    if key == "gtin":
        ids.gtin = parse_gtin(value, f"gtin ({where})")
    elif key == "sscc":
        ids.sscc = parse_sscc(value, f"sscc ({where})")
    elif key == "gln":
        ids.gln = format_gln(parse_gln(value, f"gln ({where})"))
    elif key == "lot":
        ids.lot = parse_lot(value)
    elif key == "serial":
        ids.serial = parse_serial(value)
    elif key == "expiry":
        ids.expiry = parse_yymmdd(value, "expiry (AI 17)", today)
    elif key in _DATE_KEYS:
        ids.other[key] = parse_yymmdd(value, f"{key} (AI {ai})", today).isoformat()
    elif key.endswith("_gln"):
        ids.other[key] = format_gln(parse_gln(value, f"{key} ({where})"))
    else:
        ids.other[key] = value


def _check_value(ai: str, data: str, before_fnc1: bool = False) -> None:
    """The length rules named in our messages, then the AI's format from biip's table (the General
    Specifications' table: N6, X..20, ...)."""
    if ai in _AIS:
        fixed, maximum, key = _AIS[ai]
        if fixed is not None and len(data) != fixed:
            raise InputError(key, f"AI {ai} has exactly {fixed} characters, not {len(data)}", data)
        if len(data) > maximum:
            where = " before FNC1" if before_fnc1 else ""
            raise InputError(key, f"AI {ai} has at most {maximum} characters{where}, not {len(data)}", data)
        if key in ("lot", "serial", "gtin", "sscc", "gln") or key in _DATE_KEYS or key.endswith("_gln"):
            return  # the parsers of _store say what is wrong more precisely
    entry = _TABLE[ai]
    if not data:
        raise InputError(_field(ai), f"AI {ai} ({entry.data_title}) must not be empty")
    if not re.fullmatch(entry.pattern, ai + data):
        fmt = entry.format.split("+", 1)[1]
        raise InputError(
            _field(ai),
            f"AI {ai} ({entry.data_title}) is {fmt} in GS1 format notation (N digits, X character set 82, "
            "..n at most n)",
            data,
        )


def _build(pairs: list[tuple[str, str]], today: date | None, source: str, before_fnc1: bool = False) -> Gs1Identifiers:
    ids = Gs1Identifiers()
    seen: dict[str, str] = {}
    for ai, data in pairs:
        if ai in seen:
            if seen[ai] != data:
                raise InputError(
                    "element string", f"AI {ai} ({_title(ai)}) is given twice with different values", source
                )
            continue
        _check_value(ai, data, before_fnc1)
        _store(ids, ai, data, today)
        seen[ai] = data
    _check_pairs(list(seen))
    return ids


def _match_ai(text: str, pos: int) -> str:
    for n in (2, 3, 4):
        if text[pos : pos + n] in _TABLE:
            return text[pos : pos + n]
    raise InputError("element string", f"unknown application identifier at position {pos}: {text[pos : pos + 4]!r}")


# AIM symbology identifiers (ISO/IEC 15424, GS1 General Specifications 5.1.2): what follows each
_ELEMENT_STRING_SYMBOLOGIES = {
    "]C1": "GS1-128",
    "]e0": "GS1 DataBar",
    "]d2": "GS1 DataMatrix",
    "]Q3": "GS1 QR Code",
    "]J1": "GS1 DotCode",
}
_PLAIN_SYMBOLOGIES = {"]Q1": "QR Code", "]d1": "Data Matrix"}  # plain data: a GS1 Digital Link URI
_EAN_SYMBOLOGIES = {
    "]E0": ("EAN-13, UPC-A or UPC-E", 13),
    "]E3": ("EAN-13 or UPC-A with its 2- or 5-digit add-on", 13),
    "]E4": ("EAN-8", 8),
    "]I1": ("ITF-14", 14),
}
SYMBOLOGY_PREFIXES = tuple(_ELEMENT_STRING_SYMBOLOGIES)


def _symbology(text: str) -> tuple[str, str]:
    """The AIM symbology identifier in front of ``text`` ('' if none) and the data after it."""
    if not text.startswith("]"):
        return "", text
    prefix = text[:3]
    if prefix in _ELEMENT_STRING_SYMBOLOGIES or prefix in _PLAIN_SYMBOLOGIES or prefix in _EAN_SYMBOLOGIES:
        return prefix, text[3:]
    try:
        name = SymbologyIdentifier.extract(text).iso_symbology.name.replace("_", " ")
    except ParseError:
        raise InputError("symbology", f"{prefix!r} is not an AIM symbology identifier (ISO/IEC 15424)") from None
    raise InputError(
        "symbology",
        f"{prefix} ({name}) does not carry GS1 data: GS1 element strings come as ]C1, ]e0, ]d2, ]Q3 or ]J1, "
        "Digital Links as ]Q1 or ]d1, GTINs as ]E0, ]E3, ]E4 or ]I1",
    )


def _parse_ean(prefix: str, body: str) -> Gs1Identifiers:
    """The GTIN of a linear scan. ``]E0`` comes as 13 digits (EAN-13, or UPC-A with its leading 0), 12 (UPC-A as
    many scanners send it) or 8 (UPC-E, expanded to its UPC-A by biip); ``]E3`` is an EAN-13 or UPC-A followed by
    its 2- or 5-digit add-on (a price or an issue number, not part of the GTIN: it is dropped)."""
    name, length = _EAN_SYMBOLOGIES[prefix]
    field = f"gtin ({prefix} {name})"
    if not body.isdigit():
        raise InputError("gtin", f"a {prefix} ({name}) scan is digits only, not {body!r}")
    if prefix == "]E0" and len(body) == 8:
        from biip.upc import Upc

        try:
            body = Upc.parse(body).as_upc_a()
        except ParseError as exc:
            raise InputError("gtin", f"a {prefix} scan of 8 digits is a UPC-E: {exc}", body) from None
    if prefix == "]E3":
        if len(body) not in (12 + 2, 12 + 5, 13 + 2, 13 + 5):
            raise InputError("gtin", f"a {prefix} ({name}) scan is 12 or 13 digits and 2 or 5 more, not {body!r}")
        body = body[:13] if len(body) in (15, 18) else body[:12]
    if prefix in ("]E0", "]E3") and len(body) == 12:
        body = "0" + body  # UPC-A: GTIN-12
    if len(body) != length:
        raise InputError("gtin", f"a {prefix} ({name}) scan is {length} digits, not {body!r}")
    return Gs1Identifiers(gtin=parse_gtin(body, field))


def parse_element_string(value: str, today: date | None = None) -> Gs1Identifiers:
    """A GS1 element string: bracketed ``(01)...(21)...`` or raw as scanned, with FNC1/GS (``\\x1d``) after
    each variable-length field, after an optional AIM symbology identifier (``]C1``, ``]e0``, ``]d2``, ``]Q3``,
    ``]J1``; ``]E0``/``]E3``/``]E4``/``]I1`` give a GTIN, ``]Q1``/``]d1`` a Digital Link).

    The text ``<GS>`` is refused, in either form: it is how FNC1 is printed, but GS1 data may hold those four
    characters, so taking it for a separator could misread a value, and taking it for data misreads a scan."""
    text = value.strip()
    if GS_RENDERING in text.upper():
        raise InputError("element string", GS_RENDERING_RULE, value)
    prefix, text = _symbology(text)
    if prefix in _EAN_SYMBOLOGIES:
        return _parse_ean(prefix, text)
    if prefix in _PLAIN_SYMBOLOGIES:
        if "://" not in text:
            raise InputError(
                "element string",
                f"{prefix} ({_PLAIN_SYMBOLOGIES[prefix]}) carries plain data, here not a GS1 Digital Link URI: "
                "GS1 element strings come as ]d2 (GS1 DataMatrix) or ]Q3 (GS1 QR Code)",
            )
        return parse_digital_link(text, today)
    if text.startswith("(") and not prefix:
        pairs = re.findall(r"\((\d{2,4})\)([^(]*)", text)
        if "".join(f"({a}){v}" for a, v in pairs) != text:
            raise InputError("element string", "malformed: expected (AI)value pairs", value)
        for ai, _data in pairs:
            if ai not in _TABLE:
                raise InputError("element string", f"unknown application identifier ({ai})", value)
        return _build(pairs, today, value)
    text = text.lstrip(GS)
    if not text:
        raise InputError("element string", "empty")
    pos = 0
    pairs = []
    while pos < len(text):
        ai = _match_ai(text, pos)
        pos += len(ai)
        fixed = _fixed_length(ai)
        if fixed is not None:
            data = text[pos : pos + fixed]
            if len(data) != fixed:
                raise InputError(_field(ai), f"AI {ai} has exactly {fixed} characters, not {len(data)}", data)
            pos += fixed
            if pos < len(text) and text[pos] == GS:
                pos += 1
        else:
            end = text.find(GS, pos)
            end = len(text) if end < 0 else end
            data = text[pos:end]
            pos = end + 1
        pairs.append((ai, data))
    return _build(pairs, today, value, before_fnc1=True)


@dataclass(frozen=True)
class Reading:
    """Another reading of a raw element string, with an FNC1 separator inserted where one seems missing."""

    ai: str  # the variable-length field that ran on
    key: str  # its name (lot, serial, ...)
    value: str  # its value as read without the separator
    at: int  # where in that value the separator goes
    ids: Gs1Identifiers

    @property
    def field(self) -> str:
        return f"{self.key} (AI {self.ai})"

    @property
    def next_ai(self) -> str:
        tail = self.value[self.at :]
        return next(a for n in (2, 3, 4) if (a := tail[:n]) in _TABLE)

    def rule(self) -> str:
        """Why this reading: the field that ran on, and what the scan reads with the separator."""
        nxt = self.next_ai
        return (
            f"{self.value!r} runs into AI {nxt} ({_field(nxt)}) with no FNC1 separator: with one, the scan reads "
            f"{self.ids.element_string()}. GS1 puts FNC1 (ASCII 29) after every variable-length field but the "
            "last: set the scanner to transmit it, or give the bracketed form"
        )


MAX_READINGS = 8


def missing_separator_readings(value: str, today: date | None = None) -> list[Reading]:
    """The readings of a raw element string (as scanned) with one FNC1 separator inserted inside a variable-length
    value, where another application identifier starts and the whole then parses with no AI twice. A scanner
    set up without FNC1 transmission, or a code printed without it, runs a variable-length field (a lot) into
    the next (its serial): GS1 requires FNC1 after every variable-length field but the last. At most
    :data:`MAX_READINGS`; none for a bracketed string or a Digital Link."""
    text = value.strip()
    if not text or text.startswith("(") or "://" in text:
        return []
    prefix = next((p for p in SYMBOLOGY_PREFIXES if text.startswith(p)), "")
    body = text[len(prefix) :]
    readings: list[Reading] = []
    pos, start = 0, len(body) - len(body.lstrip(GS))
    pos = start
    try:
        while pos < len(body) and len(readings) < MAX_READINGS:
            ai = _match_ai(body, pos)
            pos += len(ai)
            fixed, key = _fixed_length(ai), _field(ai)
            if fixed is not None:
                pos += fixed + (1 if body[pos + fixed : pos + fixed + 1] == GS else 0)
                continue
            end = body.find(GS, pos)
            end = len(body) if end < 0 else end
            data = body[pos:end]
            for at in range(1, len(data)):
                if not any(data[at : at + n] in _TABLE for n in (2, 3, 4)):
                    continue
                candidate = prefix + body[: pos + at] + GS + body[pos + at :]
                try:
                    ids = parse_element_string(candidate, today)
                except InputError:
                    continue
                if _repeats_an_ai(candidate[len(prefix) :]):
                    continue
                readings.append(Reading(ai, key, data, at, ids))
                if len(readings) >= MAX_READINGS:
                    break
            pos = end + 1
    except InputError:
        return readings
    return readings


def _repeats_an_ai(raw: str) -> bool:
    """Whether a raw element string (that parses) names an application identifier twice."""
    seen: list[str] = []
    pos = len(raw) - len(raw.lstrip(GS))
    while pos < len(raw):
        ai = _match_ai(raw, pos)
        seen.append(ai)
        pos += len(ai)
        fixed = _fixed_length(ai)
        if fixed is not None:
            pos += fixed + (1 if raw[pos + fixed : pos + fixed + 1] == GS else 0)
        else:
            end = raw.find(GS, pos)
            pos = len(raw) if end < 0 else end + 1
    return len(seen) != len(set(seen))


# GS1 Digital Link 1.4 primary keys and the key qualifiers each may take in the path, in order (alternatives).
_DL_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "01": (("22", "10", "21"), ("235",)),
    "00": (),
    "253": (),
    "255": (),
    "401": (),
    "402": (),
    "414": (("254",), ("7040",)),
    "417": (("7040",),),
    "8003": (),
    "8004": (),
    "8006": (("22", "10", "21"),),
    "8010": (("8011",),),
    "8013": (),
    "8017": (("8019",),),
    "8018": (("8019",),),
}


def _in_order(given: list[str], allowed: tuple[str, ...]) -> bool:
    rest = iter(allowed)
    return all(any(a == b for b in rest) for a in given)


def _qualifier_rule(key: str) -> str:
    alternatives = _DL_KEYS[key]
    if not alternatives:
        return f"/{key}/ ({_title(key)}) takes no key qualifier in the path"

    def listed(alt: tuple[str, ...]) -> str:
        names = [f"/{a}/" for a in alt]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    text = f"after /{key}/ the path may hold {listed(alternatives[0])}"
    text += " in that order" if len(alternatives[0]) > 1 else ""
    return text + "".join(f", or {listed(alt)} alone" for alt in alternatives[1:])


def parse_digital_link(value: str, today: date | None = None) -> Gs1Identifiers:
    """A GS1 Digital Link URI (GS1 Digital Link standard 1.4) on any domain, with any path prefix before the
    primary key, which is the rightmost key element of the path; its key qualifiers follow it in the path, in
    order; the query holds data attributes, each once, never a key qualifier of the primary key."""
    raw = value.strip()
    if raw.lower().startswith(("http://", "https://")) and not raw.startswith(("http://", "https://")):
        raise InputError("digital link", "the scheme is written lowercase: http:// or https://", value)
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError("digital link", "must be an http(s) URI", value)
    if "%00" in raw:
        raise InputError("digital link", "holds %00 (NUL), which no GS1 value may contain", value)
    if parts.path.endswith("/"):
        raise InputError("digital link", "ends with '/': a Digital Link path ends with a value", value)
    raw_segments = parts.path.split("/")[1:]
    if "" in raw_segments:
        raise InputError("digital link", "has an empty path segment ('//')", value)
    segments = [unquote(s) for s in raw_segments]
    start = next(
        (i for i in range(len(segments) - 2, -1, -1) if segments[i] in _DL_KEYS and (len(segments) - i) % 2 == 0),
        None,
    )
    if start is None:
        raise InputError("digital link", "no primary key (/01/ GTIN, /00/ SSCC or /414/ GLN) in the path", value)
    key = segments[start]
    rest = segments[start:]
    pairs = [(rest[i], rest[i + 1]) for i in range(0, len(rest), 2)]
    if key == "01" and len(pairs[0][1]) in (8, 12, 13) and pairs[0][1].isdigit():
        pairs[0] = ("01", pairs[0][1].zfill(14))  # a GTIN-8, -12 or -13 in the URI stands for its GTIN-14
    qualifiers = [ai for ai, _ in pairs[1:]]
    for ai in qualifiers:
        if ai not in _TABLE:
            raise InputError("digital link", f"unknown application identifier /{ai}/ in the path", value)
    if not any(_in_order(qualifiers, alt) for alt in _DL_KEYS[key]) and qualifiers:
        raise InputError("digital link", _qualifier_rule(key), value)
    in_path = {ai for ai, _ in pairs}
    if parts.query or raw.endswith("?"):
        for attribute in parts.query.split("&"):
            name, eq, data = attribute.partition("=")
            name, data = unquote(name), unquote(data)
            if not name:
                raise InputError("digital link", "empty query attribute (a stray '&' or '=')", value)
            if not eq or not data:
                raise InputError("digital link", f"query attribute {name!r} has no value", value)
            if not name.isdigit():
                continue  # not a GS1 AI: linkType, context, the site's own parameters
            if name not in _TABLE:
                raise InputError("digital link", f"unknown application identifier {name}= in the query", value)
            if any(name in alt for alt in _DL_KEYS[key]):
                raise InputError(
                    "digital link",
                    f"AI {name} ({_title(name)}) is a key qualifier of /{key}/: it goes in the path, not the query",
                    value,
                )
            if name in _DL_KEYS:
                raise InputError(
                    "digital link",
                    f"AI {name} ({_title(name)}) is a primary key: a Digital Link has one, the last key of its path "
                    f"(here /{key}/), never one in the query",
                    value,
                )
            if name in in_path:
                raise InputError("digital link", f"AI {name} ({_title(name)}) is given twice", value)
            in_path.add(name)
            pairs.append((name, data))
    return _build(pairs, today, value)


def parse_any(value: str, today: date | None = None) -> Gs1Identifiers:
    """A Digital Link URI or an element string (bracketed or raw), with or without an AIM symbology
    identifier."""
    text = value.strip()
    if not text:
        raise InputError("identifier", "empty input")
    if "://" in text and not text.startswith("]"):
        return parse_digital_link(text, today)
    return parse_element_string(text, today)
