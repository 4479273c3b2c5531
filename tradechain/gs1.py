"""GS1 identifiers: check digits and the keys used so far (GLN). Pure Python, strict."""

from __future__ import annotations

from tradechain.errors import InputError


def check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of ``body`` (every digit but the check digit): weights 3,1,3,... from the
    right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def parse_gln(value: str | int, field: str = "gln") -> int:
    """A GS1 Global Location Number: 13 digits, the last a mod-10 check digit."""
    text = str(value).strip()
    if not text.isdigit() or not text.isascii():
        raise InputError(field, "a GLN is 13 digits", value)
    if len(text) != 13:
        raise InputError(field, f"a GLN is 13 digits, not {len(text)}", value)
    expected = check_digit(text[:-1])
    if int(text[-1]) != expected:
        raise InputError(field, f"GLN check digit is wrong: expected {expected}, got {text[-1]}", value)
    return int(text)


def format_gln(gln: int) -> str:
    return f"{gln:013d}"


def with_check_digit(body: str) -> str:
    """Appends the GS1 check digit to ``body`` (e.g. 12 digits of a GLN)."""
    if not body.isdigit():
        raise InputError("body", "digits only", body)
    return body + str(check_digit(body))
