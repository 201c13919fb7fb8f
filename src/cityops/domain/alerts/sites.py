"""The testing-site monitor (核酸采样点): thresholds on what each site reports, and the
standby staff (备勤) and supplies to propose when a site falls behind."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

OK, WATCH, ALERT = "ok", "watch", "alert"


@dataclass(frozen=True)
class SiteThresholds:
    max_queue: int = 200                   # people waiting (the seed's "long queues")
    max_wait_minutes: int = 60             # queue / (samples per hour) beyond this is too slow
    min_pda_ratio: float = 0.8             # working scanners / all scanners
    per_staff_per_hour: int = 60           # samples one sampler takes in an hour
    min_supplies: dict[str, int] = field(default_factory=lambda: {"swabs": 200, "tubes": 20})


@dataclass(frozen=True)
class Finding:
    code: str
    message: str     # Chinese first, English second


@dataclass(frozen=True)
class Assessment:
    level: str
    findings: tuple[Finding, ...]
    wait_minutes: float | None
    standby_staff: int           # extra samplers to send to clear the queue within the target wait
    pda_to_send: int
    supplies_to_send: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "findings": [{"code": f.code, "message": f.message} for f in self.findings],
                "wait_minutes": self.wait_minutes, "standby_staff": self.standby_staff,
                "pda_to_send": self.pda_to_send, "supplies_to_send": self.supplies_to_send}


def assess(status: dict[str, Any], th: SiteThresholds = SiteThresholds()) -> Assessment:
    """How a site stands from its latest ``site_status`` figures."""
    queue = int(status.get("queue_length", 0))
    rate = int(status.get("samples_per_hour", 0))
    staff = int(status.get("staff_on_site", 0))
    findings: list[Finding] = []
    wait = round(queue / rate * 60, 1) if rate > 0 else (None if queue == 0 else math.inf)
    if queue > th.max_queue:
        findings.append(Finding("queue", f"排队 {queue} 人，超过 {th.max_queue} 人 (queue {queue} > {th.max_queue})"))
    if wait is not None and wait > th.max_wait_minutes:
        shown = "∞" if wait == math.inf else f"{wait:g}"
        findings.append(Finding("wait", f"预计等待 {shown} 分钟，超过 {th.max_wait_minutes} 分钟 "
                                        f"(expected wait {shown} min > {th.max_wait_minutes})"))
    if staff == 0 and queue > 0:
        findings.append(Finding("staff", "采样点无采样人员在岗 (no sampling staff on site)"))
    pda_total, pda_ok = status.get("pda_total"), status.get("pda_working")
    pda_send = 0
    if pda_total and pda_ok is not None and pda_ok / pda_total < th.min_pda_ratio:
        pda_send = pda_total - pda_ok
        findings.append(Finding("pda", f"扫码 PDA 可用 {pda_ok}/{pda_total} (scanners working {pda_ok}/{pda_total})"))
    supplies = status.get("supplies") or {}
    send: dict[str, int] = {}
    for name, minimum in th.min_supplies.items():
        have = supplies.get(name)
        if have is not None and have < minimum:
            send[name] = minimum * 2 - have
            findings.append(Finding("supplies", f"物资 {name} 仅剩 {have}，低于 {minimum} (supplies {name} {have} < {minimum})"))
    # samplers needed to take the queue (plus the current flow) within the target wait
    needed = math.ceil(queue / th.per_staff_per_hour * 60 / th.max_wait_minutes) if queue else 0
    standby = max(0, needed - staff) if any(f.code in ("queue", "wait", "staff") for f in findings) else 0
    level = ALERT if any(f.code in ("queue", "wait", "staff") for f in findings) else WATCH if findings else OK
    return Assessment(level, tuple(findings), None if wait in (None, math.inf) else wait, standby, pda_send, send)


def proposal_text(a: Assessment) -> str:
    """The order's proposal, e.g. 建议增派备勤采样人员 3 名、PDA 2 台、swabs 250."""
    parts = []
    if a.standby_staff:
        parts.append(f"备勤采样人员 {a.standby_staff} 名")
    if a.pda_to_send:
        parts.append(f"扫码 PDA {a.pda_to_send} 台")
    parts += [f"{k} {v}" for k, v in a.supplies_to_send.items()]
    return ("建议增派" + "、".join(parts)) if parts else "请核实采样点情况"
