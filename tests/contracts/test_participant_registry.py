"""ParticipantRegistry: admission, identity rules, accounts, roles, suspension (contract level, via Brownie)."""

from __future__ import annotations

from typing import Any

from brownie import ParticipantRegistry
from conftest import reverts_with
from helpers import ROLE, lei, lei_bytes

from tradechain.formats.gs1 import check_digit
from tradechain.formats.identity import lei_with_check_digits

ZERO32 = b"\0" * 32
GLN = int("400000100000" + str(check_digit("400000100000")))


def test_admit_records_identity_roles_and_manager(registry: Any, admin: Any, brand: Any) -> None:
    profile = b"\x11" * 32
    tx = registry.admit(lei_bytes(1), GLN, b"IT", ROLE["brand"] | ROLE["manufacturer"], profile, brand, {"from": admin})
    ev = tx.events["OrganisationAdmitted"]
    assert ev["organisation"] == 1
    assert ev["lei"] == "0x" + lei_bytes(1).hex()
    assert ev["gln"] == GLN and ev["country"] == "0x4954"
    assert tx.events["AccountAdded"]["account"] == brand and tx.events["AccountAdded"]["manager"] is True
    org = registry.getOrganisation(1)
    assert org["lei"] == "0x" + lei_bytes(1).hex() and org["gln"] == GLN
    assert org["roles"] == ROLE["brand"] | ROLE["manufacturer"]
    assert org["suspended"] is False and org["activeAccounts"] == 1 and org["profileHash"] == "0x" + profile.hex()
    assert registry.organisationOf(brand) == (1, True)
    assert registry.organisationByLei(lei_bytes(1)) == 1 and registry.organisationByGln(GLN) == 1
    assert registry.organisationCount() == 1


def test_admit_with_only_a_gln(registry: Any, admin: Any, carrier: Any) -> None:
    registry.admit(b"\0" * 20, GLN, b"NL", ROLE["carrier"], ZERO32, carrier, {"from": admin})
    assert registry.requireRole(carrier, ROLE["carrier"]) == 1


def test_only_the_consortium_admin_admits(registry: Any, brand: Any) -> None:
    with reverts_with("AccessControlUnauthorizedAccount"):
        registry.admit(lei_bytes(1), 0, b"DE", ROLE["brand"], ZERO32, brand, {"from": brand})


def test_lei_with_wrong_check_digits_is_rejected_on_chain(registry: Any, admin: Any, brand: Any) -> None:
    bad = (lei(1)[:18] + ("00" if lei(1)[18:] != "00" else "01")).encode()
    with reverts_with("InvalidLei", bad):
        registry.admit(bad, 0, b"DE", ROLE["brand"], ZERO32, brand, {"from": admin})


def test_lei_with_lower_case_letters_is_rejected(registry: Any, admin: Any, brand: Any) -> None:
    valid = lei_with_check_digits("529900T8BM49AURSDO")
    registry.admit(valid.encode(), 0, b"DE", ROLE["brand"], ZERO32, brand, {"from": admin})  # upper case: valid
    with reverts_with("InvalidLei", valid.lower().encode()):
        registry.admit(valid.lower().encode(), 0, b"DE", ROLE["brand"], ZERO32, admin, {"from": admin})


def test_gln_with_wrong_check_digit_is_rejected(registry: Any, admin: Any, brand: Any) -> None:
    with reverts_with("InvalidGln", GLN + 1 if GLN % 10 != 9 else GLN - 1):
        registry.admit(
            b"\0" * 20, GLN + 1 if GLN % 10 != 9 else GLN - 1, b"DE", ROLE["brand"], ZERO32, brand, {"from": admin}
        )


def test_gln_longer_than_13_digits_is_rejected(registry: Any, admin: Any, brand: Any) -> None:
    with reverts_with("InvalidGln", 10**13):
        registry.admit(b"\0" * 20, 10**13, b"DE", ROLE["brand"], ZERO32, brand, {"from": admin})


def test_organisation_needs_an_lei_or_a_gln(registry: Any, admin: Any, brand: Any) -> None:
    with reverts_with("MissingLegalIdentity"):
        registry.admit(b"\0" * 20, 0, b"DE", ROLE["brand"], ZERO32, brand, {"from": admin})


def test_country_must_be_two_upper_case_letters(registry: Any, admin: Any, brand: Any) -> None:
    with reverts_with("InvalidCountryCode", b"de"):
        registry.admit(lei_bytes(1), 0, b"de", ROLE["brand"], ZERO32, brand, {"from": admin})


