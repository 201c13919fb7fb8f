"""The lives of the demo orders: for each kind of plan, the use-case calls that move its order from
intake to close, as a generator of (when, step) pairs the simulation runs in time order. Also who
takes each step (the operator and supervisor on shift, a handler of the unit) and when work waits
for the morning.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo

from ...domain.orders.model import Order, State
from ...domain.roles import SYSTEM, Actor
from ..orders import usecases as uc
from .org import DEPARTMENTS
from .plan import _Plan
from .texts import CALLBACK_NOTE, CO_PROGRESS, PROGRESS, PROGRESS_FIELD, RETURN_LOCAL, RETURN_TO_DEPT, RETURN_TO_STREET

Step = tuple[datetime, Callable[[datetime], Any] | None]
_MIN = timedelta(minutes=1)


def _m(rng: random.Random, lo: float, hi: float) -> timedelta:
    return timedelta(minutes=rng.uniform(lo, hi))


class _Lives:
    """The order lives and their cast; mixed into ``simulate._Sim``, which sets these attributes."""

    box: Any
    rng: random.Random
    zone: ZoneInfo
    actors: dict[str, Actor]
    unit_users: dict[str, list[str]]

    # -- who
    def operator(self, t: datetime) -> Actor:
        h = t.astimezone(self.zone).hour
        return self.actors["operator1" if 8 <= h < 16 else "operator2" if h >= 16 else "operator3"]

    def supervisor(self, t: datetime) -> Actor:
        return self.actors["supervisor1" if 8 <= t.astimezone(self.zone).hour < 20 else "supervisor2"]

    def handler(self, unit_code: str) -> Actor:
        code = unit_code
        while code not in self.unit_users:  # a committee without its own account: its street acts
            code = code.rsplit("-", 1)[0]
        return self.actors[self.rng.choice(self.unit_users[code])]

    def daytime(self, t: datetime) -> datetime:
        """Ordinary work waits for the morning: 23:00–07:00 moves to 07:30–09:00."""
        local = t.astimezone(self.zone)
        if 7 <= local.hour < 23:
            return t
        day = local.date() if local.hour < 7 else local.date() + timedelta(days=1)
        morning = datetime(day.year, day.month, day.day, 7, 30, tzinfo=self.zone) + _m(self.rng, 0, 90)
        return morning.astimezone(t.tzinfo)

    # -- lives
    def life(self, p: _Plan) -> Iterator[Step]:
        if p.kind == "direct":
            return self._direct(p)
        if p.kind == "transfer":
            return self._transfer(p)
        if p.kind == "dup":
            return self._dup(p)
        return self._flow(p)

    def _new(self, p: _Plan, dispatch_to: str | None = None, co: tuple[str, ...] = (), note: str | None = None):
        return uc.NewOrder(text=p.text, channel=p.channel, urgency=p.urgency, category=p.category,
                           caller_name=p.caller[0], caller_phone=p.caller[1], address=p.slots.get("address", ""),
                           special_groups=p.groups, area_unit_code=p.committee.code if p.committee else None,
                           dispatch_to=dispatch_to, co_units=co, external_ref=p.external_ref, note=note)

    def _create(self, actor: Actor, cmd) -> Callable[[datetime], Order]:
        return lambda now: uc.create_order(self.box.uow(), actor, cmd, now)

    def _direct(self, p: _Plan) -> Iterator[Step]:
        op = self.operator(p.at)
        o = yield p.at, self._create(op, self._new(p))
        yield p.at + _m(self.rng, 2, 12), lambda now: uc.direct_reply(self.box.uow(), op, o.number, p.answer, now)

    def _transfer(self, p: _Plan) -> Iterator[Step]:
        op = self.operator(p.at)
        o = yield p.at, self._create(op, self._new(p))
        ref = f"SH-{p.at:%y%m%d}-{self.rng.randint(100000, 999999)}"
        yield p.at + _m(self.rng, 5, 30), lambda now: uc.transfer_to_city(self.box.uow(), op, o.number,
                                                                           p.transfer_reason, now, ref)
        p.transferred = True

    def _dup(self, p: _Plan) -> Iterator[Step]:
        op = self.operator(p.at)
        o = yield p.at, self._create(op, self._new(p))
        t = p.at + _m(self.rng, 3, 15)
        parent = p.parent
        yield t, None
        if parent is None or parent.cur is None or parent.cur.state in (State.CLOSED, State.TRANSFERRED, State.MERGED):
            yield t, lambda now: uc.direct_reply(self.box.uow(), op, o.number, "该问题已有工单办理，已告知市民处理结果。", now)
            return
        number = parent.cur.number
        yield t, lambda now: uc.merge_orders(self.box.uow(), op, o.number, number, now,
                                             f"与工单 {number} 反映同一地点同一事项，合并办理")
        p.merged = True

    def _flow(self, p: _Plan) -> Iterator[Step]:
        r, uow = self.rng, self.box.uow
        op = self.operator(p.at)
        note = {"critical": "特急：请立即处置，2小时内办结并反馈", "urgent": "紧急：请2小时内反馈处置进展"}.get(p.urgency)
        lead0, co0 = (p.wrong, ()) if p.wrong else (p.lead, p.co)
        t = p.at
        # intake and dispatch
        if p.creator == "system":
            o = yield t, self._create(SYSTEM, self._new(p, lead0, co0, "物联感知规则自动派单"))
        elif p.creator != "op" or p.precontact or (p.urgency == "normal" and r.random() < 0.15):
            creator = self.actors[p.creator] if p.creator != "op" else op
            o = yield t, self._create(creator, self._new(p))
            if p.precontact and p.creator == "op":
                t += _m(r, 1, 4)
                o = yield t, lambda now: uc.pre_contact(uow(), op, o.number, r.choice(
                    ["已先行联系市民核实情况，市民情况属实。", "已跨前联系市民，安抚情绪并告知即刻派单。",
                     "已先行电话联系属地热线负责人，告知紧急情况。"]), now,
                    contacted="caller")
                t += _m(r, 1, 5)
            else:
                t += _m(r, 3, 40)
            op2 = self.operator(t)
            o = yield t, lambda now: uc.dispatch_order(uow(), op2, o.number, lead0, co0, now, note)
        else:
            o = yield t, self._create(op, self._new(p, lead0, co0, note))
        due = o.resolve_due_at
        assert due is not None
        if p.supervise:
            t += _m(r, 1, 10)
            sup = self.supervisor(t)
            o = yield t, lambda now: uc.supervise_order(uow(), sup, o.number, now, True, r.choice(
                ["特殊群体诉求，督办组持续跟进直至办结。", "紧急诉求，纳入督办。", "重点关注，每日跟进。"]))
        if p.wrong:
            t += _m(r, 5, 25) if p.urgency == "urgent" else _m(r, 10, 120)
            wrong_actor = self.handler(p.wrong)
            reason = self._return_reason(p)
            o = yield t, lambda now: uc.return_order(uow(), wrong_actor, o.number, reason, now)
            t += _m(r, 5, 40)
            op3 = self.operator(t)
            o = yield t, lambda now: uc.dispatch_order(uow(), op3, o.number, p.lead, p.co, now,
                                                       f"原派单位退回：{reason[:30]}；改派。")
        if p.stuck == "unaccepted":
            yield from self._chase(p, o, max(t, o.accept_due_at or t) + _m(r, 10, 60), due)
            return
        o = yield from self._work(p, o, t, due, first=True)
        if o is None:
            return
        # callback and close
        yield from self._finish(p, o)

    def _accept_delay(self, p: _Plan) -> timedelta:
        r = self.rng
        if p.urgency == "critical":
            return _m(r, 2, 12)
        if p.urgency == "urgent":
            return _m(r, 5, 30) if r.random() < 0.88 else _m(r, 30, 90)
        return timedelta(minutes=min(600, 8 + r.lognormvariate(3.4, 0.9)))

    def _feedback_at(self, p: _Plan, ta: datetime, due: datetime, late: bool) -> datetime:
        r = self.rng
        if p.urgency == "critical":
            tf = due + _m(r, 15, 150) if late else min(p.at + _m(r, 40, 110), due - _m(r, 3, 10))
        elif p.urgency == "urgent":
            tf = due + _m(r, 30, 720) if late else min(ta + _m(r, 120, 1200), due - _m(r, 15, 60))
        else:
            tf = due + _m(r, 60, 1440) if late else min(self.daytime(ta + _m(r, 180, 1800)), due - _m(r, 30, 120))
        return max(tf, ta + _m(r, 10, 25))

    def _work(self, p: _Plan, o: Order, t: datetime, due: datetime, first: bool):
        """Accept, act, report back. Returns the order after feedback (None when it stays open)."""
        r, uow = self.rng, self.box.uow
        lead = self.handler(p.lead)
        ta = t + self._accept_delay(p)
        if p.urgency == "normal":
            ta = self.daytime(ta)
        o = yield ta, lambda now: uc.accept_order(uow(), lead, o.number, now)
        late = p.late and first
        tf = self._feedback_at(p, ta, due, late)
        steps: list[tuple[datetime, str]] = []
        report_by = o.feedback_due_at  # first report-back (Putuo: 2 hours on urgent orders; 1 day otherwise)
        if report_by is not None and (tf > report_by or p.stuck) and r.random() < 0.92:
            steps.append((ta + max(report_by - ta, _MIN * 10) * r.uniform(0.3, 0.95), "progress"))
        elif p.progress:
            steps.append((ta + (tf - ta) * r.uniform(0.2, 0.8), "progress"))
        if p.co_progress and first:
            steps.append((ta + (tf - ta) * r.uniform(0.3, 0.7), "co_progress"))
        if p.urge and first:
            steps.append((ta + (tf - ta) * r.uniform(0.5, 0.9), "urge"))
        if late and r.random() < 0.5:
            steps.append((due + _m(r, 10, 60), "urge_late"))
        if p.ext and first:
            t_req = ta + (min(tf, due) - ta) * r.uniform(0.3, 0.6)
            t_dec = t_req + _m(r, 20, 150)
            extra = timedelta(hours=24 if p.urgency == "normal" else 12)
            steps += [(t_req, "ext_request"), (t_dec, "ext_decide")]
            if p.ext == "approve":
                tf = max(due + extra * r.uniform(0.2, 0.8), t_dec + _m(r, 10, 60))
            else:
                tf = max(tf, t_dec + _m(r, 10, 60))
        elif p.pause and first:
            t_pause = ta + _m(r, 20, 120)
            t_resume = self.daytime(t_pause + _m(r, 120, 600))
            steps += [(t_pause, "pause"), (t_resume, "resume")]
            tf = max(tf, t_resume + _m(r, 30, 180))
        if p.stuck:
            steps = [s for s in steps if s[1] == "progress"][:1]
        steps.sort(key=lambda s: s[0])
        last = ta
        for when, what in steps:
            when = max(when, last + _MIN)
            last = when
            o = yield when, self._phase_b(p, o, what, lead, due)
        if p.stuck:
            yield from self._chase(p, o, due + _m(r, 10, 90), due)
            return None
        tf = max(tf, last + _m(r, 5, 30))
        if p.resolved or not first:
            assert p.tpl is not None
            result = r.choice(p.tpl.fb).format(**p.slots)
            resolved = True
        else:
            result, resolved = "因客观原因暂无法完全解决，已向市民做好解释，后续持续跟进。", False
        o = yield tf, lambda now: uc.submit_feedback(uow(), lead, o.number, result, resolved, now)
        return o

    def _phase_b(self, p: _Plan, o: Order, what: str, lead: Actor, due: datetime) -> Callable[[datetime], Order]:
        r, uow, n = self.rng, self.box.uow, o.number
        if what == "progress":
            note = r.choice(PROGRESS_FIELD if p.channel in ("sensor", "video", "patrol") else PROGRESS)
            return lambda now: uc.add_progress(uow(), lead, n, note, now)
        if what == "co_progress":
            co = self.handler(p.co[0])
            note = r.choice(CO_PROGRESS)
            return lambda now: uc.add_progress(uow(), co, n, note, now)
        if what in ("urge", "urge_late"):
            who = self.actors["commander1"] if r.random() < 0.15 else None
            text = "已超时，请立即办结并反馈。" if what == "urge_late" else "请加快办理，尽快回复市民。"
            return lambda now: uc.urge_order(uow(), who or self.operator(now), n, now, text)
        if what == "ext_request":
            extra = timedelta(hours=24 if p.urgency == "normal" else 12)
            reason = r.choice(["需协调多个部门联合处置，申请延期。", "配件封控期间无法进场，申请延期。",
                               "需等待检测结果后答复市民，申请延期。"])

            def ask(now: datetime) -> Order:
                o = uc.request_extension(uow(), lead, n, due + extra, reason, now)
                p.ext_asked = True
                return o
            return ask
        if what == "ext_decide":
            approve = p.ext == "approve"
            reason = None if approve else "紧急时期不予延期，请按原时限办结。"

            def decide(now: datetime) -> Order:
                o = uc.decide_extension(uow(), self.supervisor(now), n, approve, now, reason)
                p.ext_approved = approve
                return o
            return decide
        if what == "pause":
            return lambda now: uc.pause_clock(uow(), lead, n, "多次联系市民未果，等待市民回电确认情况。", now)
        if what == "resume":
            return lambda now: uc.resume_clock(uow(), lead, n, now, "已联系上市民，恢复办理。")
        raise ValueError(what)

    def _chase(self, p: _Plan, o: Order, t: datetime, due: datetime):
        """An order the unit let slip: urged after its deadline, again a few hours later."""
        r, uow, n = self.rng, self.box.uow, o.number
        for i in range(r.randint(1, 3)):
            who = self.actors["commander1"] if i == 2 else self.supervisor(t)
            text = ["已超时，请立即签收处置并反馈。", "再次催办：请说明未办结原因。", "指挥长督促：今日内必须办结。"][i]
            o = yield t, (lambda w, x: lambda now: uc.urge_order(uow(), w, n, now, x))(who, text)
            t += _m(r, 120, 480)

    def _finish(self, p: _Plan, o: Order) -> Iterator[Step]:
        r, uow = self.rng, self.box.uow
        t = o.feedback_at or p.at
        if p.channel in ("sensor", "video", "patrol"):  # no caller to call back
            n = o.number
            yield t + _m(r, 5, 40), lambda now: uc.close_order(uow(), self.operator(now), n, now,
                                                               "设备/巡查发现类工单，经现场核实已处置完毕，无需回访。")
            return
        for round_ in (1, 2):
            tc = self.daytime(t + (_m(r, 10, 60) if p.urgency == "critical" else _m(r, 20, 300)))
            op = self.operator(tc)
            outcome = p.callback if round_ == 1 else r.choice(["satisfied", "satisfied", "basically_satisfied",
                                                                "unsat_solved"])
            n = o.number
            if outcome == "none":
                yield tc, lambda now: uc.close_order(uow(), op, n, now, "三次回访市民电话均无人接听，按规定结案。")
                break
            sat = {"unsat_solved": "unsatisfied", "unsat_reopen": "unsatisfied"}.get(outcome, outcome)
            solved = outcome != "unsat_reopen"
            cb_note = CALLBACK_NOTE[sat] + ("问题已解决，但对办理时效不满意。" if outcome == "unsat_solved" else
                                            "问题未解决，要求重办。" if not solved else "")
            o = yield tc, lambda now: uc.record_callback(uow(), op, n, sat, solved, now, cb_note)
            if solved:
                yield tc + _m(r, 1, 20), lambda now: uc.close_order(uow(), self.operator(now), n, now)
                break
            # reopened (重办): same unit, a fresh resolve window
            due = o.resolve_due_at
            assert due is not None
            o = yield from self._work(p, o, tc, due, first=False)
            if o is None:
                return
            t = o.feedback_at or tc
        for child in p.children:  # merged children closed with their parent
            if child.cur is not None and child.cur.state == State.MERGED:
                child.cur = child.cur.evolve(state=State.CLOSED)

    def _return_reason(self, p: _Plan) -> str:
        names = dict((c, n) for c, n, *_ in DEPARTMENTS)
        if p.lead in names:
            return RETURN_TO_DEPT.format(dept=names[p.lead])
        assert p.committee is not None
        if p.wrong and p.wrong.startswith("BJ-S"):
            return RETURN_TO_STREET.format(street=p.committee.street.name)
        return RETURN_LOCAL
