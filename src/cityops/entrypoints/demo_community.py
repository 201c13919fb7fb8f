"""Demo data for the community pages: building registers, ledgers and this morning's results for
every committee of the seeded district, a district-wide round for today, and its cross-match."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from ..adapters.community import synth as S
from ..adapters.community.files import sha256
from ..app.community import ledger as led
from ..app.community import results as res
from ..app.community.notices import install_templates
from ..app import identity
from ..app.community.rounds import create_round, refresh_progress
from ..app.demo.org import DEMO_PASSWORD
from ..bootstrap import Container
from .api.community import matcher

PER_COMMITTEE = 240
COMMITTEE_USER = "juwei"


def seed_demo_community(box: Container, per_committee: int = PER_COMMITTEE) -> str:
    now = box.now()
    with box.uow() as uow:
        if uow.community.buildings():
            return "demo community registry already present"
        committees = sorted(uow.community.committee_codes())
        district = next((u for u in uow.units.all() if u.kind == "district"), None)
    if not committees or district is None:
        return "no committees: community registry not seeded"
    tz = ZoneInfo(box.settings.timezone)
    install_templates(box.uow(), now)
    with box.uow() as uow:
        has_user = uow.users.by_username(COMMITTEE_USER) is not None
    if not has_user:  # the committee's own login, for the phone page (the demo org has none below the streets)
        identity.create_user(box.uow(), box.hasher, None, username=COMMITTEE_USER, password=DEMO_PASSWORD,
                             role="unit_handler", unit_code=committees[0], now=now, display_name="居委书记")
    people = [S.synth_people(code, per_committee, buildings=8, start=k * per_committee) for k, code in enumerate(committees)]
    for p in people:
        led.add_buildings(box.uow(), None, p.committee_code, p.buildings, now)
    ledger = S.ledger_table(people)
    led.import_ledger(box.uow(), None, [list(S.LEDGER_HEADER)] + ledger, filename="demo-ledger.csv",
                      sha256=sha256(repr(ledger[:50]).encode()), secret=box.settings.id_secret, now=now, tz=str(tz))
    start = now - timedelta(hours=10)
    rows = S.results_table(people, start.astimezone(tz), hours=9)
    res.import_results(box.uow(), None, [list(S.RESULT_HEADER)] + rows, filename="demo-results.csv",
                       sha256=sha256(repr(rows[:50]).encode()), secret=box.settings.id_secret, now=now, tz=str(tz))
    local = now.astimezone(tz)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    rnd = create_round(box.uow(), None, name=f"{local:%m月%d日}全员核酸筛查", area_code=district.code,
                       starts_at=min(day_start, start), ends_at=day_start + timedelta(days=1), now=now)
    out = refresh_progress(box.uow(), None, rnd["id"], matcher(box), now, box.settings.timezone)
    return (f"community: {len(ledger)} residents in {len(committees)} committees, {len(rows)} results; round "
            f"{rnd['id']} {out['tested']}/{out['must']} tested, {out['untested']} untested, {out['positive']} "
            f"positive (each a critical order); committee login {COMMITTEE_USER} / {DEMO_PASSWORD} ({committees[0]})")
