"""InvoiceSlotLibrary (contracts/libraries/InvoiceSlot.sol), fuzzed through a harness: pack and unpack are inverse,
each getter reads its own bits of the word and nothing else, each setter writes its own bits and leaves the rest of
the word as it was; the layout is the one documented in the library (bits 0-31, 32-47, 48-63, 64-71, 72-111,
112-127)."""

from __future__ import annotations

import sys
from typing import Any

import brownie
import pytest
from brownie import InvoiceSlotHarness
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Hypothesis' own `given` (Brownie's plugin wraps `hypothesis.given` to warn, and `brownie.test.given` snapshots and
# reverts the chain around every example, which here made the test 12 times slower): every example is an eth_call
# to pure functions, which changes no state.
from hypothesis.core import given

# field: (offset, width in bits), in the order of IInvoiceRegistry.Invoice
LAYOUT = {
    "firstOrg": (0, 32),
    "firstBps": (32, 16),
    "totalBps": (48, 16),
    "status": (64, 8),
    "since": (72, 40),
    "settledBps": (112, 16),
}
STATUSES = st.integers(0, 2)  # IInvoiceRegistry.Status: None, Financed, Settled
# The function-scoped fixture is conftest's autouse snapshot, taken once for all the (stateless) examples.
# Under `make coverage` every call is step-traced, a hundred times slower: fewer examples there (coverage of the
# library's branches needs only a few), all 200 in `make test`.
TRACED = "--coverage" in sys.argv or "-C" in sys.argv
FUZZ = settings(max_examples=10 if TRACED else 200, suppress_health_check=[HealthCheck.function_scoped_fixture])


def field(word: int, name: str) -> int:
    offset, width = LAYOUT[name]
    return (word >> offset) & ((1 << width) - 1)


def with_field(word: int, name: str, value: int) -> int:
    offset, width = LAYOUT[name]
    mask = ((1 << width) - 1) << offset
    return (word & ~mask) | (value << offset)


@st.composite
def invoices(draw: Any) -> tuple[int, ...]:
    return tuple(
        draw(STATUSES) if name == "status" else draw(st.integers(0, 2**width - 1))
        for name, (_offset, width) in LAYOUT.items()
    )


@st.composite
def words(draw: Any) -> int:
    """Any 256-bit word whose status byte is a Status (the bits above 127 too, which no setter writes)."""
    return with_field(draw(st.integers(0, 2**256 - 1)), "status", draw(STATUSES))


@pytest.fixture(scope="module")
def harness(admin: Any) -> Any:
    return InvoiceSlotHarness.deploy({"from": admin})


def test_the_layout_covers_the_low_128_bits_once() -> None:
    bits = [b for offset, width in LAYOUT.values() for b in range(offset, offset + width)]
    assert sorted(bits) == list(range(128))


@FUZZ
@given(invoice=invoices())
def test_unpack_inverts_pack(harness: Any, invoice: tuple[int, ...]) -> None:
    word = harness.pack(invoice)
    assert word == sum(v << offset for v, (offset, _width) in zip(invoice, LAYOUT.values(), strict=True))
    assert tuple(harness.unpack(word)) == invoice
    assert tuple(harness.get(word)) == invoice


@FUZZ
@given(word=words())
def test_getters_read_their_own_bits(harness: Any, word: int) -> None:
    expected = tuple(field(word, name) for name in LAYOUT)
    assert tuple(harness.get(word)) == expected
    assert tuple(harness.unpack(word)) == expected
    assert harness.pack(expected) == word & (2**128 - 1)  # pack(unpack(w)) is w on the bits of the layout


@FUZZ
@given(word=words(), data=st.data())
def test_each_setter_writes_its_field_only(harness: Any, word: int, data: Any) -> None:
    for name, (_offset, width) in LAYOUT.items():
        value = data.draw(STATUSES if name == "status" else st.integers(0, 2**width - 1), label=name)
        written = getattr(harness, "set" + name[0].upper() + name[1:])(word, value)
        assert written == with_field(word, name, value), name
        assert field(written, name) == value


@settings(max_examples=5 if TRACED else 30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(word=words(), status=st.integers(3, 255))
def test_a_status_byte_out_of_range_panics(harness: Any, word: int, status: int) -> None:
    with brownie.reverts(revert_msg="Conversion to enum out of bounds"):
        harness.get(with_field(word, "status", status))
