"""EPC URNs (TDS 2.x pure identities, the LGTIN class and SGTIN patterns) to canonical GS1 Digital Link URIs and
back, so that an item named either way is one item; and the CBV 2.0 vocabularies checked on EPCIS import.

epcpy parses and validates the URNs of every Tag Data Standard scheme and gives their GS1 element strings (and
builds URNs from element strings). Ours on top: the element string as a canonical Digital Link path on
id.gs1.org (TDS section 7 / Digital Link 1.4 section 4), the SGLN extension ``0`` meaning "no AI 254", SGTIN
patterns (``.*``) as the class link, Digital Links on any domain moved to id.gs1.org, and one-line errors naming
the field and the rule. Schemes with no GS1 key (GID, ADI, BIC, IMOVN, USDOD) are validated and kept as URNs;
other URIs pass through unchanged."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from epcpy.epc_schemes.base_scheme import GS1Element
from epcpy.epc_schemes.cpi import CPI
from epcpy.epc_schemes.gdti import GDTI
from epcpy.epc_schemes.giai import GIAI
from epcpy.epc_schemes.ginc import GINC
from epcpy.epc_schemes.grai import GRAI
from epcpy.epc_schemes.gsin import GSIN
from epcpy.epc_schemes.gsrn import GSRN
from epcpy.epc_schemes.gsrnp import GSRNP
from epcpy.epc_schemes.itip import ITIP
from epcpy.epc_schemes.lgtin import LGTIN
from epcpy.epc_schemes.pgln import PGLN
from epcpy.epc_schemes.sgcn import SGCN
from epcpy.epc_schemes.sgln import SGLN
from epcpy.epc_schemes.sgtin import SGTIN
from epcpy.epc_schemes.sscc import SSCC
from epcpy.epc_schemes.upui import UPUI
from epcpy.utils.common import ConvertException
from epcpy.utils.parsers import EPC_SCHEME_IDENTIFIERS

from tradechain.errors import InputError
from tradechain.formats import gs1

DL = "https://id.gs1.org"
_URN = re.compile(r"urn:epc:(id|class|idpat):([a-z0-9]+):(.+)")


@dataclass(frozen=True)
class Scheme:
    cls: type[GS1Element]
    key: str  # the AI of the GS1 key, first in the Digital Link path
    qualifier: str | None  # the AI of the second element, if the EPC has one
    shape: str  # the URN body per TDS, for errors


SCHEMES: dict[str, Scheme] = {
    "sgtin": Scheme(SGTIN, "01", "21", "CompanyPrefix.IndicatorItemRef.Serial (13 digits, serial 1-20 chars)"),
    "sscc": Scheme(SSCC, "00", None, "CompanyPrefix.ExtensionSerialRef (17 digits)"),
    "sgln": Scheme(SGLN, "414", "254", "CompanyPrefix.LocationRef.Extension (12 digits, extension 1-20 chars)"),
    "grai": Scheme(GRAI, "8003", None, "CompanyPrefix.AssetType.Serial (12 digits, serial 1-16 chars)"),
    "giai": Scheme(GIAI, "8004", None, "CompanyPrefix.IndividualAssetRef (at most 30 chars)"),
    "gsrn": Scheme(GSRN, "8018", None, "CompanyPrefix.ServiceRef (17 digits)"),
    "gsrnp": Scheme(GSRNP, "8017", None, "CompanyPrefix.ServiceRef (17 digits)"),
    "gdti": Scheme(GDTI, "253", None, "CompanyPrefix.DocumentType.Serial (12 digits, serial 1-17 chars)"),
    "cpi": Scheme(CPI, "8010", "8011", "CompanyPrefix.ComponentPartRef.Serial (at most 30 chars, serial 1-12 digits)"),
    "sgcn": Scheme(SGCN, "255", None, "CompanyPrefix.CouponRef.SerialComponent (12 digits, serial 1-12 digits)"),
    "ginc": Scheme(GINC, "401", None, "CompanyPrefix.ConsignmentRef (at most 30 chars)"),
    "gsin": Scheme(GSIN, "402", None, "CompanyPrefix.ShipperRef (16 digits)"),
    "itip": Scheme(ITIP, "8006", "21", "CompanyPrefix.IndicatorItemRef.Piece.Total.Serial (13+2+2 digits)"),
    "upui": Scheme(UPUI, "01", "235", "CompanyPrefix.IndicatorItemRef.TPX (13 digits, TPX 1-28 chars)"),
    "pgln": Scheme(PGLN, "417", None, "CompanyPrefix.PartyRef (12 digits)"),
    "lgtin": Scheme(LGTIN, "01", "10", "CompanyPrefix.IndicatorItemRef.Lot (13 digits, lot 1-20 chars)"),
}
_KEYS = "|".join(sorted({s.key for s in SCHEMES.values()} | {"8004", "8018"}, key=len, reverse=True))
_DL_KEY = re.compile(rf"/({_KEYS})/")


_EPCPY_ERRORS = (ConvertException, ValueError, IndexError, KeyError, AttributeError)

# An already canonical item or class Digital Link (the common case in bulk imports): only the GTIN's check
# digit needs checking; the unreserved characters used here need no percent-decoding.
_CANONICAL = re.compile(r"https://id\.gs1\.org/01/(\d{14})(?:/10/[0-9A-Za-z\-._]{1,20})?(?:/21/[0-9A-Za-z\-._]{1,20})?")
# SGTIN-like patterns (urn:epc:idpat:SCHEME:...*): the key's characters in the element string, None for all.
_PATTERNS: dict[str, int | None] = {"sgtin": None, "sgln": None, "grai": 14, "gdti": 13, "sgcn": 13, "cpi": None}


def to_digital_link(value: str, field: str = "epc") -> str:
    """The canonical Digital Link of an EPC URN or Digital Link; other URIs unchanged."""
    text = value.strip()
    fast = _CANONICAL.fullmatch(text)
    if fast and gs1.check_digit(fast.group(1)[:13]) == int(fast.group(1)[13]):
        return text
    if text.startswith(("http://", "https://")) and _DL_KEY.search(text.split("?")[0]):
        return _canonical_dl(text, field)
    m = _URN.fullmatch(text)
    if not m:
        if text.startswith("urn:epc:"):
            raise InputError(field, "not a valid EPC URN (urn:epc:id|class|idpat:scheme:...)", value)
        return text
    kind, name, body = m.groups()
    scheme = SCHEMES.get(name)
    if kind == "idpat":
        return _pattern(text, name, body, field)
    if scheme is None:
        other = EPC_SCHEME_IDENTIFIERS.get(name)
        if other is None or kind != "id":
            raise InputError(field, f"{name!r} is not an EPC scheme of the Tag Data Standard", value)
        try:
            other(text)
        except _EPCPY_ERRORS:
            raise InputError(field, f"not a valid {name.upper()} URN", value) from None
        return text  # a scheme with no GS1 key has no Digital Link
    if (kind == "class") != (name == "lgtin"):
        right = "urn:epc:class:lgtin:" if name == "lgtin" else f"urn:epc:id:{name}:"
        raise InputError(field, f"an EPC {name.upper()} URN starts with {right}", value)
    parts = scheme.shape.split(" ")[0].count(".") + 1
    if body.count(".") + 1 < parts:
        raise InputError(field, f"expected {parts} dot-separated parts: urn:epc:{kind}:{name}:{scheme.shape}", value)
    try:
        element = _element_string(scheme, text)
    except _EPCPY_ERRORS:
        raise InputError(
            field, f"not a valid {name.upper()} URN: urn:epc:{kind}:{name}:{scheme.shape}", value
        ) from None
    return _link(element, scheme)


def _element_string(scheme: Scheme, urn: str) -> str:
    """epcpy's element string of a URN. epcpy 0.1.8 refuses the escape ``%2F`` (``/``), which TDS 2.x allows
    in serials (section 6.3.2): it stands in as a GS3A3 character the URN does not hold, put back after."""
    try:
        return str(scheme.cls(urn).gs1_element_string())
    except _EPCPY_ERRORS:
        if not re.search(r"%2[Ff]", urn):
            raise
    stand_in = next(c for c in "_!'()*+,-:;=" + "abcdefghijklmnopqrstuvwxyz" if c not in urn)
    return str(scheme.cls(re.sub(r"%2[Ff]", stand_in, urn)).gs1_element_string()).replace(stand_in, "/")


def _from_element_string(scheme: Scheme, element: str, company_prefix_length: int) -> str:
    """epcpy's URN of an element string, with the same stand-in for a ``/`` as in _element_string."""
    try:
        return str(scheme.cls.from_gs1_element_string(element, company_prefix_length).epc_uri)
    except _EPCPY_ERRORS:
        if "/" not in element:
            raise
    stand_in = next(c for c in "_!'()*+,-:;=" + "abcdefghijklmnopqrstuvwxyz" if c not in element)
    made = scheme.cls.from_gs1_element_string(element.replace("/", stand_in), company_prefix_length)
    return str(made.epc_uri).replace(stand_in, "%2F")


