"""Compressed GS1 Digital Link URIs (GS1 Digital Link URI syntax, section "compression"), both ways.

A compressed Digital Link carries its GS1 data in one path segment after the path prefix: the URI-safe base64
(RFC 4648 §5 alphabet, no padding) of a bit string. The bit string is a sequence of elements, each either
- an AI as its digits in 4-bit nibbles (the first two digits tell how many follow, the AI prefix length),
- an optimisation code, one byte ``0A``-``CD`` (with a hex nibble A-F that no AI has), standing for a fixed
  sequence of AIs whose values follow in that order, or
- a non-GS1 ``key=value`` pair: nibble ``F``, a 7-bit key length, the key at 6 bits a character (the base64url
  alphabet), then the value as a variable-length alphanumeric component of at most 127 characters;
then zero bits up to a multiple of 6.

Each AI value is encoded by its format (components read from the AI table of :mod:`tradechain.formats.gs1`):
a fixed-length numeric component of n digits as an integer of ceil(n·log2 10) bits; a variable-length numeric one
(at most m digits) as its length in bit_length(m) bits then the integer; an alphanumeric one as a 3-bit encoding
indicator (0 digits, 1 lowercase hex, 2 uppercase hex, 3 base64url, 4 7-bit ASCII), its length in bit_length(m)
bits when variable, then the characters (4, 6 or 7 bits each). Consecutive fixed numeric components are one
(8006: N14+N2+N2 is N18), as are consecutive alphanumeric ones (7230: X2+X..28 is X..30); an optional component
is variable-length. Those are the rules of GS1's compression prototype, whose published examples the tests check.

Decoding validates the result as a Digital Link (:func:`tradechain.formats.gs1.parse_digital_link`: check
digits, character sets, key qualifiers, AI pairing rules), so a decoded link is a valid one.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from tradechain.errors import InputError
from tradechain.formats import gs1

FIELD = "digital link"
BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_BASE64URL_RE = re.compile(r"[A-Za-z0-9_-]+")

# GS1's optimisation table: a code (one byte, a hex nibble A-F in it) for a sequence of AIs, values in that order.
OPTIMISATIONS: dict[str, tuple[str, ...]] = {
    "0A": ("01", "22"),
    "0B": ("01", "10"),
    "0C": ("01", "21"),
    "0D": ("01", "17"),
    "0E": ("01", "7003"),
    "0F": ("01", "30"),
    "1A": ("01", "10", "21", "17"),
    "1B": ("01", "15"),
    "1C": ("01", "11"),
    "1D": ("01", "16"),
    "1E": ("01", "91"),
    "1F": ("01", "10", "15"),
    **{f"2{c}": ("01", f"310{i}") for i, c in enumerate("ABCDEF")},
    **{f"3{c}": ("01", f"320{i}") for i, c in enumerate("ABCDEF")},
    "9A": ("8010", "8011"),
    "9B": ("8017", "8019"),
    "9C": ("8018", "8019"),
    "9D": ("414", "254"),
    **{f"A{i}": ("01", f"392{i}") for i in range(10)},
    **{f"C{i}": ("255", f"390{i}") for i in range(10)},
    **{f"C{c}": ("255", f"394{i}") for i, c in enumerate("ABCD")},
}
_NON_GS1 = 0xF  # first nibble of a non-GS1 key=value pair
_ENCODINGS = ("digits", "lowercase hex", "uppercase hex", "base64url", "7-bit ASCII")
_PAIR_MAX = 127  # key and value lengths of a non-GS1 pair are 7 bits


@dataclass(frozen=True)
class Part:
    """One component of an AI's value: numeric or alphanumeric, ``size`` characters exactly or at most."""

    numeric: bool
    size: int
    variable: bool
    optional: bool = False


def value_bits(digits: int) -> int:
    """Bits of a numeric component of ``digits`` digits: ceil(digits·log2 10), as GS1's prototype computes it
    (with its +0.01, so 0 digits take 1 bit)."""
    return math.ceil(digits * math.log(10) / math.log(2) + 0.01)


def _length_bits(maximum: int) -> int:
    return maximum.bit_length()


_COMPONENT = re.compile(r"(\[)?\+?([NXYZ])(\.\.)?(\d+)\]?")