def test_roles_must_be_defined_and_not_empty(registry: Any, admin: Any, brand: Any) -> None:
    with reverts_with("InvalidRoles", 0):
        registry.admit(lei_bytes(1), 0, b"DE", 0, ZERO32, brand, {"from": admin})
    with reverts_with("InvalidRoles", 512):
        registry.admit(lei_bytes(1), 0, b"DE", 512, ZERO32, brand, {"from": admin})


def test_same_lei_cannot_be_admitted_twice(registry: Any, admin: Any, brand: Any, carrier: Any) -> None:
    registry.admit(lei_bytes(1), 0, b"DE", ROLE["brand"], ZERO32, brand, {"from": admin})
    with reverts_with("LeiAlreadyAdmitted", lei_bytes(1), 1):
        registry.admit(lei_bytes(1), 0, b"FR", ROLE["carrier"], ZERO32, carrier, {"from": admin})


def test_same_gln_cannot_be_admitted_twice(registry: Any, admin: Any, brand: Any, carrier: Any) -> None:
    registry.admit(lei_bytes(1), GLN, b"DE", ROLE["brand"], ZERO32, brand, {"from": admin})
    with reverts_with("GlnAlreadyAdmitted", GLN, 1):
        registry.admit(lei_bytes(2), GLN, b"FR", ROLE["carrier"], ZERO32, carrier, {"from": admin})


def test_an_account_signs_for_one_organisation_only(registry: Any, admin: Any, brand: Any) -> None:
    registry.admit(lei_bytes(1), 0, b"DE", ROLE["brand"], ZERO32, brand, {"from": admin})
    with reverts_with("AccountAlreadyRegistered", brand, 1):
        registry.admit(lei_bytes(2), 0, b"FR", ROLE["carrier"], ZERO32, brand, {"from": admin})


def test_zero_address_is_not_an_account(registry: Any, admin: Any) -> None:
    with reverts_with("InvalidAccount", "0x" + "0" * 40):
        registry.admit(lei_bytes(1), 0, b"DE", ROLE["brand"], ZERO32, "0x" + "0" * 40, {"from": admin})


def test_constructor_rejects_zero_admin(admin: Any) -> None:
    with reverts_with("AccessControlInvalidDefaultAdmin", "0x" + "0" * 40):
        ParticipantRegistry.deploy("0x" + "0" * 40, {"from": admin})


def test_manager_adds_and_revokes_accounts(registry: Any, members: dict[str, int], brand: Any, accounts: Any) -> None:
    org, new = members["brand"], accounts[15]
    tx = registry.addAccount(org, new, False, {"from": brand})
    assert tx.events["AccountAdded"]["organisation"] == org and tx.events["AccountAdded"]["account"] == new
    assert registry.isAuthorized(new, ROLE["brand"]) is True
    assert registry.getOrganisation(org)["activeAccounts"] == 2
    tx = registry.revokeAccount(new, {"from": brand})
    assert tx.events["AccountRevoked"]["account"] == new
    assert registry.organisationOf(new) == (0, False)
    assert registry.isAuthorized(new, ROLE["brand"]) is False
    assert registry.getOrganisation(org)["activeAccounts"] == 1


def test_plain_account_cannot_manage(registry: Any, members: dict[str, int], brand: Any, accounts: Any) -> None:
    org = members["brand"]
    registry.addAccount(org, accounts[15], False, {"from": brand})
    with reverts_with("UnauthorizedManager", accounts[15], org):
        registry.addAccount(org, accounts[16], False, {"from": accounts[15]})


def test_manager_of_another_organisation_cannot_manage(
    registry: Any, members: dict[str, int], carrier: Any, brand: Any
) -> None:
    with reverts_with("UnauthorizedManager", carrier, members["brand"]):
        registry.revokeAccount(brand, {"from": carrier})


def test_rotation_swaps_key_and_keeps_manager_flag(
    registry: Any, members: dict[str, int], brand: Any, accounts: Any
) -> None:
    org, new = members["brand"], accounts[15]
    tx = registry.rotateAccount(brand, new, {"from": brand})
    assert [e.name for e in tx.events if e.name in ("AccountRevoked", "AccountAdded")] == [
        "AccountRevoked",
        "AccountAdded",
    ]
    assert registry.organisationOf(brand) == (0, False)
    assert registry.organisationOf(new) == (org, True)
    assert registry.getOrganisation(org)["activeAccounts"] == 1


def test_revoking_unknown_account_reverts(registry: Any, admin: Any, outsider: Any) -> None:
    with reverts_with("UnregisteredAccount", outsider):
        registry.revokeAccount(outsider, {"from": admin})
    with reverts_with("UnregisteredAccount", outsider):
        registry.rotateAccount(outsider, admin, {"from": admin})