def _link(element: str, scheme: Scheme) -> str:
    """An epcpy element string ``(AI)value(AI)value`` as a canonical Digital Link. Only the key's value comes
    before a second AI, and a key holds no parenthesis, so the first ``(qualifier)`` splits them."""
    rest = element[len(f"({scheme.key})") :]
    parts = [(scheme.key, rest)]
    if scheme.qualifier:
        key, _, qualifier = rest.partition(f"({scheme.qualifier})")
        parts = [(scheme.key, key)]
        if not (scheme.qualifier == "254" and qualifier == "0"):  # SGLN extension 0: the GLN itself (TDS 6.3.3)
            parts.append((scheme.qualifier, qualifier))
    return DL + "".join(f"/{ai}/{quote(v, safe='')}" for ai, v in parts)


def _pattern(text: str, name: str, body: str, field: str) -> str:
    """An EPC pattern naming a whole class (the last component ``*``) as the class's Digital Link."""
    if name not in _PATTERNS:
        raise InputError(field, f"EPC patterns are read for {', '.join(_PATTERNS).upper()} only", text)
    components = body.split(".")
    if components[-1] != "*" or "*" in components[:-1]:
        raise InputError(field, f"an {name.upper()} pattern names a class: only its last component is *", text)
    scheme = SCHEMES[name]
    try:
        element = scheme.cls(f"urn:epc:id:{name}:{body[:-1]}0").gs1_element_string()
    except _EPCPY_ERRORS:
        raise InputError(
            field, f"not a valid {name.upper()} pattern: urn:epc:idpat:{name}:{scheme.shape}", text
        ) from None
    link = _link(element, scheme).split(f"/{scheme.qualifier}/")[0] if scheme.qualifier else _link(element, scheme)
    size = _PATTERNS[name]
    return link[: len(f"{DL}/{scheme.key}/") + size] if size else link


