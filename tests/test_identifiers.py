import numpy as np
import pytest

from joinedup.identifiers import (
    NhsNumber,
    is_valid_nhs_number,
    nhs_check_digit,
    nhs_number_problem,
    valid_nhs_numbers,
)


@pytest.mark.parametrize("value", ["9434765919", "943 476 5919", "943-476-5919", "4010232137"])
def test_valid_nhs_numbers_pass(value):
    assert is_valid_nhs_number(value)


@pytest.mark.parametrize(
    "value,problem",
    [
        ("9434765918", "fails modulus 11 check"),
        ("9434765991", "fails modulus 11 check"),  # transposed last two digits
        ("1111111111", "all digits identical"),
        ("943476591", "not 10 digits"),
        ("94347659AB", "not 10 digits"),
        ("", "missing"),
        (None, "missing"),
    ],
)
def test_invalid_nhs_numbers_say_why(value, problem):
    assert nhs_number_problem(value) == problem


def test_a_check_digit_of_ten_means_no_valid_number():
    # 10*1 + 9*0 + ... chosen so that 11 - total % 11 == 10
    nine = next(f"{i:09d}" for i in range(10**6) if nhs_check_digit(f"{i:09d}") is None)
    assert all(not is_valid_nhs_number(nine + str(d)) for d in range(10))


def test_nhs_number_type_normalises_and_hides_its_value():
    number = NhsNumber("943 476 5919")
    assert number == "9434765919"
    assert "9434765919" not in repr(number)
    with pytest.raises(ValueError) as raised:
        NhsNumber("9434765918")
    assert "9434765918" not in str(raised.value)


def test_vectorised_check_digits_agree_with_the_scalar_rule():
    rng = np.random.default_rng(0)
    digits = rng.integers(0, 10, size=(2000, 9))
    vectorised = valid_nhs_numbers(digits)
    for row, check in zip(digits, vectorised, strict=True):
        scalar = nhs_check_digit("".join(map(str, row)))
        assert check == (-1 if scalar is None else scalar)


def test_the_three_forms_of_the_nhs_number_rule_agree():
    import duckdb
    import numpy as np

    from joinedup.identifiers import is_valid_nhs_number, nhs_number_valid_sql, valid_nhs_numbers

    rng = np.random.default_rng(8)
    first = rng.integers(0, 10, size=(3000, 9))
    checks = valid_nhs_numbers(first)
    numbers = ["".join(map(str, row)) + str(int(c) if c >= 0 else rng.integers(0, 10)) for row, c in
               zip(first, checks, strict=True)]  # fmt: skip
    numbers += [n[:9] + str((int(n[9]) + 1) % 10) for n in numbers[:500]]  # a wrong check digit
    numbers += ["1111111111", "0000000000", "943476591", "94347659190", "943476591x"]
    in_sql = duckdb.connect().execute(
        f"SELECT {nhs_number_valid_sql('n')} FROM unnest(?) t(n)", [numbers]
    ).fetchall()
    assert [bool(v) for (v,) in in_sql] == [is_valid_nhs_number(n) for n in numbers]
    assert any(is_valid_nhs_number(n) for n in numbers) and not all(map(is_valid_nhs_number, numbers))
