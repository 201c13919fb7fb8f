"""Notices to residents (通知): templates with fields, audiences, channels.

A template's subject and body name fields in braces — ``{place}``, ``{time}`` — which the
sender fills in; ``{name}``, ``{building}``, ``{room}``, ``{committee}`` are filled per
resident. A field the sender did not give is an error before anything is sent.
"""
from __future__ import annotations

import string
from dataclasses import dataclass

from ..errors import InvalidInput

ALL, BUILDINGS, UNTESTED = "all", "buildings", "untested"
AUDIENCES = (ALL, BUILDINGS, UNTESTED)
SMS, INAPP = "sms", "inapp"
CHANNELS = (SMS, INAPP)
PER_RESIDENT = ("name", "building", "room", "committee")
MAX_BODY = 500

DEFAULT_TEMPLATES: tuple[dict, ...] = (
    {"code": "testing", "name": "核酸检测通知", "subject": "核酸检测通知",
     "body": "{name}您好：{committee}定于{time}在{place}开展核酸检测，请携带核酸检测登记码，佩戴口罩、保持间距。"},
    {"code": "lockdown", "name": "封控管理通知", "subject": "封控管理通知",
     "body": "{name}您好：根据防控要求，{building}号楼自{time}起实行封控管理，请足不出户，生活物资由志愿者配送。咨询：{contact}"},
    {"code": "reminder", "name": "未检测提醒", "subject": "核酸检测提醒",
     "body": "{name}您好：本轮核酸检测您尚未完成，请于{time}前到{place}采样，并携带核酸检测登记码。行动不便请联系居委：{contact}"},
)


@dataclass(frozen=True)
class Template:
    code: str
    name: str
    subject: str
    body: str

    def fields(self) -> tuple[str, ...]:
        return template_fields(self.subject + "\n" + self.body)


def template_fields(text: str) -> tuple[str, ...]:
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(text) if f]
    except ValueError as e:
        raise InvalidInput(f"模板格式错误：{e} (bad template: unmatched braces)", field="body") from None
    for f in names:
        if not f.isidentifier():
            raise InvalidInput(f"模板字段“{f}”无效 (field names are letters, digits and _)", field="body")
    return tuple(dict.fromkeys(names))


def check_template(t: Template) -> Template:
    if not t.code.strip() or len(t.code) > 32:
        raise InvalidInput("模板编码须为 1-32 个字符 (the template code needs 1-32 characters)", field="code")
    if not t.body.strip():
        raise InvalidInput("模板正文为空 (the template body is empty)", field="body")
    if len(t.body) > MAX_BODY:
        raise InvalidInput(f"模板正文最多 {MAX_BODY} 字 (at most {MAX_BODY} characters)", field="body")
    t.fields()
    return t


def sender_fields_missing(t: Template, given: dict[str, str]) -> list[str]:
    return [f for f in t.fields() if f not in PER_RESIDENT and not str(given.get(f, "")).strip()]


def render(t: Template, given: dict[str, str], resident: dict[str, str]) -> tuple[str, str]:
    values = {**{k: str(v) for k, v in given.items()}, **resident}
    missing = [f for f in t.fields() if f not in values]
    if missing:
        raise InvalidInput(f"请填写模板字段：{'、'.join(missing)} (fill in the template fields)", field="fields")
    return t.subject.format_map(values), t.body.format_map(values)


def polite_name(name: str) -> str:
    """What a notice calls a resident: the surname and 先生/女士 are unknown, so 居民 + surname."""
    n = name.strip()
    return f"{n[0]}*" if n else "居民"