def test_suspended_organisation_loses_roles_at_once(
    registry: Any, members: dict[str, int], admin: Any, carrier: Any
) -> None:
    org = members["carrier"]
    assert registry.requireRole(carrier, ROLE["carrier"]) == org
    tx = registry.suspend(org, b"KYC expired".ljust(32, b"\0"), {"from": admin})
    assert tx.events["OrganisationSuspended"]["organisation"] == org
    assert registry.isAuthorized(carrier, ROLE["carrier"]) is False
    with reverts_with("OrganisationIsSuspended", org):
        registry.requireRole(carrier, ROLE["carrier"])
    with reverts_with("OrganisationIsSuspended", org):
        registry.suspend(org, ZERO32, {"from": admin})
    with reverts_with("OrganisationIsSuspended", org):
        registry.addAccount(org, admin, False, {"from": carrier})
    tx = registry.reinstate(org, {"from": admin})
    assert tx.events["OrganisationReinstated"]["organisation"] == org
    assert registry.requireRole(carrier, ROLE["carrier"]) == org
    with reverts_with("OrganisationNotSuspended", org):
        registry.reinstate(org, {"from": admin})


def test_require_role_explains_refusals(registry: Any, members: dict[str, int], carrier: Any, outsider: Any) -> None:
    with reverts_with("UnregisteredAccount", outsider):
        registry.requireRole(outsider, ROLE["carrier"])
    with reverts_with("MissingRole", carrier, members["carrier"], ROLE["brand"]):
        registry.requireRole(carrier, ROLE["brand"])
    with reverts_with("MissingRole", carrier, members["carrier"], 0):
        registry.requireRole(carrier, 0)
    assert registry.isAuthorized(carrier, 0) is False
    assert registry.isAuthorized(outsider, ROLE["carrier"]) is False


def test_set_roles_replaces_roles(registry: Any, members: dict[str, int], admin: Any, carrier: Any) -> None:
    org = members["carrier"]
    tx = registry.setRoles(org, ROLE["carrier"] | ROLE["inspector"], {"from": admin})
    ev = tx.events["RolesChanged"]
    assert (ev["previousRoles"], ev["newRoles"]) == (ROLE["carrier"], ROLE["carrier"] | ROLE["inspector"])
    assert registry.isAuthorized(carrier, ROLE["inspector"]) is True
    with reverts_with("InvalidRoles", 0):
        registry.setRoles(org, 0, {"from": admin})
    with reverts_with("AccessControlUnauthorizedAccount"):
        registry.setRoles(org, ROLE["brand"], {"from": carrier})


def test_profile_update_by_manager(registry: Any, members: dict[str, int], brand: Any, carrier: Any) -> None:
    org = members["brand"]
    tx = registry.updateProfile(org, b"\x22" * 32, {"from": brand})
    assert tx.events["ProfileUpdated"]["newProfileHash"] == "0x" + "22" * 32
    assert registry.getOrganisation(org)["profileHash"] == "0x" + "22" * 32
    with reverts_with("UnauthorizedManager", carrier, org):
        registry.updateProfile(org, b"\x33" * 32, {"from": carrier})


def test_unknown_organisation(registry: Any, admin: Any) -> None:
    with reverts_with("NonexistentOrganisation", 9):
        registry.getOrganisation(9)
    with reverts_with("NonexistentOrganisation", 9):
        registry.addAccount(9, admin, False, {"from": admin})
    with reverts_with("NonexistentOrganisation", 9):
        registry.setRoles(9, 1, {"from": admin})
    with reverts_with("NonexistentOrganisation", 9):
        registry.reinstate(9, {"from": admin})


def test_require_any_role_accepts_one_of_several(
    registry: Any, members: dict[str, int], carrier: Any, admin: Any, outsider: Any
) -> None:
    either = ROLE["carrier"] | ROLE["brand"]
    assert registry.requireAnyRole(carrier, either) == members["carrier"]
    with reverts_with("MissingRole", carrier, members["carrier"], ROLE["brand"] | ROLE["financier"]):
        registry.requireAnyRole(carrier, ROLE["brand"] | ROLE["financier"])
    with reverts_with("UnregisteredAccount", outsider):
        registry.requireAnyRole(outsider, either)
    registry.suspend(members["carrier"], ZERO32, {"from": admin})
    with reverts_with("OrganisationIsSuspended", members["carrier"]):
        registry.requireAnyRole(carrier, either)


def test_lei_characters_outside_digits_and_capitals_are_rejected(registry: Any, admin: Any, brand: Any) -> None:
    count = registry.organisationCount()
    for bad in (b"5299-0000000000000" + lei(1)[18:].encode(), b"529900:000000000001" + b"0"):
        with reverts_with("InvalidLei", bad):
            registry.admit(bad, 0, b"DE", ROLE["brand"], ZERO32, brand, {"from": admin})
    assert registry.organisationCount() == count