@functools.cache
def parts(ai: str) -> tuple[Part, ...] | None:
    """The components of AI ``ai``'s value as compression encodes them, from the AI table's format (``N4+N14[+X..16]``
    for 8003); None for an AI not in the table or a format with no compressed form here (4330's optional hyphen)."""
    entry = gs1._TABLE.get(ai)
    if entry is None:
        return None
    rest = entry.format.split("+", 1)[1] if "+" in entry.format else ""
    found = list(_COMPONENT.finditer(rest))
    if not found or "".join(m.group(0) for m in found) != rest:
        return None
    merged: list[Part] = []
    for m in found:
        optional, numeric, variable, size = bool(m.group(1)), m.group(2) == "N", bool(m.group(3)), int(m.group(4))
        part = Part(numeric, size, variable or optional, optional)
        last = merged[-1] if merged else None
        if last and numeric and last.numeric and not last.variable and not part.variable:
            merged[-1] = Part(True, last.size + size, False)
        elif last and not numeric and not last.numeric:
            merged[-1] = Part(False, last.size + size, True, part.optional)
        else:
            merged.append(part)
    return tuple(merged)


@functools.cache
def _ai_digits() -> dict[str, int]:
    """The AI prefix length table: the first two digits of an AI -> its number of digits."""
    lengths: dict[str, int] = {}
    for ai in gs1._TABLE:
        lengths.setdefault(ai[:2], len(ai))
    return lengths


def _title(ai: str) -> str:
    return f"AI {ai} ({gs1.ai_title(ai)})"


# --- the bit string ---------------------------------------------------------------------------------------------


class _Reader:
    def __init__(self, bits: str) -> None:
        self.bits, self.pos = bits, 0
        self.where = "the first element"

    @property
    def left(self) -> int:
        return len(self.bits) - self.pos

    def take(self, n: int) -> int:
        if n > self.left:
            raise InputError(
                FIELD, f"the compressed data is truncated: it ends inside {self.where}, {n - self.left} bits short"
            )
        value = int(self.bits[self.pos : self.pos + n] or "0", 2)
        self.pos += n
        return value


def _read_digits(reader: _Reader, count: int, what: str) -> str:
    value = reader.take(value_bits(count))
    if count == 0:
        return ""
    if value >= 10**count:
        raise InputError(FIELD, f"{what} decodes to {value}, more than its {count} digits hold")
    return str(value).zfill(count)


def _read_chars(reader: _Reader, part: Part, what: str) -> str:
    """An alphanumeric component: its encoding indicator, its length when variable, its characters."""
    encoding = reader.take(3)
    if encoding >= len(_ENCODINGS):
        raise InputError(
            FIELD, f"{what} has encoding indicator {encoding}, which is none of 0-4 ({', '.join(_ENCODINGS)})"
        )
    count = _read_length(reader, part, what) if part.variable else part.size
    return _read_encoded(reader, encoding, count, what)


def _read_encoded(reader: _Reader, encoding: int, count: int, what: str) -> str:
    if encoding == 0:
        return _read_digits(reader, count, what)
    if encoding in (1, 2):
        text = "".join(f"{reader.take(4):X}" for _ in range(count))
        return text.lower() if encoding == 1 else text
    if encoding == 3:
        return "".join(BASE64URL[reader.take(6)] for _ in range(count))
    return "".join(chr(reader.take(7)) for _ in range(count))


def _read_length(reader: _Reader, part: Part, what: str) -> int:
    count = reader.take(_length_bits(part.size))
    if count > part.size:
        raise InputError(FIELD, f"{what} gives a length of {count}: it is at most {part.size} characters")
    if count == 0 and not part.optional:
        raise InputError(FIELD, f"{what} gives a length of 0: it must not be empty")
    return count


def _read_value(reader: _Reader, ai: str) -> str:
    layout = parts(ai)
    if layout is None:
        raise InputError(FIELD, f"{_title(ai)} has a format with no compressed form")
    value = ""
    what = _title(ai)
    for part in layout:
        if part.numeric:
            value += _read_digits(reader, _read_length(reader, part, what) if part.variable else part.size, what)
        else:
            value += _read_chars(reader, part, what)
    return value


def _read_ai(reader: _Reader, first: int, second: int) -> str:
    head = f"{first}{second}"
    digits = _ai_digits().get(head)
    if digits is None:
        raise InputError(FIELD, f"no GS1 application identifier starts with {head}")
    ai = head
    for _ in range(digits - 2):
        nibble = reader.take(4)
        if nibble > 9:
            raise InputError(FIELD, f"application identifier {ai}{nibble:X}... is not all digits")
        ai += str(nibble)
    if ai not in gs1._TABLE:
        raise InputError(FIELD, f"unknown application identifier {ai}")
    return ai


def _read_pair(reader: _Reader) -> tuple[str, str]:
    reader.where = "a non-GS1 key=value pair"
    length = reader.take(7)
    if length == 0:
        raise InputError(FIELD, "a non-GS1 key=value pair has an empty key")
    key = "".join(BASE64URL[reader.take(6)] for _ in range(length))
    if key.isdigit():
        raise InputError(FIELD, f"non-GS1 key {key!r} is all digits, which is the name of an AI")
    reader.where = f"the value of non-GS1 key {key!r}"
    value = _read_chars(reader, Part(False, _PAIR_MAX, True), f"the value of non-GS1 key {key!r}")
    return key, value


