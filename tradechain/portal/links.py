"""The resolver's side of GS1 Digital Link: a request URI read into its primary key, key qualifiers and query
(compressed URIs decompressed), the links the portal holds for each level of it, the choice of one link for a
request (GS1-Conformant Resolver Standard 1.0: default link, ``linkType``, ``Accept``, ``Accept-Language``,
``context``), and the RFC 9264 linkset that lists them.

Every identifier has the portal's verification page as its default link; a lot or a pack has its recall status,
journey and inspections as well; a GTIN its product page; a GLN its location page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from tradechain.errors import InputError
from tradechain.formats import gs1
from tradechain.formats.gs1 import Gs1Identifiers

GS1_VOC = "https://ref.gs1.org/voc/"
LINKSET_TYPE = "application/linkset+json"
JSON_LD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"

# The primary keys this resolver answers for (GS1 Digital Link 1.4), with the key qualifiers each may take.
PRIMARY_KEYS = tuple(gs1._DL_KEYS)

# Link types the portal offers, GS1 Web Vocabulary names (gs1:...): the ones the resolver description declares.
LINK_TYPES = (
    "defaultLink",
    "verificationService",
    "recallStatus",
    "traceability",
    "certificationInfo",
    "pip",
    "locationInfo",
)
# Values of the ``context`` query keyword that some link carries (the resolver description lists them).
CONTEXTS = ("api",)
_COMPACT = re.compile(r"gs1:([A-Za-z][A-Za-z0-9]{0,63})")
_FULL = re.compile(re.escape(GS1_VOC) + r"([A-Za-z][A-Za-z0-9]{0,63})")


@dataclass(frozen=True)
class Link:
    """One link of the portal: its GS1 link type (``pip``), target, title, media type and languages."""

    rel: str
    href: str
    title: str
    type: str = "text/html"
    hreflang: tuple[str, ...] = ("en",)
    context: tuple[str, ...] = ()

    @property
    def rel_iri(self) -> str:
        return GS1_VOC + self.rel

    def to_json(self) -> dict[str, Any]:
        """The link object of the linkset. The default link has no optional attribute (GS1-Conformant Resolver
        1.0: a target and a title only); the link of a descriptive type to the same target has them."""
        if self.rel == "defaultLink":
            return {"href": self.href, "title": self.title}
        out: dict[str, Any] = {"href": self.href, "title": self.title, "type": self.type}
        out["hreflang"] = list(self.hreflang)
        if self.context:
            out["context"] = list(self.context)
        return out


@dataclass(frozen=True)
class Level:
    """One level of a request URI, from its primary key down (``/01/G``, ``/01/G/10/L``, ``/01/G/10/L/21/S``):
    its anchor (the uncompressed URI) and its links."""

    path: str
    description: str
    links: tuple[Link, ...]


@dataclass(frozen=True)
class DigitalLink:
    """A request URI as the resolver reads it. ``path`` is the uncompressed path from the primary key; ``query``
    every key=value pair of the request as given (GS1 data attributes and others), passed on when redirecting."""

    key: str
    value: str
    qualifiers: tuple[tuple[str, str], ...]
    query: tuple[tuple[str, str], ...]
    ids: Gs1Identifiers
    compressed: bool = False

    @property
    def path(self) -> str:
        return _path(self.key, self.value, self.qualifiers)

    def levels(self) -> list[str]:
        """The path of each level, from the primary key alone to the full request."""
        return [_path(self.key, self.value, self.qualifiers[:n]) for n in range(len(self.qualifiers) + 1)]

    def query_string(self, *, without: tuple[str, ...] = ()) -> str:
        pairs = [f"{quote(k, safe=':')}={quote(v, safe=':')}" for k, v in self.query if k not in without]
        return "&".join(pairs)

    @property
    def link_type(self) -> str | None:
        return next((v for k, v in self.query if k == "linkType"), None)

    @property
    def context(self) -> str | None:
        return next((v for k, v in self.query if k == "context"), None)


def _path(key: str, value: str, qualifiers: tuple[tuple[str, str], ...]) -> str:
    parts = [key, quote(value, safe="")]
    for ai, data in qualifiers:
        parts += [ai, quote(data, safe="")]
    return "/" + "/".join(parts)


def read(path: str, query: str, base: str) -> DigitalLink:
    """The Digital Link of a request to the resolver at ``base`` (a trailing slash tolerated; a compressed URI
    decompressed). Raises :class:`InputError` naming the rule a malformed or check-digit-invalid URI breaks."""
    if path.endswith("/") and len(path) > 1:
        path = path[:-1]
    segments = path.split("/")[1:]
    compressed = False
    if len(segments) == 1 and segments[0] and segments[0] not in PRIMARY_KEYS:
        from tradechain.formats import dl_compression

        if not dl_compression.is_compressed(segments[0]):
            raise InputError("digital link", "is neither a GS1 Digital Link path nor a compressed one", path)
        expanded = urlsplit(dl_compression.decompress(base + path + (f"?{query}" if query else "")))
        path, query, compressed = expanded.path, expanded.query, True
    uri = base + path + (f"?{query}" if query else "")
    ids = gs1.parse_digital_link(uri)
    raw = [unquote(s) for s in path.split("/")[1:]]
    start = next(i for i in range(len(raw) - 2, -1, -1) if raw[i] in gs1._DL_KEYS and (len(raw) - i) % 2 == 0)
    if start != 0:
        raise InputError("digital link", f"this resolver serves Digital Links at its root: /{raw[start]}/...", path)
    rest = raw[start:]
    pairs = [(rest[i], rest[i + 1]) for i in range(0, len(rest), 2)]
    key, value = pairs[0]
    if key == "01":
        value = value.zfill(14)
    return DigitalLink(key, value, tuple(pairs[1:]), tuple(parse_qsl(query, keep_blank_values=True)), ids, compressed)


# --------------------------------------------------------------------------------------------- the catalogue


def levels(dl: DigitalLink, base: str) -> list[Level]:
    """The portal's links for each level of ``dl``, from the primary key down."""
    out = []
    for path in dl.levels():
        depth = path.count("/") // 2
        ais = [a for a, _ in ([(dl.key, dl.value), *dl.qualifiers])[:depth]]
        out.append(Level(path, _description(dl, ais), tuple(_links(dl.key, ais, path, base))))
    return out