_TO_URN: dict[tuple[str, ...], str] = {
    ("00",): "sscc",
    ("414",): "sgln",
    ("414", "254"): "sgln",
    ("8003",): "grai",
    ("8004",): "giai",
    ("8018",): "gsrn",
    ("8017",): "gsrnp",
    ("253",): "gdti",
    ("8010", "8011"): "cpi",
    ("255",): "sgcn",
    ("401",): "ginc",
    ("402",): "gsin",
    ("8006", "21"): "itip",
    ("417",): "pgln",
    ("01", "21"): "sgtin",
    ("01", "10", "21"): "sgtin",
    ("01", "235"): "upui",
    ("01", "10"): "lgtin",
}


def to_urn(value: str, company_prefix_length: int, field: str = "epc") -> str:
    """The EPC URN of a GS1 Digital Link (or of an EPC URN, normalised), given the length of the GS1 Company
    Prefix, which a Digital Link does not carry. A GTIN alone is the SGTIN pattern ``...*``."""
    if not 6 <= company_prefix_length <= 12:
        raise InputError("company_prefix_length", "a GS1 Company Prefix has 6 to 12 digits", company_prefix_length)
    link = to_digital_link(value, field)
    if link.startswith("urn:epc:id:"):
        return link  # a scheme with no GS1 key, already its URN
    if not link.startswith(f"{DL}/"):
        raise InputError(field, "not a GS1 Digital Link or EPC URN", value)
    segments = link[len(DL) + 1 :].split("/")
    pairs = [(segments[i], unquote(segments[i + 1])) for i in range(0, len(segments) - 1, 2)]
    ais = tuple(ai for ai, _ in pairs)
    given = _DL_KEY.search(value.split("?")[0])
    if given:  # a Digital Link: every key and qualifier it gives must be in the EPC
        path = value.split("?")[0][given.start() + 1 :].strip("/").split("/")
        if tuple(path[0::2]) != ais:
            raise InputError(field, f"no EPC scheme has the Digital Link keys {'/'.join(path[0::2])}", value)
    pattern = ais == ("01",)
    if pattern:
        pairs, ais = [*pairs, ("21", "0")], ("01", "21")
    name = _TO_URN.get(ais)
    if name is None:
        raise InputError(field, f"no EPC scheme has the Digital Link keys {'/'.join(ais)}", value)
    if name == "sgtin":
        pairs = [(ai, v) for ai, v in pairs if ai != "10"]  # the SGTIN names the instance; the lot is not in it
    if ais == ("414",):
        pairs.append(("254", "0"))
    element = "".join(f"({ai}){v}" for ai, v in pairs)
    try:
        urn = _from_element_string(SCHEMES[name], element, company_prefix_length)
    except _EPCPY_ERRORS:
        raise InputError(
            field, f"not a valid {name.upper()} with a {company_prefix_length}-digit company prefix", value
        ) from None
    if pattern:
        return "urn:epc:idpat:sgtin:" + urn.removeprefix("urn:epc:id:sgtin:").rsplit(".", 1)[0] + ".*"
    return urn


def _canonical_dl(text: str, field: str) -> str:
    """A Digital Link on any domain, rewritten on id.gs1.org with the path only (validated)."""
    path = re.search(rf"/({_KEYS})/.*$", text.split("?")[0])
    assert path is not None
    segments = [unquote(s) for s in path.group(0).split("/") if s]
    if segments[0] in ("01", "00", "414") and "235" not in segments[2::2]:
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
