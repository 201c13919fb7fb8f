"""日报 — the daily report: the seed's figures for one local day, on the page, in XLSX and in PDF.

Figures come from ``stats.statistics`` (the same numbers as ``GET /api/v1/stats`` for that day)
and, by street, from the big screen's window aggregate. Rates are fractions of the orders that
have the thing measured (see ``stats``); "–" when nothing was measured yet.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from io import BytesIO
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ...adapters.db import screen as screen_db
from ...adapters.db.stats import statistics
from ...adapters.db.views import scope_clause
from ...domain.errors import InvalidInput
from ...domain.roles import Actor, Role
from . import i18n
from .common import Box, local_tz, render, require_roles
from .exports import XLSX, xlsx_bytes
from .lookups import Labels, labels

router = APIRouter(include_in_schema=False)

ReportActor = Annotated[Actor, Depends(require_roles(Role.SUPERVISOR, Role.COMMANDER, Role.ADMIN))]
N_ = i18n.N_
_ = i18n.gettext  # the catalogue's extraction keyword
MAX_DAYS_BACK = 400


@dataclass
class Report:
    day: date
    start: datetime
    end: datetime
    now: datetime
    scope_name: str
    stats: dict[str, Any]
    streets: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    units: list[dict[str, Any]]
    lab: Labels

    @property
    def complete(self) -> bool:
        """False while the day is still running (figures will change)."""
        return self.now >= self.end


def parse_day(value: str | None, today: date) -> date:
    if not value:
        return today
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(_("Enter the day as YYYY-MM-DD, e.g. 2022-03-25."), field="day") from None
    if day > today:
        raise InvalidInput(_("The day has not come yet: choose today or an earlier day."), field="day")
    if day < today - timedelta(days=MAX_DAYS_BACK):
        raise InvalidInput(_("Reports go back at most %(n)s days.") % {"n": MAX_DAYS_BACK}, field="day")
    return day


def build(box, actor: Actor, day_param: str | None) -> Report:
    now = box.now()
    tz = box.settings.timezone
    day = parse_day(day_param, now.astimezone(local_tz(box)).date())
    start, end = screen_db.day_bounds(now, tz, day)
    with box.engine.connect().execution_options(readonly=True) as conn:
        s = statistics(conn, actor, start, end, now, tz=tz)
        places = screen_db.Places(conn)
        streets = screen_db.by_street(screen_db.window_groups(conn, start, end, scope_clause(conn, actor)), places)
        lab = labels(conn, actor)
    total = s["received"] or 0
    cats = []
    for g in s["by_category"]:
        code = g["category"]
        cats.append({"code": code, "name": lab.category(code) if code else _("Not classified"),
                     "parent": lab.category(code.split(".")[0]) if code else "", "count": g["count"],
                     "share": g["count"] / total if total else None,
                     "epidemic": bool(code and code.startswith("epi."))})
    units = [{"name": g["name"] or _("not dispatched"), "count": g["count"],
              "share": g["count"] / total if total else None} for g in s["by_unit"]]
    return Report(day=day, start=start, end=end, now=now, scope_name=places.name(actor.unit_id), stats=s,
                  streets=streets, categories=cats, units=units, lab=lab)


def pct(x: float | None) -> str:
    return "–" if x is None else f"{x * 100:.1f}%"


def summary(r: Report) -> list[str]:
    """The day in the seed's words: accepted / closed / remaining, epidemic share, growth, urgent, special groups."""
    s = r.stats
    out = [_("%(day)s: %(received)s orders received, %(closed)s closed, %(remaining)s remaining; "
             "%(epidemic)s epidemic orders, about %(share)s of all orders.") % {
        "day": r.day.isoformat(), "received": s["received"], "closed": s["closed"], "remaining": s["remaining"],
        "epidemic": s["epidemic"], "share": pct(s["epidemic_share"])}]
    if s["growth_ratio"] is not None:
        out.append(_("The day before: %(prev)s orders; this day is ×%(ratio)s of it.") % {
            "prev": s["previous_received"], "ratio": f"{s['growth_ratio']:.2f}"})
    u = s["urgent"]
    out.append(_("Urgent and critical orders: %(received)s received, %(closed)s closed, %(remaining)s remaining.") % u)
    sg = s["special_groups"]
    out.append(_("Special-group orders: %(received)s; solve rate %(solve)s, satisfaction rate %(sat)s.") % {
        "received": sg["received"], "solve": pct(sg["solve_rate"]), "sat": pct(sg["satisfaction_rate"])})
    out.append(_("On-time feedback %(on_time)s, solve rate %(solve)s, satisfaction rate %(sat)s, "
                 "return rate %(ret)s.") % {"on_time": pct(s["on_time_rate"]), "solve": pct(s["solve_rate"]),
                                            "sat": pct(s["satisfaction_rate"]), "ret": pct(s["return_rate"])})
    if not r.complete:
        out.append(_("The day is not over: figures up to %(time)s.") % {
            "time": r.now.astimezone(r.start.tzinfo).strftime("%H:%M")})
    return out


