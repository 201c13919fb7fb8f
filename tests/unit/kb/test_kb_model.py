"""Knowledge-base entries: validation names the field, validity windows, versions."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from cityops.domain.errors import InvalidInput
from cityops.domain.kb.model import MAX_ANSWER, MAX_QUESTION, current_versions, history

from .conftest import at, entry


def test_a_complete_entry_has_no_problems():
    assert entry().problems() == []
    assert entry().validated() == entry()


@pytest.mark.parametrize("field", ["question", "answer", "category", "id"])
@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_a_blank_required_text_is_refused_naming_the_field(field, blank):
    with pytest.raises(InvalidInput) as err:
        entry(**{field: blank}).validated()
    assert err.value.field == field


def test_question_and_answer_may_be_as_long_as_the_limit_but_no_longer():
    assert entry(question="问" * MAX_QUESTION, answer="答" * MAX_ANSWER).problems() == []
    with pytest.raises(InvalidInput) as err:
        entry(question="问" * (MAX_QUESTION + 1)).validated()
    assert err.value.field == "question" and str(MAX_QUESTION) in err.value.message
    with pytest.raises(InvalidInput) as err:
        entry(answer="答" * (MAX_ANSWER + 1)).validated()
    assert err.value.field == "answer"


def test_valid_to_before_valid_from_is_refused_on_valid_to():
    with pytest.raises(InvalidInput) as err:
        entry(valid_from=at(2022, 3, 28), valid_to=at(2022, 3, 27)).validated()
    assert err.value.field == "valid_to"
    assert [p.field for p in entry(valid_from=at(2022, 3, 28), valid_to=at(2022, 3, 28)).problems()] == ["valid_to"]


def test_dates_without_a_timezone_are_refused():
    naive = datetime(2022, 3, 28)
    assert [p.field for p in entry(valid_from=naive).problems()] == ["valid_from"]
    assert [p.field for p in entry(valid_to=naive).problems()] == ["valid_to"]


def test_every_problem_is_listed_and_the_first_field_is_named():
    e = entry(question="", answer="", valid_from=at(2022, 3, 2), valid_to=at(2022, 3, 1), version=0)
    fields = [p.field for p in e.problems()]
    assert fields == ["question", "answer", "version", "valid_to"]
    with pytest.raises(InvalidInput) as err:
        e.validated()
    assert err.value.field == "question" and "answer" in err.value.message


def test_an_unknown_category_is_a_problem_only_when_the_known_ones_are_given():
    assert entry(category="epi.nope").problems() == []
    assert [p.field for p in entry(category="epi.nope").problems({"epi.testing"})] == ["category"]


def test_validated_trims_text_and_deduplicates_keywords():
    e = entry(question="  几点开放？ ", keywords=("核酸", " 核酸 ", "", "采样点")).validated()
    assert e.question == "几点开放？"
    assert e.keywords == ("核酸", "采样点")


def test_validity_includes_the_start_and_excludes_the_end():
    e = entry(valid_from=at(2022, 3, 18, 0), valid_to=at(2022, 3, 21, 0))
    assert not e.is_valid_at(at(2022, 3, 18, 0) - timedelta(seconds=1))
    assert e.is_valid_at(at(2022, 3, 18, 0))
    assert e.is_valid_at(at(2022, 3, 20, 23))
    assert not e.is_valid_at(at(2022, 3, 21, 0))
    assert e.is_expired_at(at(2022, 3, 21, 0)) and not e.is_expired_at(at(2022, 3, 17))


def test_an_entry_without_valid_to_never_expires():
    assert entry(valid_to=None).is_valid_at(at(2030, 1, 1))


def test_validity_compares_instants_across_timezones():
    from datetime import timezone

    e = entry(valid_from=at(2022, 3, 28, 5))  # 05:00 in Shanghai = 21:00 UTC the day before
    assert e.is_valid_at(datetime(2022, 3, 27, 21, 0, tzinfo=timezone.utc))
    assert not e.is_valid_at(datetime(2022, 3, 27, 20, 59, tzinfo=timezone.utc))


def test_asking_validity_with_a_naive_now_is_refused():
    with pytest.raises(InvalidInput) as err:
        entry().is_valid_at(datetime(2022, 3, 28))
    assert err.value.field == "now"


def test_a_revision_closes_the_old_version_and_starts_the_next_one_now():
    old = entry(answer="旧口径")
    now = at(2022, 3, 28, 9)
    closed, new = old.revise(now, answer="新口径")
    assert closed.valid_to == now and closed.version == 1 and closed.answer == "旧口径"
    assert new.version == 2 and new.valid_from == now and new.answer == "新口径" and new.valid_to is None
    assert not closed.is_valid_at(now) and new.is_valid_at(now)
    with pytest.raises(InvalidInput):
        old.revise(now, version=5)


def test_the_current_version_is_the_highest_one_valid_now():
    v1 = entry(answer="一", valid_from=at(2022, 3, 1))  # left open: superseded, not closed
    v2 = entry(answer="二", version=2, valid_from=at(2022, 3, 28))
    v3 = entry(answer="三", version=3, valid_from=at(2022, 6, 29))
    other = entry(id="KB-T2", valid_to=at(2022, 3, 10))
    all_ = [v3, other, v1, v2]
    assert current_versions(all_, at(2022, 3, 5)) == [v1, other]
    assert current_versions(all_, at(2022, 4, 1)) == [v2]
    assert current_versions(all_, at(2022, 7, 1)) == [v3]
    assert history(all_, "KB-T1") == [v1, v2, v3]
