"""The letters of the statutory powers (CPW, CPN, closure notice, Respect Order application)
as HTML from the app's templates and as PDF through WeasyPrint.

Every figure in a letter comes from the record: the rule it was issued under (its snapshot, so
a letter reproduced later says what the law said then) and its deadlines on the legal calendar.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment

from asbhub.powers.calendar import Period
from asbhub.powers.guards import issuer_words
from asbhub.powers.models import PowerRecord
from asbhub.powers.rules import Advice
from asbhub.powers.service import LETTER_KINDS, subject_words
from asbhub.web.templating import make_templates

TEMPLATES = {
    "CPW": "powers/letters/cpw.html",
    "CPN": "powers/letters/cpn.html",
    "CLOSURE_NOTICE": "powers/letters/closure_notice.html",
    "RESPECT_ORDER": "powers/letters/respect_order.html",
}
_EXCLUDED = {"christmas_day": "Christmas Day", "good_friday": "Good Friday", "sunday": "Sundays"}


@lru_cache(maxsize=1)
def _env() -> Environment:
    return make_templates().env


def _long(at: Any) -> str:
    return f"{at:%H:%M} on {at:%A} {at.day} {at:%B %Y}" if at is not None else ""


def _day(at: Any) -> str:
    return f"{at:%A} {at.day} {at:%B %Y}" if at is not None else ""


def context(rec: PowerRecord, advice: list[Advice], rule: dict[str, Any]) -> dict[str, Any]:
    due = {d.kind: d for d in rec.deadlines}
    issuer = (
        f"police {(rec.issuer_rank or 'officer').replace('_', ' ')}"
        if rec.issuer == "police"
        else issuer_words({"who": rec.issuer})
    )
    dur = rule.get("duration") or {}
    appeal = rule.get("appeal") or {}
    period = (rec.details or {}).get("period")
    return {
        "r": rec,
        "rule": rule,
        "title": LETTER_KINDS[rec.power],
        "subject": subject_words(rec),
        "issuer": issuer,
        "issuer_org": f"{rec.force_code.replace('_', ' ').title()} Police"
        if rec.issuer == "police"
        else issuer[0].upper() + issuer[1:],
        "issued": _long(rec.starts_at) or "not yet issued",
        "ends": _long(rec.ends_at),
        "appeal_by": _day(due["appeal"].due_at) if "appeal" in due else "",
        "appeal_period": Period.parse(appeal["within"]).words() if appeal.get("within") else "",
        "hearing_by": _long(due["hearing"].due_at) if "hearing" in due else "",
        "hearing_section": due["hearing"].section if "hearing" in due else "",
        "excluded": ", ".join(_EXCLUDED[d] for d in dur.get("exclude_days", [])),
        "fpn": rule.get("fpn_max"),
        "period": Period.parse(period).words() if period else None,
        "sections": {"pre": "; ".join(p["section"] for p in rule.get("pre", []))},
        "advice": advice,
    }


def render_letter(rec: PowerRecord, *, advice: list[Advice], rule: dict[str, Any]) -> str:
    """The letter of ``rec`` as one HTML document (styles inline), under ``rule``: the one
    it was issued under, or for an application made before the order, today's."""
    return _env().get_template(TEMPLATES[rec.power]).render(**context(rec, advice, rule))


def render_pdf(html: str) -> bytes:
    """A tagged PDF of the letter's HTML."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=html).write_pdf(pdf_tags=True)
    return pdf