# (msgid, how to get the value from the statistics) — the summary sheet and table, in this order
FIGURES: list[tuple[str, Any]] = [
    (N_("Orders received"), lambda s: s["received"]),
    (N_("Closed"), lambda s: s["closed"]),
    (N_("Transferred to the city"), lambda s: s["transferred"]),
    (N_("Remaining"), lambda s: s["remaining"]),
    (N_("Epidemic orders"), lambda s: s["epidemic"]),
    (N_("Epidemic share"), lambda s: s["epidemic_share"]),
    (N_("Received the day before"), lambda s: s["previous_received"]),
    (N_("Growth (× the day before)"), lambda s: s["growth_ratio"]),
    (N_("On-time rate"), lambda s: s["on_time_rate"]),
    (N_("Solve rate"), lambda s: s["solve_rate"]),
    (N_("Satisfaction rate"), lambda s: s["satisfaction_rate"]),
    (N_("Return rate"), lambda s: s["return_rate"]),
    (N_("Urgent and critical received"), lambda s: s["urgent"]["received"]),
    (N_("Urgent and critical closed"), lambda s: s["urgent"]["closed"]),
    (N_("Urgent and critical remaining"), lambda s: s["urgent"]["remaining"]),
    (N_("Critical received"), lambda s: s["critical"]["received"]),
    (N_("Special-group orders"), lambda s: s["special_groups"]["received"]),
    (N_("Special groups closed"), lambda s: s["special_groups"]["closed"]),
    (N_("Special groups: solve rate"), lambda s: s["special_groups"]["solve_rate"]),
    (N_("Special groups: satisfaction rate"), lambda s: s["special_groups"]["satisfaction_rate"]),
    (N_("Overdue now (whole scope)"), lambda s: s["overdue_now"]),
]
RATES = {"Epidemic share", "On-time rate", "Solve rate", "Satisfaction rate", "Return rate",
         "Special groups: solve rate", "Special groups: satisfaction rate"}


def figure_rows(r: Report, for_xlsx: bool) -> list[list[Any]]:
    rows = []
    for msgid, get in FIGURES:
        v = get(r.stats)
        if msgid in RATES:
            v = (round(v, 4) if v is not None else None) if for_xlsx else pct(v)
        elif msgid.startswith("Growth"):
            v = v if for_xlsx else ("–" if v is None else f"×{v:.2f}")
        rows.append([_(msgid), v])
    return rows


STREET_HEADERS = (N_("Street"), N_("Received"), N_("Closed"), N_("Remaining"), N_("Epidemic"), N_("Epidemic share"),
                  N_("Urgent and critical"), N_("Special groups"))
CATEGORY_HEADERS = (N_("Category"), N_("Group"), N_("Orders"), N_("Share"))
UNIT_HEADERS = (N_("Lead unit"), N_("Orders"), N_("Share"))


def street_rows(r: Report, for_xlsx: bool) -> list[list[Any]]:
    return [[s["name"] if s["code"] else _("District level / not located"), s["received"],
             s["closed"] + s["transferred"], s["remaining"], s["epidemic"],
             s["epidemic_share"] if for_xlsx else pct(s["epidemic_share"]), s["urgent"], s["special"]]
            for s in r.streets]


def category_rows(r: Report, for_xlsx: bool) -> list[list[Any]]:
    return [[c["name"], c["parent"], c["count"], (round(c["share"], 4) if c["share"] is not None else None)
             if for_xlsx else pct(c["share"])] for c in r.categories]


def unit_rows(r: Report, for_xlsx: bool) -> list[list[Any]]:
    return [[u["name"], u["count"], (round(u["share"], 4) if u["share"] is not None else None)
             if for_xlsx else pct(u["share"])] for u in r.units]


def _title(r: Report) -> str:
    return _("Daily report %(day)s") % {"day": r.day.isoformat()}


@router.get("/reports")
def reports_page(request: Request, actor: ReportActor, box: Box):
    day_param = request.query_params.get("day")
    today = box.now().astimezone(local_tz(box)).date()
    try:
        r = build(box, actor, day_param)
    except InvalidInput as exc:
        # show the error beside the picker, with what was typed, and today's report below
        r = build(box, actor, None)
        return render(request, "reports.html", _ctx(actor, r, today, day_param or "", exc.message), status_code=422)
    return render(request, "reports.html", _ctx(actor, r, today, r.day.isoformat(), None))


