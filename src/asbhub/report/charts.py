"""The board report's charts, drawn with matplotlib as SVG (text kept as text)."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

plt.rcParams.update(
    {
        "svg.fonttype": "none",  # labels stay text, so the PDF can be searched and read aloud
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.hashsalt": "asbhub",  # the same figures give the same file
    }
)
BLUE, ORANGE, GREEN, GREY = "#1d70b8", "#f47738", "#00703c", "#505a5f"


def _svg(fig: Any, name: str) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    # The RDF metadata block would be laid out as stray list items in the PDF.
    start, end = text.find("<metadata>"), text.find("</metadata>")
    if start >= 0 and end > start:
        text = text[:start] + text[end + len("</metadata>") :]
    # Several charts share one document: matplotlib's ids (patch_1, clip paths) must not clash.
    text = text.replace('id="', f'id="{name}-').replace("url(#", f"url(#{name}-")
    return text.replace('href="#', f'href="#{name}-')


def volumes(years: list[dict[str, Any]]) -> str:
    labels = [y["period_end"][:4] for y in years]
    fig, ax = plt.subplots(figsize=(6.4, 2.6))
    x = range(len(labels))
    ax.bar([i - 0.2 for i in x], [y["incidents"] for y in years], 0.4, label="All", color=BLUE)
    ax.bar(
        [i + 0.2 for i in x],
        [y["excluding_covid"] for y in years],
        0.4,
        label="Excluding COVID-19 breaches",
        color=ORANGE,
    )
    ax.set_xticks(list(x), [f"to Mar {lab}" for lab in labels])
    ax.set_ylabel("Incidents")
    ax.legend(frameon=False)
    return _svg(fig, "volumes")


def monthly(series: list[dict[str, Any]]) -> str:
    fig, ax = plt.subplots(figsize=(6.4, 2.4))
    months = [m["month"] for m in series]
    ax.plot(months, [m["incidents"] for m in series], color=BLUE, label="All")
    ax.plot(
        months, [m["excluding_covid"] for m in series], color=ORANGE, label="Excluding breaches"
    )
    ax.set_xticks(months[::12], [m[:4] + "-" + m[5:] for m in months[::12]])
    ax.set_ylabel("Incidents a month")
    ax.legend(frameon=False)
    return _svg(fig, "monthly")


def mix(years: list[dict[str, Any]]) -> str:
    fig, ax = plt.subplots(figsize=(6.4, 2.4))
    labels = [f"to Mar {y['period_end'][:4]}" for y in years]
    bottom = [0.0] * len(years)
    for key, colour, name in (
        ("personal_pct", BLUE, "Personal"),
        ("nuisance_pct", ORANGE, "Nuisance"),
        ("environmental_pct", GREEN, "Environmental"),
    ):
        vals = [y[key] or 0.0 for y in years]
        ax.bar(labels, vals, bottom=bottom, color=colour, label=name)
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    ax.set_ylabel("% of incidents")
    ax.legend(frameon=False, ncol=3, loc="upper center", bbox_to_anchor=(0.5, 1.2))
    return _svg(fig, "mix")


def forecast(actual: list[dict[str, Any]], series: dict[str, dict[str, Any]]) -> str:
    fig, ax = plt.subplots(figsize=(6.4, 2.6))
    for (key, name), colour in zip(
        (("incidents", "Including breaches"), ("excluding_covid", "Excluding breaches")),
        (BLUE, ORANGE),
        strict=True,
    ):
        xs = [a["period_end"][:4] for a in actual]
        ax.plot(xs, [a[key] for a in actual], marker="o", color=colour, label=name)
        f = series[key]["years"]
        fx = [xs[-1], *(y["period_end"][:4] for y in f)]
        ax.plot(fx, [actual[-1][key], *(y["forecast"] for y in f)], ls="--", color=colour)
        ax.fill_between(
            fx[1:], [y["lo95"] for y in f], [y["hi95"] for y in f], color=colour, alpha=0.15
        )
        ax.fill_between(
            fx[1:], [y["lo80"] for y in f], [y["hi80"] for y in f], color=colour, alpha=0.3
        )
    ax.set_ylabel("Incidents, 12 months to March")
    ax.legend(frameon=False)
    return _svg(fig, "forecast")


def msg_rates(forces: list[dict[str, Any]], own: str) -> str:
    fig, ax = plt.subplots(figsize=(6.4, 2.6))
    rated = [f for f in forces if f["rate_per_1000"] is not None][::-1]
    ax.barh(
        [f["name"] for f in rated],
        [f["rate_per_1000"] for f in rated],
        color=[ORANGE if f["force"] == own else GREY for f in rated],
    )
    ax.set_xlabel("ASB per 1,000 residents")
    return _svg(fig, "msg-rates")
