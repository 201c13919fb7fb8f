"""The big screen's panels from the other contexts: who is on duty (duty), the testing round's
progress (community), the testing-site monitor (alerts) and today's passes (passes).

Composed here, at the entrypoint, from each context's own read use case — the same functions
``/api/v1/duty/now``, ``/api/v1/community/progress``, ``/api/v1/alerts/sites`` and
``/api/v1/passes/stats`` call — so each panel is scoped by the caller exactly as those are. The
screen gets a compact, personal-data-free digest of each (no member names, phones or positions).

Each section is robust on its own: a context with nothing yet (no roster, no matched round, no
site, no pass) gives its empty shape (``"empty": true``, the page shows 暂无); a caller the context
refuses (street offices do not see the district's pass statistics) gets ``"available": false``;
an unexpected failure in one context is logged and leaves that one panel unavailable, never
the whole screen.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Callable

from ...adapters.db.screen import day_bounds
from ...app.alerts import sites as site_uc
from ...app.community import rounds as round_uc
from ...app.duty import board
from ...app.passes import trace as pass_uc
from ...domain.errors import NotAllowed
from ...domain.passes.model import REASON_TEXT
from ...domain.roles import Actor

log = logging.getLogger(__name__)

MAX_TEAMS = 30       # teams listed (the panel shows what fits; the totals count them all)
MAX_SITES = 12
MAX_COMMITTEES = 5


def _guard(name: str, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return {"available": True, **build()}
    except NotAllowed:
        return {"available": False, "empty": True}
    except Exception:  # one context's fault must not blank the command screen
        log.exception("big screen: the %s section failed", name)
        return {"available": False, "empty": True, "error": True}


def duty_section(box, actor: Actor, now: datetime) -> dict[str, Any]:
    d = board.duty_now(box.read_uow(), actor, now)
    t = d["totals"]
    teams = [{"code": x["code"], "name": x["name"], "street": (x["parent"] or {}).get("name", ""),
              "on_duty": x["on_duty"], "available": x["n_on_duty"], "busy": x["n_busy"], "off": x["n_off"],
              "members": len(x["members"]), "min_on_duty": x["min_on_duty"], "short_now": x["short_now"],
              "has_roster": x["has_roster"], "gaps_24h": x["gap_count_24h"]}
             for x in d["teams"]]
    teams.sort(key=lambda x: (not x["short_now"], not x["has_roster"], -x["on_duty"], x["code"]))
    totals = {"teams": t["teams"], "members": t["members"], "on_duty": t["on_duty"] + t["busy"],
              "available": t["on_duty"], "busy": t["busy"], "off": t["off"], "teams_short_now": t["teams_short_now"],
              "teams_with_roster": sum(1 for x in teams if x["has_roster"])}
    return {"empty": not totals["members"] or not totals["teams_with_roster"], "totals": totals,
            "teams": teams[:MAX_TEAMS]}


def testing_section(box, actor: Actor) -> dict[str, Any]:
    s = round_uc.screen_summary(box.read_uow(), actor)
    r = s["round"]
    if r is None:
        return {"empty": True, "round": None, "total": s["total"], "worst_committees": []}
    keys = ("must", "tested", "exempted", "untested", "positive", "rate")
    worst = [{"code": c.get("code"), "name": c.get("name"), **{k: c[k] for k in keys}}
             for c in s["worst_committees"] if c["untested"] or c["rate"] < 1][:MAX_COMMITTEES]
    return {"empty": False,
            "round": {"id": r["id"], "name": r["name"], "area": r["area"]["name"], "starts_at": r["starts_at"],
                      "ends_at": r["ends_at"], "matched_at": r["matched_at"]},
            "total": {k: s["total"][k] for k in keys}, "worst_committees": worst}


def sites_section(box, actor: Actor, now: datetime) -> dict[str, Any]:
    m = site_uc.monitor(box.read_uow(), actor, now)
    items = []
    for s in m["items"][:MAX_SITES]:
        st, a = s["status"], s["assessment"]
        items.append({
            "device": s["device"], "name": s["name"], "place": s["place"], "unit": s["unit"]["name"],
            "level": s["level"], "over": s["level"] != "ok", "stale": s["stale"],
            "queue_length": st.get("queue_length", 0), "samples_per_hour": st.get("samples_per_hour", 0),
            "staff_on_site": st.get("staff_on_site", 0), "pda_working": st.get("pda_working"),
            "pda_total": st.get("pda_total"), "supplies": dict(st.get("supplies") or {}),
            "wait_minutes": a.get("wait_minutes"), "findings": [f["code"] for f in a.get("findings", [])],
            "standby_staff": a.get("standby_staff", 0), "reported_at": s["reported_at"], "open_order": s["open_order"],
        })
    summary = dict(m["summary"])
    summary["over"] = summary["alert"] + summary["watch"]
    return {"empty": not summary["sites"], "summary": summary, "items": items}


def passes_section(box, actor: Actor, now: datetime, tz: str) -> dict[str, Any]:
    t0, _ = day_bounds(now, tz)
    s = pass_uc.stats(box.read_uow(), actor, t0, now + timedelta(seconds=1))  # this second counts
    apps = s["applications"]
    out = {"issued": s["issued"], "refused": apps.get("refused", 0), "rejected": apps.get("rejected", 0),
           "pending": apps.get("pending", 0), "applications": sum(apps.values()), "revoked": s["revoked"],
           "scans": s["scans"]["total"], "allowed": s["scans"]["allow"], "denied": s["scans"]["deny"],
           "denials_by_reason": dict(sorted(s["denials_by_reason"].items(), key=lambda kv: (-kv[1], kv[0]))),
           "refused_by_rule": dict(sorted(s["refused_by_rule"].items(), key=lambda kv: (-kv[1], kv[0])))}
    out["top_denials"] = [{"reason": k, "count": n, "zh": REASON_TEXT.get(k, (k, k))[0], "en": REASON_TEXT.get(k, (k, k))[1]}
                          for k, n in list(out["denials_by_reason"].items())[:3]]
    out["empty"] = not (out["applications"] or out["issued"] or out["scans"] or out["revoked"])
    return out


def extra_sections(box, actor: Actor, now: datetime, tz: str) -> dict[str, Any]:
    """``duty``, ``testing``, ``sites`` and ``passes`` for the caller's scope."""
    return {
        "duty": _guard("duty", lambda: duty_section(box, actor, now)),
        "testing": _guard("testing", lambda: testing_section(box, actor)),
        "sites": _guard("sites", lambda: sites_section(box, actor, now)),
        "passes": _guard("passes", lambda: passes_section(box, actor, now, tz)),
    }
