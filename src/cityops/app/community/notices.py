"""Notices to residents: templates with fields, sent to a committee's residents (all, some
buildings, or the untested of a round) by SMS (the outbox) and in-app, with delivery status."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from ...domain.community import notices as N
from ...domain.community import rounds as R
from ...domain.errors import InvalidInput, NotAllowed, NotFound
from ...domain.org import mask_name
from ...domain.roles import Actor, Role
from .common import committee_for, committees_in_scope, scope_path
from .rounds import _visible_round

SENDER_ROLES = (Role.UNIT_HANDLER, Role.SUPERVISOR, Role.ADMIN)
MAX_RECIPIENTS = 20_000


def install_templates(uow, now: datetime) -> int:
    """The default templates (testing, lockdown, reminder), when missing."""
    added = 0
    with uow:
        for t in N.DEFAULT_TEMPLATES:
            if uow.community.template(t["code"]) is None:
                uow.community.put_template({**t, "active": True, "updated_by": None, "updated_at": now})
                added += 1
        uow.commit()
    return added


def list_templates(uow, actor: Actor | None, now: datetime) -> list[dict]:
    with uow:
        scope_path(uow, actor)
        if not uow.community.templates(active_only=False):  # a new installation: the default templates
            for t in N.DEFAULT_TEMPLATES:
                uow.community.put_template({**t, "active": True, "updated_by": None, "updated_at": now})
            uow.commit()
        out = []
        for t in uow.community.templates():
            tpl = N.Template(t["code"], t["name"], t["subject"], t["body"])
            out.append({"code": t["code"], "name": t["name"], "subject": t["subject"], "body": t["body"],
                        "fields": [f for f in tpl.fields() if f not in N.PER_RESIDENT]})
        return out


def put_template(uow, actor: Actor | None, code: str, name: str, subject: str, body: str, now: datetime) -> dict:
    if actor is not None and actor.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise NotAllowed("只有城运中心可以维护通知模板 (only the center may edit notice templates)")
    tpl = N.check_template(N.Template(code.strip(), name.strip() or code.strip(), subject.strip() or name.strip(), body))
    with uow:
        uow.community.put_template({"code": tpl.code, "name": tpl.name[:100], "subject": tpl.subject[:100],
                                    "body": tpl.body, "active": True, "updated_by": actor.user_id if actor else None,
                                    "updated_at": now})
        uow.audit.add(now, actor.user_id if actor else None, "community_template_saved", "template", tpl.code, {})
        uow.commit()
    return {"code": tpl.code, "name": tpl.name, "subject": tpl.subject, "body": tpl.body, "fields": list(tpl.fields())}


def send_notice(uow, actor: Actor | None, *, template: str, fields: dict[str, str], audience: str, now: datetime,
                committee_code: str | None = None, building_ids: list[int] | None = None, round_id: int | None = None,
                channels: tuple[str, ...] = (N.SMS, N.INAPP)) -> dict[str, Any]:
    """发通知: one message per resident and channel, written in one transaction (SMS rows in the
    outbox, delivered by its worker; in-app posted to the committee's feed at once)."""
    if actor is not None and actor.role not in SENDER_ROLES:
        raise NotAllowed(f"角色「{actor.role}」不能发送通知 (this role may not send notices)")
    if audience not in N.AUDIENCES:
        raise InvalidInput(f"对象须为 {N.AUDIENCES} 之一 (audience must be all, buildings or untested)", field="audience")
    chans = tuple(dict.fromkeys(c for c in channels if c))
    if not chans or any(c not in N.CHANNELS for c in chans):
        raise InvalidInput(f"渠道须为 {N.CHANNELS} (channels are sms and/or inapp)", field="channels")
    if audience == N.BUILDINGS and not building_ids:
        raise InvalidInput("请选择楼栋 (choose the buildings)", field="building_ids")
    if audience == N.UNTESTED and round_id is None:
        raise InvalidInput("发给未检测居民时须指定检测轮次 (the untested of which round?)", field="round_id")
    fields = {str(k): str(v).strip()[:100] for k, v in (fields or {}).items()}
    with uow:
        cid = committee_for(uow, actor, committee_code)
        if not uow.community.templates(active_only=False):  # a new installation: the default templates
            for d in N.DEFAULT_TEMPLATES:
                uow.community.put_template({**d, "active": True, "updated_by": None, "updated_at": now})
        t = uow.community.template(template)
        if t is None or not t["active"]:
            raise NotFound(f"通知模板 {template} 不存在 (unknown template)", field="template")
        tpl = N.Template(t["code"], t["name"], t["subject"], t["body"])
        missing = N.sender_fields_missing(tpl, fields)
        if missing:
            raise InvalidInput(f"请填写模板字段：{'、'.join(missing)} (fill in the template fields: {', '.join(missing)})",
                               field="fields")
        if building_ids:
            own = {b.id for b in uow.community.buildings([cid])}
            if set(building_ids) - own:
                raise NotFound(f"楼栋 {sorted(set(building_ids) - own)} 不属于该居委 (buildings not in the committee)",
                               field="building_ids")
        people = uow.community.audience(cid, building_ids if audience != N.ALL else None)
        if audience == N.UNTESTED:
            r = _visible_round(uow, actor, round_id)
            untested: list[dict] = []
            for bid in sorted({p["building_id"] for p in people}):
                for x in uow.community.building_residents(bid, r["starts_at"], r["ends_at"], round_id):
                    tags = [g for g in (x["tags"] or "").split(",") if g]
                    note = x["note_latest"]
                    if R.classify(x["status"], tags, bool(x["tested"]), bool(note and note["exempt"])) == R.UNTESTED:
                        untested.append(x["id"])
            keep = set(untested)
            people = [p for p in people if p["id"] in keep]
        if not people:
            raise InvalidInput("没有符合条件的居民 (nobody to send to)", field="audience")
        if len(people) > MAX_RECIPIENTS:
            raise InvalidInput(f"一次最多发送 {MAX_RECIPIENTS} 人 (at most {MAX_RECIPIENTS} recipients)", field="audience")
        subject = tpl.subject.format_map({**fields, **{k: "" for k in N.PER_RESIDENT}})[:100]
        nid = uow.community.add_notice({"committee_id": cid, "round_id": round_id, "template_code": tpl.code,
                                        "subject": subject, "fields": fields, "audience": audience,
                                        "building_ids": sorted(building_ids or []), "channels": ",".join(chans),
                                        "recipients": len(people), "created_by": actor.user_id if actor else None,
                                        "created_at": now})
        outbox, deliveries, no_phone = [], [], 0
        for p in people:
            _, body = N.render(tpl, fields, {"name": mask_name(p["name"]), "building": p["number"], "room": p["room"],
                                             "committee": p["committee_name"]})
            if N.SMS in chans:
                if p["phone"]:
                    key = f"community-notice:{nid}:{p['id']}:sms"
                    outbox.append({"channel": "sms", "recipient": p["phone"], "subject": subject, "body": body,
                                   "order_id": None, "created_at": now, "dedup_key": key})
                    deliveries.append({"notice_id": nid, "resident_id": p["id"], "channel": N.SMS, "status": "queued",
                                       "dedup_key": key})
                else:
                    no_phone += 1
                    deliveries.append({"notice_id": nid, "resident_id": p["id"], "channel": N.SMS, "status": "no_phone",
                                       "dedup_key": None})
            if N.INAPP in chans:
                deliveries.append({"notice_id": nid, "resident_id": p["id"], "channel": N.INAPP, "status": "delivered",
                                   "dedup_key": None})
        uow.notices.outbox(outbox)
        if N.INAPP in chans:
            sample = N.render(tpl, fields, {"name": "居民", "building": "", "room": "", "committee": people[0]["committee_name"]})[1]
            uow.notices.inapp([{"unit_id": cid, "kind": "community_notice", "title": f"已发通知：{subject}"[:300],
                                "body": f"{sample}\n（{len(people)} 位居民）", "created_at": now,
                                "dedup_key": f"community-notice:{nid}:inapp"}])
        uow.community.add_deliveries(deliveries)
        uow.audit.add(now, actor.user_id if actor else None, "community_notice_sent", "notice", str(nid),
                      {"audience": audience, "recipients": len(people), "channels": list(chans)})
        uow.commit()
    return {"notice_id": nid, "recipients": len(people), "sms_queued": len(outbox), "sms_no_phone": no_phone,
            "inapp": len(people) if N.INAPP in chans else 0, "subject": subject}


def list_notices(uow, actor: Actor | None) -> list[dict]:
    with uow:
        ids = committees_in_scope(uow, actor)
        return [{"id": n["id"], "committee": n["committee_name"], "subject": n["subject"], "template": n["template_code"],
                 "audience": n["audience"], "channels": n["channels"].split(","), "recipients": n["recipients"],
                 "created_at": n["created_at"].isoformat()} for n in uow.community.notices(ids)]


def notice_deliveries(uow, actor: Actor | None, notice_id: int) -> dict[str, Any]:
    """Delivery status per resident and channel, with counts per status."""
    with uow:
        n = uow.community.notice(notice_id)
        ids = committees_in_scope(uow, actor)
        if n is None or (ids is not None and n["committee_id"] not in ids):
            raise NotFound(f"通知 {notice_id} 不存在 (notice not found)", field="notice_id")
        items = uow.community.deliveries(notice_id)
    counts: dict[str, dict[str, int]] = {}
    for d in items:
        counts.setdefault(d["channel"], {}).setdefault(d["delivery"], 0)
        counts[d["channel"]][d["delivery"]] += 1
    return {"notice": {"id": n["id"], "subject": n["subject"], "audience": n["audience"], "recipients": n["recipients"],
                       "created_at": n["created_at"].isoformat()}, "counts": counts, "items": items}