def test_lei_check_digits_are_digits_never_letters(registry: Any, admin: Any, brand: Any) -> None:
    bad = (lei(1)[:18] + "AB").encode()  # letters are allowed in the first 18 characters only
    with reverts_with("InvalidLei", bad):
        registry.admit(bad, 0, b"DE", ROLE["brand"], ZERO32, brand, {"from": admin})


def test_consortium_admin_manages_a_suspended_organisation(
    registry: Any, members: dict[str, int], admin: Any, brand: Any, accounts: Any
) -> None:
    org = members["brand"]
    registry.suspend(org, ZERO32, {"from": admin})
    with reverts_with("OrganisationIsSuspended", org):
        registry.updateProfile(org, b"\x44" * 32, {"from": brand})  # its own manager may not, while suspended
    tx = registry.updateProfile(org, b"\x44" * 32, {"from": admin})
    assert tx.events["ProfileUpdated"]["newProfileHash"] == "0x" + "44" * 32
    registry.addAccount(org, accounts[15], False, {"from": admin})
    assert registry.organisationOf(accounts[15]) == (org, False)
    assert registry.getOrganisation(org)["activeAccounts"] == 2


# ------------------------------------------------------------------ GS1 company prefixes (issue 11)

GTIN14 = int("09506000134352")  # carries the prefix 9506000 after its indicator digit
SSCC18 = int("106141411234567897")  # carries 0614141 after its extension digit


def test_admin_licenses_a_company_prefix_and_the_longest_licensed_one_wins(
    registry: Any, members: dict[str, int], admin: Any
) -> None:
    assert registry.companyPrefixOwner(GTIN14, 14) == (members["brand"], 7)  # conftest.MEMBER_PREFIXES
    tx = registry.assignCompanyPrefix(950600013, 9, members["retailer"], {"from": admin})
    ev = tx.events["CompanyPrefixAssigned"]
    assert (ev["prefix"], ev["digits"], ev["previous"], ev["organisation"]) == (950600013, 9, 0, members["retailer"])
    assert registry.companyPrefixOwner(GTIN14, 14) == (members["retailer"], 9)
    assert registry.companyPrefixOwner(int("09506000999999"), 14) == (members["manufacturer"], 9)
    assert registry.companyPrefixOwner(int("09506000777771"), 14) == (members["brand"], 7)
    assert registry.companyPrefixOwner(SSCC18, 18) == (members["brand"], 7)
    assert registry.companyPrefixOwner(int("04000000000006"), 14) == (0, 0)


def test_a_prefix_of_leading_zeros_and_its_shorter_twin_are_different_prefixes(
    registry: Any, members: dict[str, int], admin: Any
) -> None:
    registry.assignCompanyPrefix(614141, 6, members["carrier"], {"from": admin})  # "614141", not "0614141"
    assert registry.companyPrefixOwner(SSCC18, 18) == (members["brand"], 7)
    assert registry.companyPrefixOwner(int("161414100000000004"), 18) == (members["carrier"], 6)


def test_reassigning_and_withdrawing_a_prefix(registry: Any, members: dict[str, int], admin: Any) -> None:
    tx = registry.assignCompanyPrefix(9506000, 7, members["retailer"], {"from": admin})
    assert tx.events["CompanyPrefixAssigned"]["previous"] == members["brand"]
    assert registry.companyPrefixOwner(GTIN14, 14) == (members["retailer"], 7)
    tx = registry.assignCompanyPrefix(9506000, 7, 0, {"from": admin})
    assert tx.events["CompanyPrefixAssigned"]["previous"] == members["retailer"]
    assert registry.companyPrefixOwner(GTIN14, 14) == (0, 0)


def test_only_the_admin_licenses_valid_prefixes_to_existing_organisations(
    registry: Any, members: dict[str, int], admin: Any, brand: Any
) -> None:
    assert registry.isAdmin(admin) and not registry.isAdmin(brand)
    with reverts_with("AccessControlUnauthorizedAccount"):
        registry.assignCompanyPrefix(4000000, 7, members["brand"], {"from": brand})
    for prefix, digits in ((123, 3), (1, 13), (10_000, 4), (10**12, 12)):
        with reverts_with("InvalidCompanyPrefix", prefix, digits):
            registry.assignCompanyPrefix(prefix, digits, members["brand"], {"from": admin})
    with reverts_with("NonexistentOrganisation", 99):
        registry.assignCompanyPrefix(4000000, 7, 99, {"from": admin})
