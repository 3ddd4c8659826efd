import math
import re

import pytest

from elearn.certificates.codes import ALPHABET, CODE_LENGTH, format_code, new_code, normalise_code

VALID = "7KQM2XPD9HTA4RWC"


def test_alphabet_has_30_unambiguous_symbols():
    assert len(ALPHABET) == len(set(ALPHABET)) == 30
    assert not set("0O1ILU") & set(ALPHABET)


def test_a_code_carries_at_least_60_random_bits():
    assert CODE_LENGTH * math.log2(len(ALPHABET)) >= 60


def test_new_code_is_16_symbols_of_the_alphabet():
    for _ in range(200):
        code = new_code()
        assert re.fullmatch(f"[{ALPHABET}]{{16}}", code)
        assert normalise_code(code) == code


def test_new_codes_do_not_repeat():
    assert len({new_code() for _ in range(2000)}) == 2000


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("7KQM2XPD9HTA4RWC", VALID),
        ("7KQM-2XPD-9HTA-4RWC", VALID),
        ("7kqm-2xpd-9hta-4rwc", VALID),
        ("  7KQM 2XPD 9HTA 4RWC  ", VALID),
        ("7KQM\t2XPD\n9HTA\u00a04RWC", VALID),  # tab, newline, no-break space
        ("7KQM--2XPD-9HTA-4RWC-", VALID),
        ("7KQM-2XPD-9HTA-4RW", None),  # too short
        ("7KQM-2XPD-9HTA-4RWCX", None),  # too long
        ("", None),
        ("----", None),
        ("7KQM-2XPD-9HTA-4RW0", None),  # zero is not in the alphabet
        ("7KQM-2XPD-9HTA-4RWO", None),  # nor is the letter O
        ("7KQM-2XPD-9HTA-4RW1", None),
        ("7KQM-2XPD-9HTA-4RWI", None),
        ("7KQM-2XPD-9HTA-4RWL", None),
        ("7KQM-2XPD-9HTA-4RWU", None),
        ("7KQM-2XPD-9HTA-4RWС", None),  # Cyrillic Es, looks like C
        ("７KQM-2XPD-9HTA-4RWC", None),  # full-width seven
        ("7KQM-2XPD-9HTA-4RWſ", None),  # long s upper-cases to S
        ("7KQM-2XPD-9HTA-4RWß", None),  # sharp s upper-cases to SS
        ("7KQM_2XPD_9HTA_4RWC", None),
        ("' OR '1'='1' --", None),
        ("7KQM2XPD9HTA4RWC'; DROP TABLE certificates; --", None),
        ("7KQM2XPD9HTA4RW%", None),
        ("<script>alert(1)</script>", None),
        ("A" * 10_000, None),
        ("-" * 10_000 + VALID, None),  # refused on length before any other work
        ("7KQM\x002XPD9HTA4RWC", None),
    ],
)
def test_normalise_code(raw, expected):
    assert normalise_code(raw) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (VALID, "7KQM-2XPD-9HTA-4RWC"),
        ("2222333344445555", "2222-3333-4444-5555"),
    ],
)
def test_format_code_groups_in_fours(code, expected):
    assert format_code(code) == expected


def test_formatted_code_normalises_back():
    code = new_code()
    assert normalise_code(format_code(code)) == code
