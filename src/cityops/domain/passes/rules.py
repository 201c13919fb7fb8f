"""Eligibility rules (申领条件) as data: a ruleset of CertLogic rules that an admin edits.

A ruleset is a JSON document::

    {"test_valid_until": <CertLogic expression giving a date-time>,
     "rules": [{"id": "TEST-RECENT", "zh": "...", "en": "...", "areas": [], "logic": <CertLogic>}, ...]}

``test_valid_until`` says until when a test result counts (by default the sample time plus 48
hours); its value is put into the context as ``test.validUntil`` before the rules run, and it
bounds the pass's expiry. Each rule applies to every area (``areas`` empty) or to the listed area
codes; a rule passes only when its logic evaluates to ``true`` — false, another value or an
evaluation error all refuse (the CertLogic specification's advice). The data context is::

    {"external": {"validationClock": "<now, ISO>"},
     "applicant": {"employer", "reason", "directions": [...], "period": {"start", "end"}},
     "area": {"code", "kind", "manual": bool},
     "test": {"sampleTime", "result": "negative"|"positive"|..., "type", "site", "validUntil"} or nulls}
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..errors import InvalidInput
from .certlogic import CertLogicError, evaluate, format_date_time, validate

MAX_RULES = 100
MAX_RULESET_BYTES = 64 * 1024

NOW = {"plusTime": [{"var": "external.validationClock"}, 0, "hour"]}

DEFAULT_RULESET: dict[str, Any] = {
    "test_valid_until": {"plusTime": [{"var": "test.sampleTime"}, 48, "hour"]},
    "rules": [
        {"id": "TEST-PRESENT", "zh": "未查到核酸检测结果", "en": "no nucleic-acid test result on record", "areas": [],
         "logic": {"if": [{"var": "test.sampleTime"}, True, False]}},
        {"id": "TEST-NEGATIVE", "zh": "最近一次核酸检测结果不是阴性", "en": "the latest test result is not negative",
         "areas": [], "logic": {"===": [{"var": "test.result"}, "negative"]}},
        {"id": "TEST-TYPE", "zh": "检测类型不被接受（须为核酸检测）", "en": "test type not accepted (a PCR test is needed)",
         "areas": [], "logic": {"in": [{"var": "test.type"}, ["pooled", "single", "home", "pcr"]]}},
        {"id": "TEST-RECENT", "zh": "最近一次阴性结果的采样时间已超过48小时",
         "en": "the latest negative result was sampled more than 48 hours ago", "areas": [],
         "logic": {"after": [{"plusTime": [{"var": "test.validUntil"}, 0, "hour"]}, NOW]}},
        {"id": "TEST-NOT-FUTURE", "zh": "采样时间晚于当前时间，数据有误", "en": "the sample time is in the future",
         "areas": [], "logic": {"not-after": [{"plusTime": [{"var": "test.sampleTime"}, 0, "hour"]}, NOW]}},
        {"id": "SEALED-REASON", "zh": "封控区仅限保供、医疗、城市运行保障和公共服务人员申请",
         "en": "a sealed area admits only supplies, medical, utilities and public-service staff", "areas": [],
         "logic": {"if": [{"===": [{"var": "area.kind"}, "sealed"]},
                          {"in": [{"var": "applicant.reason"}, ["supplies", "medical", "utilities", "public_service"]]},
                          True]}},
        {"id": "PERIOD-MAX-7D", "zh": "申请时段最长7天", "en": "the period may be at most 7 days", "areas": [],
         "logic": {"not-after": [{"plusTime": [{"var": "applicant.period.end"}, 0, "hour"]},
                                 {"plusTime": [{"var": "applicant.period.start"}, 7, "day"]}]}},
    ],
}


@dataclass
class Eligibility:
    ok: bool
    failures: list[dict[str, str]] = field(default_factory=list)   # [{"id", "zh", "en"}] in rule order
    test_valid_until: datetime | None = None

    @property
    def reason(self) -> str:
        return "；".join(f"{f['zh']} ({f['en']})" for f in self.failures)


def checked_ruleset(body: Any) -> dict[str, Any]:
    """A ruleset that may be saved, else InvalidInput naming the problem (rule id and what is wrong)."""
    if not isinstance(body, dict):
        raise InvalidInput("规则集应为 JSON 对象 (a ruleset is a JSON object)", field="ruleset")
    if len(json.dumps(body, ensure_ascii=False).encode()) > MAX_RULESET_BYTES:
        raise InvalidInput("规则集过大 (ruleset too large: at most 64 KiB)", field="ruleset")
    unknown = set(body) - {"test_valid_until", "rules", "version", "note"}
    if unknown:
        raise InvalidInput(f"规则集含未知字段 {sorted(unknown)} (unknown keys)", field="ruleset")
    problems = validate(body.get("test_valid_until"))
    if "test_valid_until" not in body or problems:
        raise InvalidInput(f"test_valid_until 无效 (invalid expression): {'; '.join(problems) or 'missing'}",
                           field="test_valid_until")
    rules = body.get("rules")
    if not isinstance(rules, list) or not rules or len(rules) > MAX_RULES:
        raise InvalidInput(f"rules 应为 1–{MAX_RULES} 条规则的数组 (rules must be a list of 1–{MAX_RULES} rules)",
                           field="rules")
    seen: set[str] = set()
    out = []
    for i, r in enumerate(rules):
        where = f"rules[{i}]"
        if not isinstance(r, dict):
            raise InvalidInput(f"{where} 应为对象 (must be an object)", field="rules")
        rid = r.get("id")
        if not isinstance(rid, str) or not rid.strip() or len(rid) > 64:
            raise InvalidInput(f"{where}.id 必填，最长64字符 (id is required, at most 64 characters)", field="rules")
        if rid in seen:
            raise InvalidInput(f"规则 {rid} 重复 (duplicate rule id)", field="rules")
        seen.add(rid)
        for k in ("zh", "en"):
            if not isinstance(r.get(k), str) or not r[k].strip() or len(r[k]) > 300:
                raise InvalidInput(f"规则 {rid}: {k} 说明必填 (the {k} text is required, at most 300 characters)",
                                   field="rules")
        areas = r.get("areas", [])
        if not isinstance(areas, list) or not all(isinstance(a, str) for a in areas):
            raise InvalidInput(f"规则 {rid}: areas 应为区域代码数组 (areas must be a list of area codes)", field="rules")
        problems = validate(r.get("logic")) if "logic" in r else ["logic is missing"]
        if problems:
            raise InvalidInput(f"规则 {rid} 的 CertLogic 无效 (invalid CertLogic): {'; '.join(problems[:3])}",
                               field="rules")
        out.append({"id": rid.strip(), "zh": r["zh"].strip(), "en": r["en"].strip(), "areas": list(areas),
                    "logic": copy.deepcopy(r["logic"])})
    return {"test_valid_until": copy.deepcopy(body["test_valid_until"]), "rules": out}


def iso(dt: datetime | None) -> str | None:
    return None if dt is None else format_date_time(dt)


def build_context(*, now: datetime, employer: str, reason: str, directions: tuple[str, ...], start: datetime,
                  end: datetime, area_code: str, area_kind: str, manual: bool, test: dict | None) -> dict[str, Any]:
    t = test or {}
    return {
        "external": {"validationClock": iso(now)},
        "applicant": {"employer": employer, "reason": reason, "directions": list(directions),
                      "period": {"start": iso(start), "end": iso(end)}},
        "area": {"code": area_code, "kind": area_kind, "manual": manual},
        "test": {"sampleTime": iso(t.get("sample_time")), "result": t.get("result"), "type": t.get("test_type"),
                 "site": t.get("site"), "validUntil": None},
    }


def check_eligibility(ruleset: dict[str, Any], context: dict[str, Any]) -> Eligibility:
    """Run every rule that applies to the context's area; collect the ones that do not pass."""
    ctx = copy.deepcopy(context)
    valid_until: datetime | None = None
    if ctx["test"].get("sampleTime"):
        try:
            v = evaluate(ruleset["test_valid_until"], ctx)
            valid_until = v if isinstance(v, datetime) else None
        except CertLogicError:
            valid_until = None
    ctx["test"]["validUntil"] = iso(valid_until)
    failures = []
    area = ctx["area"]["code"]
    for r in ruleset["rules"]:
        if r.get("areas") and area not in r["areas"]:
            continue
        try:
            passed = evaluate(r["logic"], ctx) is True
        except CertLogicError:
            passed = False
        if not passed:
            failures.append({"id": r["id"], "zh": r["zh"], "en": r["en"]})
    return Eligibility(ok=not failures, failures=failures, test_valid_until=valid_until)


def utc(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