def _description(dl: DigitalLink, ais: list[str]) -> str:
    values = dict([(dl.key, dl.value), *dl.qualifiers])
    if dl.key == "01":
        if "21" in ais:
            return f"Pack {values['21']} of lot {values.get('10', '-')}, GTIN {dl.value}"
        if "10" in ais:
            return f"Lot {values['10']} of GTIN {dl.value}"
        return f"Trade item GTIN {dl.value}"
    if dl.key == "00":
        return f"Logistic unit SSCC {dl.value}"
    if dl.key == "414":
        return f"Location GLN {dl.value}" + (f", extension {values['254']}" if "254" in ais else "")
    return f"{gs1.ai_title(dl.key)} {dl.value}"


def _links(key: str, ais: list[str], path: str, base: str) -> list[Link]:
    verify = f"{base}/verify{path}"
    if key == "01" and "10" in ais:
        what = "pack" if "21" in ais else "lot"
        return [
            Link("defaultLink", verify, f"Verify this {what}"),
            Link("verificationService", verify, f"Is this {what} genuine, recalled or expired?"),
            Link("recallStatus", f"{base}/api/verify{path}", "Verdict and recall status (JSON)", "application/json"),
            Link("traceability", verify, f"Journey of this {what}"),
            Link(
                "traceability",
                f"{base}/api/journey{path}",
                f"Journey of this {what} (JSON)",
                "application/json",
                context=("api",),
            ),
            Link("certificationInfo", verify, "Inspections on its way"),
        ]
    if key == "01":
        page = f"{base}/product{path}"
        return [Link("defaultLink", page, "Product information"), Link("pip", page, "Product information")]
    if key == "00":
        return [
            Link("defaultLink", verify, "Where is this shipment?"),
            Link("verificationService", verify, "Custody and contents of this logistic unit"),
            Link(
                "traceability",
                f"{base}/api/journey{path}",
                "Journey of this unit (JSON)",
                "application/json",
                context=("api",),
            ),
        ]
    if key == "414":
        return [
            Link("defaultLink", verify, "Who is at this location?"),
            Link("locationInfo", verify, "The organisation at this location"),
        ]
    return [
        Link("defaultLink", verify, "Look this identifier up"),
        Link("verificationService", verify, "What tradechain knows of this identifier"),
    ]


