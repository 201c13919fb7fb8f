"""Demo knowledge for the seeded district: its gazetteer, routing rules and knowledge base."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, time
from importlib import resources
from zoneinfo import ZoneInfo

from ..adapters.kb_files import load_demo_kb
from ..app.triage import knowledge
from ..bootstrap import Container

SCENE_DAY = date(2022, 3, 28)  # the demo KB is written as of this day; it is moved to today


def seed_demo_knowledge(box: Container) -> str:
    now = box.now()
    with box.uow() as uow:
        if uow.gazetteer.count():
            return "demo gazetteer, routing rules and knowledge base already present"
        cats = uow.reference.category_names()
    data = resources.files("cityops.data")
    g = knowledge.import_gazetteer(box.uow(), None, data.joinpath("demo_gazetteer.csv").read_text("utf-8"), now)
    with box.uow() as uow:
        rules = json.loads(data.joinpath("demo_routing_rules.json").read_text("utf-8"))
        uow.routing.replace(rules, None, now)
        uow.commit()
    today = now.astimezone(ZoneInfo(box.settings.timezone)).date()
    shift = datetime.combine(today, time(0)) - datetime.combine(SCENE_DAY, time(0))
    result = load_demo_kb(cats)
    moved = result._replace(entries=[replace(e, valid_from=e.valid_from + shift,
                                             valid_to=e.valid_to + shift if e.valid_to else None)
                                     for e in result.entries])
    k = knowledge.kb_import(box.uow(), None, moved, now)
    return (f"地名库 gazetteer: {g['imported']} entries ({len(g['errors'])} bad rows); "
            f"分拨规则 routing rules: {len(rules)}; 口径库 knowledge base: {k['added']} entries")
