"""Legal identity of organisations: LEI (ISO 17442), ISO 3166-1 alpha-2 countries, consortium roles."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tradechain.errors import InputError

# ISO 3166-1 alpha-2: the 249 officially assigned codes.
COUNTRIES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW
    BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ
    FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ
    IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH
    MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL
    PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD
    TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW""".split()  # noqa: SIM905
)

# Bits of contracts/libraries/Roles.sol, in order.
ROLE_NAMES = (
    "brand",
    "manufacturer",
    "carrier",
    "customs",
    "inspector",
    "financier",
    "regulator",
    "retailer",
    "certifier",
)
ROLES = {name: 1 << i for i, name in enumerate(ROLE_NAMES)}
ALL_ROLES = (1 << len(ROLE_NAMES)) - 1

_LEI = re.compile(r"[0-9A-Z]{18}[0-9]{2}")


def lei_remainder(lei: str) -> int:
    """ISO 7064 MOD 97-10 over the LEI read with A=10 ... Z=35."""
    return int("".join(str(int(c, 36)) for c in lei)) % 97


def parse_lei(value: str, field: str = "lei") -> str:
    """An LEI: 20 characters, 18 of 0-9/A-Z then two check digits, whole number mod 97 equal to 1."""
    text = str(value).strip().upper()
    if len(text) != 20:
        raise InputError(field, f"an LEI is 20 characters, not {len(text)}", value)
    if not _LEI.fullmatch(text):
        raise InputError(field, "an LEI is 18 characters 0-9/A-Z followed by 2 check digits", value)
    if lei_remainder(text) != 1:
        raise InputError(field, "LEI check digits are wrong (ISO 17442: the mod-97 remainder must be 1)", value)
    return text


def lei_with_check_digits(prefix18: str) -> str:
    """Completes 18 characters into a valid LEI (for tests and examples)."""
    body = prefix18.upper()
    check = 98 - int("".join(str(int(c, 36)) for c in body + "00")) % 97
    return f"{body}{check:02d}"


def parse_country(value: str, field: str = "country") -> str:
    text = str(value).strip().upper()
    if text not in COUNTRIES:
        raise InputError(field, "not an ISO 3166-1 alpha-2 country code", value)
    return text


def parse_roles(value: str | Iterable[str], field: str = "roles") -> int:
    """Role names (a comma-separated string or a list) to the on-chain bitmask."""
    names = [n.strip().lower() for n in (value.split(",") if isinstance(value, str) else value)]
    names = [n for n in names if n]
    if not names:
        raise InputError(field, f"at least one role is required ({', '.join(ROLE_NAMES)})")
    bits = 0
    for name in names:
        if name not in ROLES:
            raise InputError(field, f"unknown role {name!r}; known roles: {', '.join(ROLE_NAMES)}")
        bits |= ROLES[name]
    return bits


def role_names(bits: int) -> list[str]:
    return [name for name, bit in ROLES.items() if bits & bit]


def role_labels(bits: int) -> list[str]:
    """:func:`role_names`, and bits beyond the known roles by their number ("bit 12")."""
    return role_names(bits) + [f"bit {i}" for i in range(len(ROLE_NAMES), bits.bit_length()) if bits >> i & 1]


def roles_text(bits: int, conjunction: str = "or") -> str:
    """A role bitmask as words: ``67`` is "brand, manufacturer or regulator" (the contracts ask for any one of the
    roles of a mask, ``requireAnyRole``); 0 is "0 (no role named)"."""
    names = role_labels(bits)
    if not names:
        return "0 (no role named)"
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} {conjunction} {names[-1]}"
