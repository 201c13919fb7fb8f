"""Property-based: no sequence of commands reaches an illegal state or loses a deadline."""
from datetime import timedelta

from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from cityops.domain.errors import DomainError
from cityops.domain.orders import lifecycle as lc
from cityops.domain.orders.model import TERMINAL, Satisfaction, State
from cityops.domain.orders.policy import Urgency
from cityops.domain.orders.schedule import UNRESOLVED, due_steps, mark_fired, next_due, schedule

from .helpers import CLOCK, CMD, OP, SUP, T0, UNIT, new_order

ACTORS = st.sampled_from([OP, SUP, UNIT, CMD])


class OrderMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.now = T0
        self.order = new_order(Urgency.CRITICAL)
        self.fired_total = 0
        self.ever_fired: set[str] = set()

    def attempt(self, fn):
        before = self.order
        try:
            out = fn()
        except DomainError:
            assert self.order == before  # a refused command changes nothing
            return
        self.order = out.order
        for e in out.events:
            assert e.at == self.now

    @rule(minutes=st.integers(min_value=0, max_value=600))
    def time_passes(self, minutes):
        self.now += timedelta(minutes=minutes)

    @rule()
    def sweep(self):
        due = due_steps(self.order, CLOCK, self.now)
        for step in due.act:  # a step, once acted on, is never acted on again — pauses included
            assert step.key not in self.ever_fired, step.key
            self.ever_fired.add(step.key)
        self.order = mark_fired(self.order, CLOCK, due.act + due.skip)
        self.fired_total += len(due.act)
        assert due_steps(self.order, CLOCK, self.now).act == []  # never twice

    @rule(actor=ACTORS, unit=st.sampled_from([10, 11]))
    def dispatch(self, actor, unit):
        self.attempt(lambda: lc.dispatch(self.order, actor, self.now, CLOCK, unit))

    @rule(actor=ACTORS)
    def accept(self, actor):
        self.attempt(lambda: lc.accept(self.order, actor, self.now, CLOCK))

    @rule(actor=ACTORS, reason=st.sampled_from(["", "不属于本单位"]))
    def return_(self, actor, reason):
        self.attempt(lambda: lc.return_order(self.order, actor, self.now, CLOCK, reason))

    @rule(actor=ACTORS)
    def progress(self, actor):
        self.attempt(lambda: lc.add_progress(self.order, actor, self.now, CLOCK, "已联系"))

    @rule(actor=ACTORS, resolved=st.booleans())
    def feedback(self, actor, resolved):
        self.attempt(lambda: lc.submit_feedback(self.order, actor, self.now, CLOCK, "结果", resolved))

    @rule(actor=ACTORS, sat=st.sampled_from(list(Satisfaction)), solved=st.booleans())
    def callback(self, actor, sat, solved):
        self.attempt(lambda: lc.record_callback(self.order, actor, self.now, CLOCK, sat, solved))

    @rule(actor=ACTORS, note=st.sampled_from([None, "联系不上"]))
    def close(self, actor, note):
        self.attempt(lambda: lc.close(self.order, actor, self.now, note))

    @rule(actor=ACTORS, hours=st.integers(min_value=-3, max_value=48))
    def request_extension(self, actor, hours):
        self.attempt(lambda: lc.request_extension(self.order, actor, self.now, self.now + timedelta(hours=hours), "协调"))

    @rule(actor=ACTORS, approve=st.booleans())
    def decide_extension(self, actor, approve):
        self.attempt(lambda: lc.decide_extension(self.order, actor, self.now, CLOCK, approve, "决定"))

    @rule(actor=ACTORS)
    def pause(self, actor):
        self.attempt(lambda: lc.pause(self.order, actor, self.now, CLOCK, "等待市民"))

    @rule(actor=ACTORS)
    def resume(self, actor):
        self.attempt(lambda: lc.resume(self.order, actor, self.now, CLOCK))

    @rule(actor=ACTORS)
    def reopen(self, actor):
        self.attempt(lambda: lc.reopen(self.order, actor, self.now, CLOCK, "重办"))

    @rule(actor=ACTORS)
    def urge(self, actor):
        self.attempt(lambda: lc.urge(self.order, actor, self.now))

    @rule(actor=ACTORS)
    def transfer(self, actor):
        self.attempt(lambda: lc.transfer_to_city(self.order, actor, self.now, "市级"))

    @invariant()
    def state_is_consistent(self):
        o = self.order
        assert o.state in State
        if o.state == State.DISPATCHED:
            assert o.lead_unit_id is not None and o.accept_due_at is not None
        if o.state == State.RETURNED:
            assert o.lead_unit_id is None
        if o.state in (State.FEEDBACK_SUBMITTED, State.CALLBACK_DONE):
            assert o.feedback_at is not None
        if o.state == State.CLOSED:
            assert o.closed_at is not None
        if o.state in TERMINAL:
            assert schedule(o, CLOCK) == [] and next_due(o, CLOCK) is None

    @invariant()
    def no_deadline_is_lost(self):
        o = self.order
        if o.state in UNRESOLVED and not o.is_paused:
            assert o.resolve_due_at is not None
            steps = schedule(o, CLOCK)
            assert any(s.kind == "overdue" for s in steps)
            nxt = next_due(o, CLOCK)
            unfired = [s for s in steps if s.key not in o.fired]
            # the stored next deadline is the earliest unfired step; None only when all have fired
            assert nxt == (min(s.due_at for s in unfired) if unfired else None)
        if not o.is_paused:
            assert o.fired <= {s.key for s in schedule(o, CLOCK)}


TestOrderMachine = OrderMachine.TestCase
TestOrderMachine.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