def decode_elements(segment: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The (AI, value) elements and the non-GS1 (key, value) pairs of a compressed path segment, in their order.
    Checks the bit string (base64url, no truncation, known AIs and optimisation codes, values that fit their
    components, zero padding); not the values' GS1 rules (check digits, character set 82)."""
    if not segment or not _BASE64URL_RE.fullmatch(segment):
        raise InputError(FIELD, "a compressed segment uses only the base64url alphabet A-Z a-z 0-9 - _", segment)
    reader = _Reader("".join(f"{BASE64URL.index(c):06b}" for c in segment))
    elements: list[tuple[str, str]] = []
    pairs: list[tuple[str, str]] = []
    while reader.left >= 6:
        first = reader.take(4)
        if first == _NON_GS1:
            pairs.append(_read_pair(reader))
            continue
        second = reader.take(4)
        if first <= 9 and second <= 9:
            ais: tuple[str, ...] = (_read_ai(reader, first, second),)
        else:
            code = f"{first:X}{second:X}"
            if code not in OPTIMISATIONS:
                raise InputError(FIELD, f"no optimisation code {code} in GS1's optimisation table")
            ais = OPTIMISATIONS[code]
        for ai in ais:
            reader.where = _title(ai)
            if any(ai == seen for seen, _ in elements):
                raise InputError(FIELD, f"{_title(ai)} is given twice")
            elements.append((ai, _read_value(reader, ai)))
        reader.where = "the element after " + _title(ais[-1])
    if reader.left and reader.take(reader.left):
        raise InputError(FIELD, "the padding after the last element is not zero bits")
    if not elements and not pairs:
        raise InputError(FIELD, "the compressed segment holds no element", segment)
    return elements, pairs


def _write_digits(value: str, count: int) -> str:
    return format(int(value or "0"), f"0{value_bits(count)}b")


def _encoding(text: str) -> int:
    if text.isdigit() and text.isascii():
        return 0
    if re.fullmatch(r"[0-9A-F]+", text):
        return 2
    if re.fullmatch(r"[0-9a-f]+", text):
        return 1
    if _BASE64URL_RE.fullmatch(text):
        return 3
    return 4


def _write_chars(text: str, length_bits: int | None) -> str:
    encoding = _encoding(text)
    out = f"{encoding:03b}" + (f"{len(text):0{length_bits}b}" if length_bits is not None else "")
    if encoding == 0:
        return out + _write_digits(text, len(text))
    if encoding in (1, 2):
        return out + "".join(f"{int(c, 16):04b}" for c in text)
    if encoding == 3:
        return out + "".join(f"{BASE64URL.index(c):06b}" for c in text)
    return out + "".join(f"{ord(c):07b}" for c in text)


def _write_value(ai: str, value: str) -> str:
    layout = parts(ai)
    if layout is None:
        raise InputError(FIELD, f"{_title(ai)} has a format with no compressed form here", value)
    out, pos = "", 0
    for part in layout:
        text = value[pos:] if part is layout[-1] else value[pos : pos + part.size]
        pos += len(text)
        length = f"{len(text):0{_length_bits(part.size)}b}" if part.variable else ""
        if part.numeric:
            out += length + _write_digits(text, len(text))
        else:
            out += _write_chars(text, _length_bits(part.size) if part.variable else None)
    return out


def _ai_bits(code: str) -> str:
    return "".join(f"{int(c, 16):04b}" for c in code)


def encode_elements(elements: list[tuple[str, str]], *, optimise: bool = True) -> str:
    """The compressed path segment of (AI, value) elements (values as valid GS1 data): AIs in sorted order, after
    the optimisation codes that cover most AI digits first when ``optimise``, as GS1's prototype orders them."""
    values = dict(elements)
    remaining = sorted(values)
    chosen: list[str] = []
    while optimise:
        candidates = [code for code, ais in OPTIMISATIONS.items() if all(ai in remaining for ai in ais)]
        if not candidates:
            break
        best = max(candidates, key=lambda code: len("".join(OPTIMISATIONS[code])))
        chosen.append(best)
        remaining = [ai for ai in remaining if ai not in OPTIMISATIONS[best]]
    bits = ""
    for code in chosen:
        bits += _ai_bits(code) + "".join(_write_value(ai, values[ai]) for ai in OPTIMISATIONS[code])
    for ai in remaining:
        bits += _ai_bits(ai) + _write_value(ai, values[ai])
    bits += "0" * (-len(bits) % 6)
    return "".join(BASE64URL[int(bits[i : i + 6], 2)] for i in range(0, len(bits), 6))


# --- URIs -------------------------------------------------------------------------------------------------------


def _qualifier_order(key: str) -> list[str]:
    return list(dict.fromkeys(ai for alternative in gs1._DL_KEYS[key] for ai in alternative))


def _split(uri: str) -> tuple[str, list[str], str, str]:
    """scheme://authority, the raw path segments, the raw query and the fragment (with its '#')."""
    text = uri.strip()
    parts_ = urlsplit(text)
    if parts_.scheme not in ("http", "https") or not parts_.netloc:
        raise InputError(FIELD, "must be an http(s) URI", uri)
    if not parts_.path or parts_.path.endswith("/"):
        raise InputError(FIELD, "ends with '/': a compressed Digital Link ends with its compressed segment", uri)
    fragment = f"#{parts_.fragment}" if parts_.fragment else ""
    return f"{parts_.scheme}://{parts_.netloc}", parts_.path.split("/")[1:], parts_.query, fragment


def decompress(uri: str) -> str:
    """The uncompressed GS1 Digital Link of a compressed one, on the same domain and path prefix: the primary key
    and its key qualifiers in the path, in their order, the other AIs in the query, then the non-GS1 pairs (those
    compressed, then the query's own). Also takes a partially compressed link (``/01/<gtin>/<compressed>``)."""
    stem, segments, query, fragment = _split(uri)
    try:
        elements, pairs = decode_elements(segments[-1])
    except InputError as exc:
        raise InputError(FIELD, exc.rule, uri) from None
    prefix = segments[:-1]
    keys = [ai for ai, _ in elements if ai in gs1._DL_KEYS]
    if not keys and len(prefix) >= 2 and prefix[-2] in gs1._DL_KEYS:
        elements.insert(0, (prefix[-2], unquote(prefix[-1])))
        keys, prefix = [prefix[-2]], prefix[:-2]
    if not keys:
        first = elements[0][0] if elements else None
        which = f": the first AI, {_title(first)}, is not one" if first else ""
        raise InputError(FIELD, f"the compressed data holds no Digital Link primary key{which}", uri)
    key = keys[0]
    values = dict(elements)
    path = [key, values.pop(key)]
    for ai in _qualifier_order(key):
        if ai in values:
            path += [ai, values.pop(ai)]
    attributes = [f"{ai}={quote(v, safe='')}" for ai, v in values.items()]
    attributes += [f"{k}={quote(v, safe='')}" for k, v in pairs]
    attributes += [query] if query else []
    head = "".join(f"/{s}" for s in prefix)
    body = "".join(f"/{quote(s, safe='')}" for s in path)
    result = stem + head + body + ("?" + "&".join(attributes) if attributes else "") + fragment
    try:
        gs1.parse_digital_link(result)
    except InputError as exc:
        raise InputError(FIELD, f"decodes to {body}, where {exc.field}: {exc.rule}", uri) from None
    return result


def is_compressed(path_segment: str) -> bool:
    """Whether ``path_segment`` is a compressed Digital Link: base64url only, decoding to a valid one (a primary
    key, values that keep their AIs' rules and check digits)."""
    if not path_segment or not _BASE64URL_RE.fullmatch(path_segment):
        return False
    try:
        decompress(f"https://compressed.invalid/{path_segment}")
    except InputError:
        return False
    return True


def compress(uri: str, *, optimise: bool = True) -> str:
    """The compressed form of a GS1 Digital Link (validated by :func:`gs1.parse_digital_link`) on the same domain and
    path prefix: every AI of the path and the query in one segment (with GS1's optimisation codes when
    ``optimise``), the non-GS1 query pairs kept as they are."""
    gs1.parse_digital_link(uri)
    stem, segments, query, fragment = _split(uri)
    decoded = [unquote(s) for s in segments]
    start = next(
        i for i in range(len(decoded) - 2, -1, -1) if decoded[i] in gs1._DL_KEYS and (len(decoded) - i) % 2 == 0
    )
    elements = [(decoded[i], decoded[i + 1]) for i in range(start, len(decoded), 2)]
    if elements[0][0] == "01":
        elements[0] = ("01", elements[0][1].zfill(14))
    others: list[str] = []
    for attribute in query.split("&") if query else []:
        name = unquote(attribute.partition("=")[0])
        if name.isdigit():
            elements.append((name, unquote(attribute.partition("=")[2])))
        else:
            others.append(attribute)
    head = "".join(f"/{s}" for s in segments[:start])
    tail = "?" + "&".join(others) if others else ""
    return f"{stem}{head}/{encode_elements(elements, optimise=optimise)}{tail}{fragment}"