def _ctx(actor: Actor, r: Report, today: date, typed: str, error: str | None) -> dict[str, Any]:
    return {"actor": actor, "r": r, "today": today.isoformat(), "typed": typed, "error": error,
            "title": _title(r), "summary": summary(r), "figures": figure_rows(r, False),
            "street_headers": [_(h) for h in STREET_HEADERS], "streets": street_rows(r, False),
            "category_headers": [_(h) for h in CATEGORY_HEADERS], "categories": category_rows(r, False),
            "unit_headers": [_(h) for h in UNIT_HEADERS], "units": unit_rows(r, False),
            "min_day": (today - timedelta(days=MAX_DAYS_BACK)).isoformat(),
            "prev_day": (r.day - timedelta(days=1)).isoformat(),
            "next_day": (r.day + timedelta(days=1)).isoformat() if r.day < today else None}


def _download(data: bytes, media_type: str, filename: str) -> Response:
    return Response(data, media_type=media_type,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


@router.get("/reports/daily.xlsx")
def report_xlsx(request: Request, actor: ReportActor, box: Box) -> Response:
    r = build(box, actor, request.query_params.get("day"))
    sheets = [
        (_("Summary"), [_("Figure"), _("Value")],
         [[_title(r), r.scope_name]] + figure_rows(r, True) + [[line, None] for line in summary(r)]),
        (_("By street"), [_(h) for h in STREET_HEADERS], street_rows(r, True)),
        (_("By category"), [_(h) for h in CATEGORY_HEADERS], category_rows(r, True)),
        (_("By lead unit"), [_(h) for h in UNIT_HEADERS], unit_rows(r, True)),
    ]
    return _download(xlsx_bytes(sheets), XLSX, f"daily-report-{r.day.isoformat()}.xlsx")


@router.get("/reports/daily.pdf")
def report_pdf(request: Request, actor: ReportActor, box: Box) -> Response:
    r = build(box, actor, request.query_params.get("day"))
    return _download(pdf_bytes(r), "application/pdf", f"daily-report-{r.day.isoformat()}.pdf")


def pdf_bytes(r: Report) -> bytes:
    """An A4 PDF with reportlab's built-in CID font for Chinese (no font file to ship)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    title_style = ParagraphStyle("t", fontName=font, fontSize=18, leading=24, spaceAfter=4)
    sub_style = ParagraphStyle("s", fontName=font, fontSize=10, leading=14, textColor=colors.HexColor("#555555"))
    h_style = ParagraphStyle("h", fontName=font, fontSize=13, leading=18, spaceBefore=10, spaceAfter=4)
    body = ParagraphStyle("b", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")

    def table(headers: list[str], rows: list[list[Any]], widths: list[float]) -> Table:
        data = [headers] + [["" if v is None else str(v) for v in row] for row in rows]
        t = Table(data, colWidths=widths, repeatRows=1)
        t.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 9.5),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDE6F3")),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9AA8BC")),
            ("ALIGN", (1, 1), (-1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F4F6FA")]),
        ]))
        return t

    buf = BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=_title(r), subject=f"cityops daily report {r.day.isoformat()}",
                            author=r.scope_name or "cityops", creator="cityops")
    width = A4[0] - 32 * mm
    story: list[Any] = [
        Paragraph(_title(r), title_style),
        Paragraph(f"{r.scope_name} · {r.start:%Y-%m-%d %H:%M} – {r.end:%Y-%m-%d %H:%M} ({r.start.tzinfo})", sub_style),
        Spacer(1, 6),
    ]
    story += [Paragraph(line, body) for line in summary(r)]
    story += [Paragraph(_("Figures"), h_style),
              table([_("Figure"), _("Value")], figure_rows(r, False), [width * 0.6, width * 0.4])]
    story += [Paragraph(_("By street"), h_style),
              table([_(h) for h in STREET_HEADERS], street_rows(r, False),
                    [width * 0.24] + [width * 0.76 / 7] * 7)]
    story += [Paragraph(_("By category"), h_style),
              table([_(h) for h in CATEGORY_HEADERS], category_rows(r, False),
                    [width * 0.4, width * 0.3, width * 0.15, width * 0.15])]
    story += [Paragraph(_("By lead unit"), h_style),
              table([_(h) for h in UNIT_HEADERS], unit_rows(r, False), [width * 0.6, width * 0.2, width * 0.2])]
    generated = r.now.astimezone(r.start.tzinfo).strftime("%Y-%m-%d %H:%M")
    story += [Spacer(1, 8), Paragraph(_("Generated %(time)s. Rates: on-time among orders with feedback; solve and "
                                        "satisfaction among orders called back.") % {"time": generated}, sub_style)]
    doc.build(story)
    return buf.getvalue()
