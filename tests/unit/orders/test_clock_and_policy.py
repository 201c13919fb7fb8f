from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, strategies as st

from cityops.domain.errors import InvalidInput
from cityops.domain.orders.clock import Clock, WorkCalendar, add_working_time, working_time_between
from cityops.domain.orders.policy import (DeadlinePolicy, EscalationLevel, EscalationStep, Mode, Urgency,
                                          choose_policy, default_policies)

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar(holidays=frozenset({date(2022, 4, 4), date(2022, 4, 5)}), workdays=frozenset({date(2022, 4, 2)}))


def test_working_time_skips_the_night_and_the_weekend():
    fri_4pm = datetime(2022, 3, 25, 16, 0, tzinfo=SH)
    # 1.5 h left on Friday, the rest on Monday morning
    assert add_working_time(CAL, fri_4pm, 120) == datetime(2022, 3, 28, 9, 30, tzinfo=SH)


def test_holidays_are_skipped_and_make_up_workdays_count():
    sat_makeup = datetime(2022, 4, 2, 9, 0, tzinfo=SH)
    assert add_working_time(CAL, sat_makeup, 60) == datetime(2022, 4, 2, 10, 0, tzinfo=SH)
    fri = datetime(2022, 4, 1, 17, 0, tzinfo=SH)
    # Fri 17:00 + 1h: 30 min Friday, Sat 2 Apr is a make-up workday: 09:30
    assert add_working_time(CAL, fri, 60) == datetime(2022, 4, 2, 9, 30, tzinfo=SH)
    sat = datetime(2022, 4, 2, 17, 30, tzinfo=SH)
    # Sun off, Mon 4 + Tue 5 holidays (清明): next working minute is Wed 6 Apr
    assert add_working_time(CAL, sat, 30) == datetime(2022, 4, 6, 9, 30, tzinfo=SH)


@given(st.integers(min_value=0, max_value=60 * 24 * 30), st.integers(min_value=0, max_value=5000))
def test_working_time_between_inverts_add(start_minutes, minutes):
    start = datetime(2022, 3, 20, tzinfo=SH) + timedelta(minutes=start_minutes)
    end = add_working_time(CAL, start, minutes)
    assert working_time_between(CAL, start, end) == timedelta(minutes=minutes)
    assert end >= start


def test_24x7_clock_is_plain_addition():
    t = datetime(2022, 3, 26, 23, 0, tzinfo=SH)
    assert Clock("24x7").add(t, 120) == t + timedelta(hours=2)


def test_unknown_clock_kind_is_refused():
    with pytest.raises(InvalidInput):
        Clock("lunar")


@pytest.mark.parametrize("changes, field", [
    ({"resolve_minutes": -5}, "resolve_minutes"),
    ({"accept_minutes": 300, "resolve_minutes": 120}, "resolve_minutes"),
    ({"feedback_minutes": 500, "resolve_minutes": 120}, "feedback_minutes"),
    ({"warn_fractions": (0.8, 0.5)}, "warn_fractions"),
    ({"warn_fractions": (1.5,)}, "warn_fractions"),
    ({"escalation": (EscalationStep(60, EscalationLevel.UNIT_LEAD), EscalationStep(30, EscalationLevel.CENTER_SUPERVISOR))}, "escalation"),
])
def test_policies_that_make_no_sense_are_refused(changes, field):
    base = dict(mode=Mode.EPIDEMIC, urgency=Urgency.CRITICAL, accept_minutes=15, feedback_minutes=60, resolve_minutes=120)
    base.update(changes)
    with pytest.raises(InvalidInput) as e:
        DeadlinePolicy(**base).validated()
    assert e.value.field == field


def test_default_policies_are_all_valid_and_round_trip():
    for p in default_policies():
        assert p.validated() == p
        assert DeadlinePolicy.from_dict(p.to_dict()) == p


def test_a_category_policy_beats_the_general_one_and_covers_children():
    special = DeadlinePolicy(Mode.EPIDEMIC, Urgency.NORMAL, "epi", "24x7", 60, None, 600)
    policies = default_policies() + [special]
    assert choose_policy(policies, Mode.EPIDEMIC, Urgency.NORMAL, "epi.testing") is special
    assert choose_policy(policies, Mode.EPIDEMIC, Urgency.NORMAL, "city.noise").category is None
    assert choose_policy(policies, Mode.NORMAL, Urgency.NORMAL, None).clock == "business"


def test_policy_from_dict_names_the_missing_field():
    with pytest.raises(InvalidInput) as e:
        DeadlinePolicy.from_dict({"mode": "epidemic", "urgency": "urgent", "accept_minutes": 5})
    assert e.value.field == "resolve_minutes"
