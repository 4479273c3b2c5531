"""JSON from members and users, read safely, and the canonical JSON form that tradechain hashes (certificate
metadata, JSON documents, EPCIS events).

Reading (:func:`loads`, :func:`read_file`) refuses, with an :class:`~tradechain.errors.InputError` naming the path
in the document and the rule:

* a key given twice in one object (``json.loads`` would keep the last: a file reading ``"origin": "DE", ...,
  "origin": "CN"`` would hash as CN and show DE);
* ``NaN``, ``Infinity`` and ``-Infinity`` (not JSON);
* more than :attr:`JsonLimits.max_bytes` bytes (16 MiB; ``$TRADECHAIN_JSON_MAX_BYTES``), nesting deeper than
  :attr:`JsonLimits.max_depth` (64), numbers of more than :attr:`JsonLimits.max_digits` digits (100) or with an
  exponent beyond +-:attr:`JsonLimits.max_exponent` (999), and lone UTF-16 surrogates (not text).

Numbers are kept as written: an integer as ``int``, any other number as a :class:`JsonNumber` (a ``Decimal``
that remembers its text), never a float.

Canonical form: keys sorted (by code point), no insignificant white space, UTF-8, strings escaped as
``json.dumps`` does, numbers as written (``1.50`` stays ``1.50``, ``1e5`` stays ``1e5``); NaN and infinities refused.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate
from json.encoder import encode_basestring, encode_basestring_ascii
from pathlib import Path
from typing import Any

from eth_hash.auto import keccak

from tradechain.errors import InputError

MAX_BYTES_ENV = "TRADECHAIN_JSON_MAX_BYTES"
_IDENTIFIER = re.compile(r"[A-Za-z_@$][A-Za-z0-9_@$:\-]*")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_DUMPS_MAX_DEPTH = 512


@dataclass(frozen=True)
class JsonLimits:
    """What :func:`loads` accepts. ``max_digits`` bounds the digits of any number (an integer of 101 digits, a
    fraction of 101 significant digits); ``max_exponent`` the size of its exponent (``1e999999999`` is refused)."""

    max_bytes: int = 16 * 2**20
    max_depth: int = 64
    max_digits: int = 100
    max_exponent: int = 999


def default_limits() -> JsonLimits:
    """The limits, with ``$TRADECHAIN_JSON_MAX_BYTES`` (a whole number of bytes) overriding the size cap."""
    raw = os.environ.get(MAX_BYTES_ENV, "").strip()
    if not raw:
        return JsonLimits()
    if not raw.isdigit() or int(raw) < 1:
        raise InputError(MAX_BYTES_ENV, "a whole number of bytes, at least 1", raw)
    return JsonLimits(max_bytes=int(raw))


class JsonNumber(Decimal):
    """A JSON number with a fraction or an exponent, as read: its exact value (a ``Decimal``; arithmetic gives
    plain Decimals) and ``text``, as it was written, which canonical JSON keeps."""

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> JsonNumber:
        self = super().__new__(cls, text)
        self.text = text
        return self

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"JsonNumber({self.text!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (JsonNumber, (self.text,))

    def __copy__(self) -> JsonNumber:
        return self

    def __deepcopy__(self, memo: Any) -> JsonNumber:
        return self


class JsonSyntaxError(InputError):
    """The text is not JSON at all (or not UTF-8): ``detail`` says where, for callers that word it their way."""

    def __init__(self, field: str, detail: str, value: object = None, *, msg: str = "", lineno: int = 0) -> None:
        super().__init__(field, f"not JSON ({detail})", value)
        self.detail = detail
        self.msg = msg or detail
        self.lineno = lineno


# ---------------------------------------------------------------------------------------------- reading


class _Refused:
    """Put in the tree by the parser hooks where a value breaks a rule: the walk then names its path."""

    __slots__ = ("rule",)

    def __init__(self, rule: str) -> None:
        self.rule = rule


class _Duplicated(dict[str, Any]):
    """An object in which ``key`` was given twice."""

    key: str = ""


class _Hooks:
    """The parser's hooks (objects, integers, other numbers, NaN/Infinity); ``flagged`` once a value broke a rule
    (then the tree is walked to name its path)."""

    def __init__(self, limits: JsonLimits) -> None:
        self.limits = limits
        self.flagged = False
        self.too_long = _Refused(f"a number of more than {limits.max_digits} digits")
        self.too_big = _Refused(f"a number with an exponent beyond +-{limits.max_exponent}")

    def pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) == len(pairs):
            return out
        self.flagged = True
        seen: set[str] = set()
        dup = _Duplicated(out)
        for key, _ in pairs:
            if key in seen:
                dup.key = key
                break
            seen.add(key)
        return dup

    def parse_int(self, text: str) -> Any:
        if len(text) - (text[0] == "-") > self.limits.max_digits:
            self.flagged = True
            return self.too_long
        if text == "-0":
            return JsonNumber(text)
        return int(text)

    def parse_float(self, text: str) -> Any:
        mantissa, _, exponent = text.lower().partition("e")
        digits = mantissa.lstrip("-").replace(".", "").lstrip("0") or "0"
        if len(digits) > self.limits.max_digits:
            self.flagged = True
            return self.too_long
        if len(exponent.lstrip("+-")) > 6:
            self.flagged = True
            return self.too_big
        number = JsonNumber(text)
        if number and abs(number.adjusted()) > self.limits.max_exponent:
            self.flagged = True
            return self.too_big
        return number

    def parse_constant(self, text: str) -> Any:
        self.flagged = True
        return _Refused(f"{text} is not a JSON number (NaN and infinities have no JSON form)")


_ESCAPES = re.compile(rb"\\.", re.DOTALL)
_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_OPENING = frozenset(b"[{")


def _depth(data: bytes) -> int:
    """How deep arrays and objects nest in JSON text, without parsing it (in C, but for the count): escapes
    dropped, then all but quotes and brackets, then strings. Dropping two adjacent quotes (an empty stretch)
    leaves every other stretch inside or outside a string as it was, so every ``""`` goes first, at once."""
    shape = _ESCAPES.sub(b"", data).translate(None, _STRUCTURE).replace(b'""', b"")
    if b'"' in shape:
        shape = b"".join(shape.split(b'"')[::2])
    openers = shape.count(b"[") + shape.count(b"{")
    if openers <= 1:
        return openers
    return max(accumulate(1 if b in _OPENING else -1 for b in shape))


def path_of(root: str, parts: list[str | int]) -> str:
    """``root`` and the keys and indexes under it, as ``root.key[3].other`` (odd keys quoted as JSON)."""
    out = root
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{encode_basestring_ascii(part)}]"
    return out or "document"


# A node of the walk: (value, depth, parent entry, key in the parent); paths are built only for an error.
_Entry = tuple[Any, int, Any, "str | int | None"]


def _walk(value: Any, root: str, limits: JsonLimits, *, strings: bool, shown: object) -> None:
    """Checks the parsed tree, depth first in document order: the first problem is refused, naming its path."""
    stack: list[_Entry] = [(value, 1, None, None)]

    def fail(entry: _Entry, key: str | int | None, rule: str) -> InputError:
        parts: list[str | int] = [] if key is None else [key]
        node: Any = entry
        while node is not None and node[3] is not None:
            parts.append(node[3])
            node = node[2]
        return InputError(path_of(root, parts[::-1]), rule, shown)

    while stack:
        entry = stack.pop()
        node, depth, _, _ = entry
        if depth > limits.max_depth:
            raise fail(entry, None, f"nested deeper than {limits.max_depth} levels")
        if isinstance(node, dict):
            if isinstance(node, _Duplicated):
                raise fail(entry, node.key, "the key is given twice in one object (a JSON object names each once)")
            children: list[_Entry] = []
            for k, v in node.items():
                if strings and _SURROGATE.search(k):
                    raise fail(entry, k, "a key with a lone UTF-16 surrogate is not text")
                if isinstance(v, (dict, list)):
                    children.append((v, depth + 1, entry, k))
                elif isinstance(v, _Refused):
                    raise fail(entry, k, v.rule)
                elif strings and isinstance(v, str) and _SURROGATE.search(v):
                    raise fail(entry, k, "a string with a lone UTF-16 surrogate is not text")
            stack.extend(reversed(children))
        elif isinstance(node, list):
            children = []
            for i, v in enumerate(node):
                if isinstance(v, (dict, list)):
                    children.append((v, depth + 1, entry, i))
                elif isinstance(v, _Refused):
                    raise fail(entry, i, v.rule)
                elif strings and isinstance(v, str) and _SURROGATE.search(v):
                    raise fail(entry, i, "a string with a lone UTF-16 surrogate is not text")
            stack.extend(reversed(children))
        elif isinstance(node, _Refused):
            raise fail(entry, None, node.rule)
        elif strings and isinstance(node, str) and _SURROGATE.search(node):
            raise fail(entry, None, "a string with a lone UTF-16 surrogate is not text")


def loads(data: str | bytes, root: str = "", *, limits: JsonLimits | None = None, shown: object = None) -> Any:
    """Parses JSON given by a member or a user. ``root`` names the document in errors (``metadata`` gives
    ``metadata.origin: ...``; empty, paths start at the top key); ``shown`` is added to every error (a file name).
    Integers come back as ``int``, other numbers as :class:`JsonNumber`."""
    limits = limits or default_limits()
    field = root or "document"
    if len(data) > limits.max_bytes:
        raise InputError(field, f"larger than {limits.max_bytes:,} bytes (the limit for JSON input)", shown)
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonSyntaxError(field, f"not UTF-8 text: byte {exc.start}", shown) from None
    else:
        text = data
    deep = _depth(data if isinstance(data, bytes) else text.encode("utf-8", "surrogatepass")) > limits.max_depth
    hooks = _Hooks(limits)
    try:
        value = json.loads(
            text,
            object_pairs_hook=hooks.pairs,
            parse_int=hooks.parse_int,
            parse_float=hooks.parse_float,
            parse_constant=hooks.parse_constant,
        )
    except json.JSONDecodeError as exc:
        raise JsonSyntaxError(
            field, f"line {exc.lineno}, column {exc.colno}: {exc.msg}", shown, msg=exc.msg, lineno=exc.lineno
        ) from None
    except RecursionError:
        raise InputError(field, f"nested deeper than {limits.max_depth} levels", shown) from None
    strings = _SURROGATE_ESCAPE.search(text) is not None
    if deep or hooks.flagged or strings:  # something to refuse: the walk finds it and names its path
        _walk(value, root, limits, strings=strings, shown=shown)
    return value


def read_bytes(path: Path, field: str, *, limits: JsonLimits | None = None) -> bytes:
    """The bytes of a file given for JSON input, refused above the size cap before they are read."""
    limits = limits or default_limits()
    shown = str(path)
    if not path.is_file():
        raise InputError(field, "not found", shown)
    try:
        with path.open("rb") as f:
            if os.fstat(f.fileno()).st_size > limits.max_bytes:
                raise InputError(field, f"larger than {limits.max_bytes:,} bytes (the limit for JSON input)", shown)
            data = f.read(limits.max_bytes + 1)
    except OSError as exc:
        raise InputError(field, f"cannot be read ({exc.strerror})", shown) from None
    if len(data) > limits.max_bytes:
        raise InputError(field, f"larger than {limits.max_bytes:,} bytes (the limit for JSON input)", shown)
    return data


def read_file(path: Path, field: str, *, root: str | None = None, limits: JsonLimits | None = None) -> Any:
    """A JSON file given by a member or a user: not found, empty, too large or not JSON is refused as ``field``
    (with the file name); a problem inside it names its path under ``root`` (by default ``field``)."""
    limits = limits or default_limits()
    data = read_bytes(path, field, limits=limits)
    if not data.strip():
        raise InputError(field, "is empty", str(path))
    try:
        return loads(data, field if root is None else root, limits=limits, shown=str(path))
    except JsonSyntaxError as exc:
        raise JsonSyntaxError(field, exc.detail, str(path), msg=exc.msg, lineno=exc.lineno) from None


# ---------------------------------------------------------------------------------------------- writing


class _At(Exception):
    """A value that cannot be written; the path is prepended while the encoder unwinds."""

    def __init__(self, rule: str) -> None:
        self.rule = rule
        self.parts: list[str | int] = []


def _number(value: Decimal) -> str:
    if not value.is_finite():
        raise _At("NaN and infinities have no canonical JSON form")
    if isinstance(value, JsonNumber):
        return value.text
    return str(value)


def _key(key: Any) -> str:
    """An object key as json.dumps writes it: text as it is, a number or a constant as its JSON text."""
    if isinstance(key, str):
        return key
    if key is True or key is False or key is None:
        return {True: "true", False: "false", None: "null"}[key]
    if isinstance(key, int):
        return int.__repr__(key)
    if isinstance(key, float) and math.isfinite(key):
        return float.__repr__(key)
    raise _At(f"an object key is text, not a {type(key).__name__}")


class _Encoder:
    def __init__(
        self, *, sort_keys: bool, indent: int | None, ensure_ascii: bool, default: Callable[[Any], Any] | None
    ) -> None:
        self.sort_keys = sort_keys
        self.indent = indent
        self.string = encode_basestring_ascii if ensure_ascii else encode_basestring
        self.default = default
        self.colon = ":" if indent is None else ": "

    def encode(self, value: Any, depth: int) -> str:
        if isinstance(value, str):
            return str(self.string(value))
        if value is None:
            return "null"
        if value is True:
            return "true"
        if value is False:
            return "false"
        if isinstance(value, int):
            try:
                return int.__repr__(value)
            except ValueError:  # beyond Python's digit limit for int to text
                raise _At("an integer too long to write") from None
        if isinstance(value, float):
            if not math.isfinite(value):
                raise _At("NaN and infinities have no canonical JSON form")
            return float.__repr__(value)
        if isinstance(value, Decimal):
            return _number(value)
        if depth > _DUMPS_MAX_DEPTH:
            raise _At(f"nested deeper than {_DUMPS_MAX_DEPTH} levels")
        if isinstance(value, dict):
            return self._object(value, depth)
        if isinstance(value, (list, tuple)):
            return self._array(value, depth)
        if self.default is not None:
            return self.encode(self.default(value), depth)
        raise _At(f"a {type(value).__name__} is not a JSON value")

    def _wrap(self, open_: str, items: list[str], close: str, depth: int) -> str:
        if not items:
            return open_ + close
        if self.indent is None:
            return open_ + ",".join(items) + close
        inner = "\n" + " " * (self.indent * depth)
        return open_ + inner + ("," + inner).join(items) + "\n" + " " * (self.indent * (depth - 1)) + close

    def _object(self, value: dict[Any, Any], depth: int) -> str:
        pairs = list(value.items())
        if self.sort_keys:  # by the keys themselves, as json.dumps does
            try:
                pairs.sort(key=lambda pair: pair[0])
            except TypeError:
                raise _At("the keys of an object are of different types and cannot be sorted") from None
        items = []
        for key, item in pairs:
            try:
                items.append(self.string(_key(key)) + self.colon + self.encode(item, depth + 1))
            except _At as exc:
                exc.parts.append(key if isinstance(key, str) else str(key))
                raise
        return self._wrap("{", items, "}", depth)

    def _array(self, value: list[Any] | tuple[Any, ...], depth: int) -> str:
        items = []
        for i, item in enumerate(value):
            try:
                items.append(self.encode(item, depth + 1))
            except _At as exc:
                exc.parts.append(i)
                raise
        return self._wrap("[", items, "]", depth)


def dumps(
    value: Any,
    field: str = "document",
    *,
    sort_keys: bool = True,
    indent: int | None = None,
    ensure_ascii: bool = False,
    default: Callable[[Any], Any] | None = None,
) -> str:
    """JSON text of ``value`` with numbers as written (:class:`JsonNumber`, Decimal, int); compact unless
    ``indent``. A value with no JSON form (NaN, an infinity, a key that is not text) is an InputError naming its
    path under ``field``. ``default`` turns other objects into JSON values (as in ``json.dumps``)."""
    separators = (",", ":") if indent is None else (",", ": ")
    # The C encoder does the work; a Decimal goes in as a marker string (a token random to this call, which no
    # text can guess), replaced by the number's text after. Anything it refuses (NaN, a key, an unknown type) is
    # written again by the Python encoder, which names the path. Both give the same text (tested).
    token = os.urandom(8).hex()
    numbers: list[str] = []

    def marker(o: Any) -> Any:
        if isinstance(o, Decimal) and o.is_finite():
            numbers.append(_number(o))
            return f"\x00{token}{len(numbers) - 1}"
        if default is not None and not isinstance(o, Decimal):
            return default(o)
        raise TypeError("not a JSON value")

    try:
        text = json.dumps(
            value,
            ensure_ascii=ensure_ascii,
            allow_nan=False,
            sort_keys=sort_keys,
            separators=separators,
            indent=indent,
            default=marker,
        )
    except (TypeError, ValueError, RecursionError):
        pass
    else:
        if not numbers:
            return text
        pattern = re.compile('"\\\\u0000' + token + '([0-9]+)"')
        out, count = pattern.subn(lambda m: numbers[int(m.group(1))], text)
        if count == len(numbers):
            return out
    encoder = _Encoder(sort_keys=sort_keys, indent=indent, ensure_ascii=ensure_ascii, default=default)
    try:
        return encoder.encode(value, 1)
    except _At as exc:
        raise InputError(path_of(field, exc.parts[::-1]) if exc.parts else field, exc.rule) from None


def canonical_json(value: dict[str, Any], field: str = "document") -> bytes:
    """The canonical JSON bytes of an object (sorted keys, compact, UTF-8, numbers as written)."""
    if not isinstance(value, dict):
        raise InputError(field, "must be a JSON object")
    try:
        return dumps(value, field).encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(field, "holds a lone UTF-16 surrogate, which is not text") from None


def json_hash(value: dict[str, Any], field: str = "document") -> bytes:
    return keccak(canonical_json(value, field))
