"""Compressed GS1 Digital Link URIs: the published examples decompress to their links and compress back, our own
links survive the round trip, and every way a compressed segment can be wrong is refused with its rule."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradechain.errors import InputError
from tradechain.formats import dl_compression as dlc
from tradechain.formats import gs1

DOMAIN = "https://id.gs1.org"

# Published examples, compressed segment -> uncompressed path and query on the same domain, all without GS1's
# optimisation codes (compress(..., optimise=False) gives them back): the test suite of Solidsoft Reply's
# Gs1DigitalLinkLib (a port of GS1's compression prototype), Tests/Features/CompressGs1DigitalLink.feature and
# AdditionalUriContent.feature, and of TrustCodes' gs1-compression.
PUBLISHED = {
    "AN2yxDhfaiaw": "/00/998440410914660971",
    "AQnYUc1gmg": "/01/05412345000013",
    "AQnYUc1gmiCNV4JG": "/01/05412345000013/10/ABC123",
    "AQnYUc1gmiCNV4JGQhcNT6K6c": "/01/05412345000013/10/ABC123/21/72292641703",
    "AQnYUc1gmiCNV4JGQhcNT6K6cibQCWN9Pee9tT-PQ": "/01/05412345000013/22/AJY3095721P49/10/ABC123/21/72292641703",
    "AQnYUc1gmiCNV4JGRNoBLG-nvPe2p_Ho": "/01/05412345000013/22/AJY3095721P49/10/ABC123",
    "AQnYUc1gmkax7ipGrOHDPC5YNI8hMz": "/01/05412345000013/235/8TFV883a904GH%263",
    "AQnYUc1gmkIXDU-iun": "/01/05412345000013/21/72292641703",
    "AQnYUc1gmkIXDU-iunIm0AljfT3nvbU_j0": "/01/05412345000013/22/AJY3095721P49/21/72292641703",
    "AQnYUc1gmkTaASxvp7z3tqfx6": "/01/05412345000013/22/AJY3095721P49",
    "JTLIetaiHYA": "/253/3060077601309",
    "JVUqG5hJ5wA": "/255/5678409730535",
    "QBl2DVoxZM2jVm3ZOWEFoxTR5HDgzZg": "/401/0541234537290A41%26GHpp33",
    "QCJZyW9mC6Z4": "/402/21173492661712079",
    "QUSaVjC_dA": "/414/5060917510004",
    "JUa0T-eifdtOO9UFEmlYwv3Q": "/414/5060917510004/254/RP56J920471",
    "QUSaVjC_dHBAVlCrg": "/414/5060917510004/7040/5KFX",
    "QXSaVjC_dA": "/417/5060917510004",
    "QXSaVjC_dHBAVlCrg": "/417/5060917510004/7040/5KFX",
    "gAMJCAXukTMA": "/8003/04965031954585",
    "gASXYNWjFkzaNWbdk5YQWjFNHkcODNm": "/8004/0541234537290A41%26GHpp33",
    "gAYMBI_bNGwJk": "/8006/054123450000130201",
    "EEarwSOABgwEj9s0bAmQ": "/8006/054123450000130201/10/ABC123",
    "EEarwSMhC4an0V08ADBgJH7Zo2BMg": "/8006/054123450000130201/10/ABC123/21/72292641703",
    "IQuGp9FdPAAwYCR-2aNgTI": "/8006/054123450000130201/21/72292641703",
    "gBCVYNWjFkzaNWbdk5YQWjFHHkM2Y": "/8010/0541234537290A41%23GH33",
    "gBCVYNWjFkzaNWbdk5YQWjFHHkM2cAI0xdvpGo": "/8010/0541234537290A41%23GH33/8011/6639047221",
    "gBN05060917511473062B98T": "/8013/5060917511473062B98T",
    "gBe1ajAd9ATDk": "/8017/817019610850151481",
    "gBe1ajAd9ATDmAGXPRfk": "/8017/817019610850151481/8019/4003812",
    "gBhbV6rzBENPk": "/8018/411369833821910265",
    "gBhbV6rzBENPmAGXPRfk": "/8018/411369833821910265/8019/4003812",
    "ABeRcNWtKMPA": "/00/106141412345678908",
    "QUCO_anbfA": "/414/0614141123452",
    "ARHKVAdpQg": "/01/09780345418913",
    "AREjalurbiAUO-cgohCz45Z67b8A": "/01/09421902960055/10/2010005828/21/xyz1234",
    "AQEd-1O2-GIGAD6A": "/01/00614141123452?3103=000500",
    "AQnYUc1gmiCNV4JGYgYAF6ckaEPg": "/01/05412345000013/10/ABC123?3103=000189&3923=2172",
    "AQnYUc1gmiCNV4JGLo3DY?arv=true&donor=bmgf": "/01/05412345000013/10/ABC123?17=290331&arv=true&donor=bmgf",
    "AQnYUc1gmiERBhQ0ytiyZuAGOLc1TQ?expdt=1903061658&k1=v1": (
        "/01/05412345000013/10/ABC%26%2B123?7003=1903061658&expdt=1903061658&k1=v1"
    ),
}

# Published examples whose compressed form is not the one compress() writes: non-GS1 pairs compressed into the
# segment (we keep them in the query), a primary key left uncompressed, or GS1's optimisation codes.
DECOMPRESS_ONLY = {
    "AQnYUc1gmiCNV4JGLo3Dfg2q72Etrue8K7RPRWwjc0D4": "/01/05412345000013/10/ABC123?17=290331&arv=true&donor=bmgf",
    "01/05412345000013/EEarwSMXRuGw?arv=true&donor=bmgf": (
        "/01/05412345000013/10/ABC123?17=290331&arv=true&donor=bmgf"
    ),
    "AQnYUc1gmiERBhQ0ytiyZuAGOLc1TXgpNWCv1": "/01/05412345000013/10/ABC%26%2B123?7003=1903061658&k1=v1",
    "AQnYUc1gmiERBhQ0ytiyZuAGOLc1TXhXsaXbQKHFuaprwUmrBX6g": (
        "/01/05412345000013/10/ABC%26%2B123?7003=1903061658&expdt=1903061658&k1=v1"
    ),
}

# GS1's compression prototype, src-decompression-only/demo-minimal3.html: optimisation code 0E (01 + 7003). Its
# uncompressed form is the prototype's README example (ABC&+123, 7003=1903061658), which compress() gives it back.
OPTIMISED = {"DgnYUc1gmji3NU0IREGFDTK2LJm": "/01/05412345000013/10/ABC%26%2B123?7003=1903061658"}


@pytest.mark.parametrize(("compressed", "uncompressed"), sorted(PUBLISHED.items()))
def test_a_published_example_decompresses_to_its_link_and_compresses_back(compressed: str, uncompressed: str) -> None:
    assert dlc.decompress(f"{DOMAIN}/{compressed}") == DOMAIN + uncompressed
    assert dlc.compress(DOMAIN + uncompressed, optimise=False) == f"{DOMAIN}/{compressed}"


@pytest.mark.parametrize(("compressed", "uncompressed"), sorted(DECOMPRESS_ONLY.items()))
def test_a_published_example_compressed_another_way_decompresses_to_its_link(
    compressed: str, uncompressed: str
) -> None:
    assert dlc.decompress(f"{DOMAIN}/{compressed}") == DOMAIN + uncompressed
    assert dlc.decompress(dlc.compress(DOMAIN + uncompressed)) == DOMAIN + uncompressed


@pytest.mark.parametrize(("compressed", "uncompressed"), sorted(OPTIMISED.items()))
def test_a_published_optimised_example_decompresses_and_compresses_back(compressed: str, uncompressed: str) -> None:
    assert dlc.decompress(f"http://example.org/{compressed}") == "http://example.org" + uncompressed
    assert dlc.compress("http://example.org" + uncompressed) == f"http://example.org/{compressed}"


def test_each_optimisation_code_is_used_for_its_ais_and_decoded_back() -> None:
    gtin = "05412345000013"
    link = f"{DOMAIN}/01/{gtin}/10/ABC123/21/S1?17=291231&3103=000189"
    compressed = dlc.compress(link)
    assert compressed.startswith(f"{DOMAIN}/G")  # 1A = 01 + 10 + 21 + 17, the longest sequence, first
    assert dlc.decompress(compressed) == f"{DOMAIN}/01/{gtin}/10/ABC123/21/S1?17=291231&3103=000189"
    assert dlc.compress(f"{DOMAIN}/01/{gtin}?3103=000189").startswith(f"{DOMAIN}/L")  # 2D = 01 + 3103
    assert dlc.compress(f"{DOMAIN}/8018/411369833821910265/8019/4003812") == f"{DOMAIN}/nFtXqvMEQ0-XPRfk"  # 9C
    assert dlc.decompress(f"{DOMAIN}/nFtXqvMEQ0-XPRfk") == f"{DOMAIN}/8018/411369833821910265/8019/4003812"
    assert dlc.compress(f"{DOMAIN}/01/{gtin}/10/ABC123", optimise=False) == f"{DOMAIN}/AQnYUc1gmiCNV4JG"


def test_the_path_prefix_query_and_fragment_are_kept() -> None:
    link = "https://brand.example.com/products/01/05412345000013/10/ABC123?17=290331&utm=x#top"
    compressed = dlc.compress(link, optimise=False)
    assert compressed == "https://brand.example.com/products/AQnYUc1gmiCNV4JGLo3DY?utm=x#top"
    assert dlc.decompress(compressed) == link


def test_links_that_decode_but_break_our_digital_link_rules_are_refused_saying_which() -> None:
    """Published examples that GS1 Digital Link 1.4 as tradechain.formats.gs1 reads it refuses: 415 is not a
    primary key; 7040 does not qualify /8004/ (it becomes a query attribute); the Barcode Syntax Dictionary's
    pairing rules give 22 only with 01, 240 only with 01/02/03/8006/8026."""
    with pytest.raises(InputError, match=r"no Digital Link primary key: the first AI, AI 415 \(PAY TO\)"):
        dlc.decompress(f"{DOMAIN}/QVSaVjC_dA")
    assert (
        dlc.decompress(f"{DOMAIN}/cEB2CqjAAkuwatGLJm0as27JywgtGKaPI4cGbM")
        == f"{DOMAIN}/8004/0541234537290A41%26GHpp33?7040=7BVR"
    )
    with pytest.raises(InputError, match=r"cpv: AI 22 \(CPV\) requires AI 01"):
        dlc.decompress(f"{DOMAIN}/EEarwSMibQCWN9Pee9tT-PYAGDASP2zRsCZ")
    with pytest.raises(InputError, match=r"AI 240 \(ADDITIONAL ID\) requires AI 01"):
        dlc.decompress(f"{DOMAIN}/JAaasHt_dNNt4ADESMALumsUfMAm34")


@pytest.mark.parametrize("segment", ["AQnYUc1gmg", "AQnYUc1gmiCNV4JGLo3DY", "gBhbV6rzBENPmAGXPRfk", "QUSaVjC_dA"])
def test_a_compressed_segment_is_recognised(segment: str) -> None:
    assert dlc.is_compressed(segment)


@pytest.mark.parametrize(
    "segment",
    ["", "01", "05412345000013", "ABC123", "72292641703", "products", "AQnYUc1gmg=", "AQnY/Uc1gmg", "QVSaVjC_dA"],
)
def test_an_uncompressed_segment_or_one_without_a_primary_key_is_not_recognised(segment: str) -> None:
    assert not dlc.is_compressed(segment)


# --- the round trip over our own links ----------------------------------------------------------------------------

_CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
_text = st.text(alphabet=_CSET82, min_size=1, max_size=20)
_hexish = st.text(alphabet="0123456789ABCDEF", min_size=1, max_size=20)
_b64 = st.text(alphabet=dlc.BASE64URL, min_size=1, max_size=20)
_value = st.one_of(_text, _hexish, _hexish.map(str.lower), _b64, st.from_regex(r"[0-9]{1,20}", fullmatch=True))


@st.composite
def _links(draw: st.DrawFn) -> str:
    gtin = gs1.with_check_digit(draw(st.from_regex(r"[0-9]{13}", fullmatch=True)))
    path = f"/01/{gtin}"
    for ai in ("22", "10", "21"):
        if draw(st.booleans()):
            path += f"/{ai}/{quote(draw(_value), safe='')}"
    query = []
    if draw(st.booleans()):
        query.append(f"17={draw(st.integers(0, 99)):02d}{draw(st.integers(1, 12)):02d}{draw(st.integers(0, 28)):02d}")
    if draw(st.booleans()):
        query.append(f"310{draw(st.integers(0, 5))}={draw(st.integers(0, 999999)):06d}")
    if draw(st.booleans()):
        query.append(f"7003={draw(st.integers(0, 99)):02d}1231{draw(st.integers(0, 23)):02d}59")
    if draw(st.booleans()):
        query.append(f"91={quote(draw(st.text(alphabet=_CSET82, min_size=1, max_size=90)), safe='')}")
    if draw(st.booleans()):
        query.append("linkType=gs1%3Apip")
    prefix = draw(st.sampled_from(["", "/p", "/a/b-c"]))
    return f"https://brand.example.com{prefix}{path}" + ("?" + "&".join(query) if query else "")


def _shape(link: str) -> tuple[str, list[str]]:
    stem, _, query = link.partition("?")
    return stem, sorted(query.split("&")) if query else []


@settings(max_examples=300, deadline=None)
@given(link=_links(), optimise=st.booleans())
def test_every_link_of_ours_survives_compression(link: str, optimise: bool) -> None:
    compressed = dlc.compress(link, optimise=optimise)
    segment = compressed.split("?")[0].rsplit("/", 1)[1]
    assert dlc.is_compressed(segment)
    back = dlc.decompress(compressed)
    assert _shape(back) == _shape(link)
    assert gs1.parse_digital_link(back).to_json() == gs1.parse_digital_link(link).to_json()
    assert dlc.compress(back, optimise=optimise) == compressed


@settings(max_examples=200, deadline=None)
@given(segment=st.text(alphabet=dlc.BASE64URL, min_size=1, max_size=40))
def test_any_base64url_segment_decompresses_or_is_refused_with_a_rule(segment: str) -> None:
    try:
        link = dlc.decompress(f"{DOMAIN}/{segment}")
    except InputError as exc:
        assert exc.field == "digital link" and exc.rule
        assert not dlc.is_compressed(segment)
    else:
        assert dlc.is_compressed(segment)
        gs1.parse_digital_link(link)


# --- bad input: one test per rule ---------------------------------------------------------------------------------


def _segment(bits: str) -> str:
    """The base64url segment of a bit string written in groups ('0000 0001 ...'), zero-padded to 6 bits."""
    bits = bits.replace(" ", "")
    bits += "0" * (-len(bits) % 6)
    return "".join(dlc.BASE64URL[int(bits[i : i + 6], 2)] for i in range(0, len(bits), 6))


GTIN_BITS = format(5412345000013, "047b")  # AI 01's value, 14 digits in 47 bits


def _refused(uri: str, rule: str) -> InputError:
    with pytest.raises(InputError) as caught:
        dlc.decompress(uri)
    assert caught.value.field == "digital link"
    assert rule in caught.value.rule, caught.value.rule
    assert caught.value.value == uri
    assert caught.value.user_message.startswith("digital link: ")
    return caught.value


def test_refused_a_uri_that_is_not_http() -> None:
    _refused("ftp://id.gs1.org/AQnYUc1gmg", "must be an http(s) URI")


def test_refused_a_uri_ending_with_a_slash() -> None:
    _refused(f"{DOMAIN}/AQnYUc1gmg/", "ends with '/'")


def test_refused_a_segment_outside_the_base64url_alphabet() -> None:
    _refused(f"{DOMAIN}/AQnYUc1gmg%3D", "only the base64url alphabet A-Z a-z 0-9 - _")


def test_refused_a_truncated_bit_string() -> None:
    _refused(f"{DOMAIN}/AQnYUc1g", "truncated: it ends inside AI 01 (GTIN)")


def test_refused_an_ai_no_application_identifier_starts_with() -> None:
    _refused(f"{DOMAIN}/{_segment('0010 0110' + '0' * 40)}", "no GS1 application identifier starts with 26")


def test_refused_an_ai_with_a_hex_digit() -> None:
    _refused(
        f"{DOMAIN}/{_segment('1000 0000 1010 0000' + '0' * 40)}", "application identifier 80A... is not all digits"
    )


def test_refused_an_unknown_four_digit_ai() -> None:
    _refused(f"{DOMAIN}/{_segment('1000 0000 1001 1001' + '0' * 40)}", "unknown application identifier 8099")


def test_refused_an_unknown_optimisation_code() -> None:
    _refused(f"{DOMAIN}/{_segment('1011 0000' + '0' * 40)}", "no optimisation code B0 in GS1's optimisation table")


def test_refused_an_unknown_encoding_indicator() -> None:
    _refused(f"{DOMAIN}/{_segment('0000 0001' + GTIN_BITS + '0001 0000 101 00001 0000000')}", "encoding indicator 5")


def test_refused_a_value_longer_than_its_ai_allows() -> None:
    bits = "0000 0001" + GTIN_BITS + "0001 0000 011 10101" + "000000" * 21  # AI 10: 21 characters, X..20
    _refused(f"{DOMAIN}/{_segment(bits)}", "AI 10 (BATCH/LOT) gives a length of 21: it is at most 20 characters")


def test_refused_an_empty_value() -> None:
    _refused(f"{DOMAIN}/{_segment('0000 0001' + GTIN_BITS + '0001 0000 011 00000')}", "a length of 0: it must not be")


def test_refused_digits_that_overflow_their_length() -> None:
    _refused(f"{DOMAIN}/{_segment('0000 0001' + '1' * 47)}", "AI 01 (GTIN) decodes to 140737488355327, more than")


def test_refused_padding_that_is_not_zero() -> None:
    _refused(f"{DOMAIN}/AQnYUc1gmh", "the padding after the last element is not zero bits")


def test_refused_an_ai_given_twice() -> None:
    bits = "0000 0001" + GTIN_BITS + "0000 1100" + GTIN_BITS + "010 00001 0001"  # 01, then 0C = 01 + 21
    _refused(f"{DOMAIN}/{_segment(bits)}", "AI 01 (GTIN) is given twice")


def test_refused_a_non_gs1_pair_with_an_empty_key() -> None:
    _refused(f"{DOMAIN}/{_segment('0000 0001' + GTIN_BITS + '1111 0000000 011 0000001 000000')}", "an empty key")


def test_refused_a_non_gs1_key_that_is_an_ai_name() -> None:
    key = "".join(format(dlc.BASE64URL.index(c), "06b") for c in "17")
    bits = "0000 0001" + GTIN_BITS + "1111 0000010" + key + "000 0000110" + format(291231, "020b")
    _refused(f"{DOMAIN}/{_segment(bits)}", "non-GS1 key '17' is all digits, which is the name of an AI")


def test_refused_a_link_with_no_primary_key() -> None:
    _refused(f"{DOMAIN}/{_segment('0001 0000 010 00001 1010')}", "holds no Digital Link primary key")


def test_refused_a_wrong_check_digit() -> None:
    segment = dlc.encode_elements([("01", "05412345000014")])
    _refused(f"{DOMAIN}/{segment}", "decodes to /01/05412345000014, where gtin (AI 01): GTIN check digit is wrong")


def test_refused_a_value_outside_character_set_82() -> None:
    bits = "0000 0001" + GTIN_BITS + "0001 0000 100 00001 0000001"  # AI 10 holding ASCII 1 (SOH)
    _refused(f"{DOMAIN}/{_segment(bits)}", "where lot: a lot (AI 10) uses only GS1 character set 82")


def test_refused_an_impossible_date() -> None:
    segment = dlc.encode_elements([("01", "05412345000013"), ("17", "291301")])
    _refused(f"{DOMAIN}/{segment}", "where expiry (AI 17): month 13 is not 01-12")


def test_refused_key_qualifiers_of_two_kinds() -> None:
    segment = dlc.encode_elements([("01", "05412345000013"), ("21", "S1"), ("235", "T1")])
    _refused(f"{DOMAIN}/{segment}", "after /01/ the path may hold /22/, /10/ and /21/ in that order, or /235/ alone")


def test_compress_refuses_what_the_digital_link_parser_refuses() -> None:
    with pytest.raises(InputError, match="GTIN check digit is wrong"):
        dlc.compress(f"{DOMAIN}/01/05412345000014")
    with pytest.raises(InputError, match="no primary key"):
        dlc.compress(f"{DOMAIN}/products/ABC")


def test_compress_refuses_an_ai_whose_format_has_no_compressed_form() -> None:
    with pytest.raises(InputError, match=r"AI 4330 \(MAX TEMP F\) has a format with no compressed form here"):
        dlc.compress(f"{DOMAIN}/00/106141412345678908?4330=012345")


def test_ai_formats_are_read_as_gs1s_compression_prototype_encodes_them() -> None:
    part = dlc.Part
    assert dlc.parts("01") == (part(True, 14, False),)
    assert dlc.parts("8006") == (part(True, 18, False),)  # N14+N2+N2: one fixed numeric component
    assert dlc.parts("8003") == (part(True, 14, False), part(False, 16, True, True))  # N14[+X..16]
    assert dlc.parts("7230") == (part(False, 30, True),)  # X2+X..28
    assert dlc.parts("7007") == (part(True, 6, False), part(True, 6, True, True))  # N6[+N6]
    assert dlc.parts("7040") == (part(True, 1, False), part(False, 3, False))  # N1+X3
    assert dlc.parts("8010") == (part(False, 30, True),)  # Y..30 (CSET 39)
    assert dlc.parts("4330") is None and dlc.parts("9999") is None
    assert [dlc.value_bits(n) for n in (1, 2, 6, 13, 14, 18)] == [4, 7, 20, 44, 47, 60]
