"""Reference data every install has: the taxonomy's categories, urgency classes and special
groups (stable codes), default deadline policies, and the district's mode."""
from __future__ import annotations

import json
from datetime import datetime
from importlib import resources
from typing import Any

from ..domain.orders.policy import Mode, default_policies

PARENTS = {"epi": ("疫情防控", "Epidemic prevention and control"), "city": ("城市管理", "City management")}


def load_taxonomy() -> dict[str, Any]:
    return json.loads(resources.files("cityops.data").joinpath("taxonomy.json").read_text("utf-8"))


def install_defaults(uow, now: datetime) -> dict[str, int]:
    """Idempotent: adds what is missing, never overwrites what an admin edited."""
    tax = load_taxonomy()
    added = {"categories": 0, "special_groups": 0, "policies": 0}
    with uow:
        for code, (name, en) in PARENTS.items():
            added["categories"] += uow.reference.add_category(code, name, en, "", None)
        for c in tax["categories"]:
            parent = c["code"].split(".")[0]
            added["categories"] += uow.reference.add_category(c["code"], c["name"], c["en"], c.get("about", ""), parent)
        for g in tax["special_groups"]:
            added["special_groups"] += uow.reference.add_special_group(g["code"], g["name"], g["en"])
        existing = {(p.mode, p.urgency, p.category) for p in uow.policies.all()}
        for p in default_policies():
            if (p.mode, p.urgency, p.category) not in existing:
                uow.policies.upsert(p, None, now)
                added["policies"] += 1
        if uow.reference.setting("mode") is None:
            uow.policies.set_mode(Mode.EPIDEMIC, None, now)
        uow.commit()
    return added
