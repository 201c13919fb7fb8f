from datetime import datetime, timezone

from cityops.domain.orders import lifecycle as lc
from cityops.domain.orders.clock import Clock
from cityops.domain.orders.model import Channel
from cityops.domain.orders.policy import Mode, Urgency, choose_policy, default_policies
from cityops.domain.roles import Actor, Role

T0 = datetime(2022, 3, 25, 1, 0, tzinfo=timezone.utc)
OP = Actor(1, "op", Role.OPERATOR, 1)
SUP = Actor(2, "sup", Role.SUPERVISOR, 1)
UNIT = Actor(3, "s1", Role.UNIT_HANDLER, 10)
CMD = Actor(4, "cmd", Role.COMMANDER, 1)
CLOCK = Clock("24x7")


def new_order(urgency=Urgency.CRITICAL, mode=Mode.EPIDEMIC, now=T0, category="epi.medical"):
    policy = choose_policy(default_policies(), mode, urgency, category)
    return lc.receive(number="2203250001", channel=Channel.HOTLINE, text="透析病人需要外出就医", urgency=urgency,
                      category=category, policy=policy, clock=Clock(policy.clock), actor=OP, now=now).order.evolve(id=1)


def dispatched(urgency=Urgency.CRITICAL, now=T0):
    return lc.dispatch(new_order(urgency, now=now), OP, now, CLOCK, 10).order