def linkset(dl: DigitalLink, base: str) -> dict[str, Any]:
    """The RFC 9264 linkset (application/linkset+json) of ``dl``: one context object per level, anchored at the
    uncompressed URI of that level, every link with its target, type, title and languages."""
    out = []
    for level in levels(dl, base):
        entry: dict[str, Any] = {"anchor": base + level.path, "itemDescription": level.description}
        for link in level.links:
            entry.setdefault(link.rel_iri, []).append(link.to_json())
        out.append(entry)
    return {"linkset": out}


# --------------------------------------------------------------------------------------------- the choice


@dataclass
class Choice:
    """The answer to a request: one link (307), several (300), none (404), or the linkset (200)."""

    links: list[Link] = field(default_factory=list)
    linkset: bool = False
    link_type: str | None = None


def link_type_name(value: str) -> str:
    """``gs1:pip`` or ``https://ref.gs1.org/voc/pip`` as ``pip``; ``linkset`` and ``all`` as themselves."""
    if value in ("linkset", "all"):
        return value
    found = _COMPACT.fullmatch(value) or _FULL.fullmatch(value)
    if not found:
        raise InputError(
            "linkType", "is gs1:<type> or https://ref.gs1.org/voc/<type> (GS1 Web Vocabulary), or linkset", value
        )
    return found.group(1)


def choose(
    dl: DigitalLink, base: str, *, accept: str = "", accept_language: str = "", wants_linkset: bool = False
) -> Choice:
    """The link(s) for a request: the linkset when ``linkType`` is linkset or all (or, with no linkType, when the
    client accepts application/linkset+json: ``wants_linkset``); else the default link unless a ``linkType`` is
    asked for; for a link type, its links at the most specific level that has any (walking up the tree),
    narrowed by ``context``, ``Accept`` and ``Accept-Language``."""
    asked = dl.link_type
    name = link_type_name(asked) if asked is not None else None
    if (wants_linkset and name is None) or name in ("linkset", "all"):
        return Choice(linkset=True, link_type=name)
    found: list[Link] = []
    for level in reversed(levels(dl, base)):
        found = [link for link in level.links if link.rel == (name or "defaultLink")]
        if found:
            break
    if len(found) > 1:
        found = narrow(found, dl, accept, accept_language)
    return Choice(found, link_type=name)


def _preferences(header: str) -> list[str]:
    """The values of an Accept or Accept-Language header, most preferred first (q=0 dropped, ``*`` kept)."""
    ranked = []
    for position, item in enumerate(header.split(",")):
        value, *params = [p.strip() for p in item.split(";")]
        if not value:
            continue
        q = 1.0
        for param in params:
            name, _, number = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(number)
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, position, value.lower()))
    return [value for _, _, value in sorted(ranked)]


def _media_match(wanted: str, media: str) -> bool:
    if wanted == "*/*":
        return False  # no preference: tells no link from another
    if wanted.endswith("/*"):
        return media.startswith(wanted[:-1])
    return media == wanted


def narrow(links: list[Link], dl: DigitalLink, accept: str, accept_language: str) -> list[Link]:
    """Several links of one type narrowed by the request (GS1-Conformant Resolver 1.0: ``context`` in the
    query, then ``Accept``, then ``Accept-Language``, each by preference): each step keeps the links of the
    most preferred value that any link matches, and changes nothing when none does."""
    if dl.context is not None:
        by_context = [link for link in links if dl.context in link.context]
        links = by_context or links
    for wanted in _preferences(accept):
        by_type = [link for link in links if _media_match(wanted, link.type.lower())]
        if by_type:
            links = by_type
            break
    for wanted in _preferences(accept_language):
        if wanted == "*":
            break
        by_lang = [link for link in links if any(_lang_match(wanted, lang.lower()) for lang in link.hreflang)]
        if by_lang:
            links = by_lang
            break
    return links


def _lang_match(wanted: str, lang: str) -> bool:
    return wanted == lang or wanted.split("-")[0] == lang.split("-")[0]
