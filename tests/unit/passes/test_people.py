"""GB 11643 ID numbers: the check digit, normalising, masking, the keyed hash."""
import pytest

from cityops.domain.errors import InvalidInput
from cityops.domain.people import checked_id_number, id_check_digit, id_hash, mask_id_number


def test_a_known_valid_number_passes_and_its_check_digit_is_computed():
    assert id_check_digit("11010519491231002") == "X"
    assert checked_id_number("11010519491231002x") == "11010519491231002X"
    assert checked_id_number(" 110105 19491231002X ") == "11010519491231002X"


@pytest.mark.parametrize("bad", ["110105194912310021", "11010519491331002X", "1101051949123100", "A1010519491231002X",
                                 "11010518991231002X", ""])
def test_a_mistyped_digit_a_bad_birth_date_or_a_wrong_length_is_refused(bad):
    with pytest.raises(InvalidInput):
        checked_id_number(bad)


def test_the_hash_is_keyed_stable_and_the_same_for_spellings_of_one_number():
    a = id_hash("secret-1", "11010519491231002X")
    assert a == id_hash("secret-1", "11010519491231002x") and len(a) == 64
    assert a != id_hash("secret-2", "11010519491231002X")
    assert "11010519491231002X" not in a


def test_masking_keeps_the_first_three_and_the_last_four():
    assert mask_id_number("11010519491231002X") == "110***********002X"
