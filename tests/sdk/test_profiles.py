"""Issue 14, organisations by name: the SDK keeps verified profiles (only under the hash the organisation recorded on
chain) and serves them, ``client.participants.display_name(org)``: "Acme Tuna Co (org 13)", "org 13 (profile
unverified)" once the profile kept no longer matches the chain, "org 13" with none kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import addr, lei

from tradechain.contracts import profiles
from tradechain.errors import InputError
from tradechain.formats import canonical

ACME = {"name": "Acme Tuna Co", "country": "ID", "website": "https://acme.example"}


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This machine's state home, where the profiles it verified are kept."""
    monkeypatch.setenv("TRADECHAIN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv(profiles.PROFILES_ENV, raising=False)
    return tmp_path / "home"


def test_an_organisation_is_named_by_its_verified_profile(sdk: Any, sdk_as: Any, home: Path) -> None:
    org = sdk.participants.admit(
        lei=lei(700), country="ID", roles="brand", manager=addr("outsider"), profile_hash=canonical.json_hash(ACME)
    ).organisation
    assert sdk.participants.display_name(org) == f"org {org}"  # the hash is on chain, the profile not kept here
    kept = sdk.participants.store_profile(org, ACME)
    assert (kept.status, kept.name) == ("verified", "Acme Tuna Co")
    assert (home / "profiles" / f"{kept.profile_hash}.json").read_bytes() == canonical.canonical_json(ACME)
    reader = sdk_as("carrier")  # another client on this machine: reads what was kept
    assert reader.participants.display_name(org) == f"Acme Tuna Co (org {org})"
    assert reader.participants.display_name(0) == "nobody"
    assert reader.participants.display_name(9_999) == "org 9999 (no such organisation)"
    # the organisation records a new profile: the one kept here is no longer its own, and says so
    sdk_as("outsider").participants.update_profile(org, canonical.json_hash({**ACME, "name": "Acme Tuna Group"}))
    fresh = sdk_as("carrier").participants
    assert fresh.display_name(org) == f"org {org} (profile unverified)"
    assert reader.participants.display_name(org) == f"Acme Tuna Co (org {org})"  # read once per client...
    reader.participants.forget_profiles()
    assert reader.participants.display_name(org) == f"org {org} (profile unverified)"  # ...until told to read again
    fresh.forget_profiles()
    fresh.store_profile(org, {**ACME, "name": "Acme Tuna Group"})
    assert fresh.display_name(org) == f"Acme Tuna Group (org {org})"


def test_a_profile_that_is_not_the_one_on_chain_is_never_kept(sdk: Any, home: Path) -> None:
    org = sdk.participants.admit(
        lei=lei(701), country="ID", roles="brand", manager=addr("outsider"), profile_hash=canonical.json_hash(ACME)
    ).organisation
    with pytest.raises(InputError, match="is not the organisation's on-chain profile hash 0x") as info:
        sdk.participants.store_profile(org, {**ACME, "name": "Acme Tuna Co (new bank account)"})
    assert info.value.field == "profile"
    bare = sdk.participants.admit(lei=lei(702), country="ID", roles="brand", manager=addr("customer")).organisation
    with pytest.raises(InputError, match="on-chain no profile hash"):
        sdk.participants.store_profile(bare, ACME)  # recorded no profile at all
    assert not (home / "profiles").exists()
    assert sdk.participants.display_name(org) == f"org {org}"
    assert sdk.participants.display_name(bare) == f"org {bare}"
