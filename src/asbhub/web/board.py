"""The board report as HTML from the app's templates, and as PDF through WeasyPrint."""

from __future__ import annotations

from typing import Any

from asbhub.web.templating import make_templates

TEMPLATE = "report/board.html"


def _num(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return f"{v:,}" if isinstance(v, int) else str(v)


def render_html(report: dict[str, Any]) -> str:
    """The whole report as one HTML document (styles inline, charts inline SVG)."""
    env = make_templates().env
    env.filters.update(
        signed=lambda n: "" if n is None else f"{n:+,}",
        pct=lambda p: "" if p is None else f"{p:.1f}%",
        num=_num,
    )
    return env.get_template(TEMPLATE).render(r=report)


def render_pdf(report: dict[str, Any]) -> bytes:
    """A tagged PDF of the same HTML: one set of figures, two formats."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=render_html(report)).write_pdf(pdf_tags=True)
    return pdf
