"""The recording audit against the generator's hidden truth (issue 20's must-show).

For each misrecord rate (5%, 10%, 20%) two stores are generated with different seeds: the
learned check is trained on the first and the second (never trained on) is audited with it.
Precision and recall of the flags and the estimated true mix are scored against
``generated_truth``; the reference in the same run is the rules alone (no learned check) and
the recorded mix (no audit). A last row trains on and scores six years (about 300,000
incidents) at 10%, with a Rich progress bar, and gives the times.

    nice -n 10 .venv/bin/python benchmarks/recording_audit.py [--quick]

Writes the table into docs/recording-audit.md and a section of docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asbhub.generate import truth
from asbhub.generate.service import generate
from asbhub.geography.service import load_reference
from asbhub.permissions import Actor, Role
from asbhub.recording import rules, service
from asbhub.recording.rules import RuleSet
from asbhub.store.engine import make_engine, session_scope, upgrade
from benchmarks._report import machine, write_section

DOC = Path(__file__).resolve().parents[1] / "docs" / "recording-audit.md"
ANALYST = Actor(0, "bench", "recording benchmark", Role.ANALYST, force_code="essex")
TRAIN_SEED, HELDOUT_SEED = 101, 202
RATES = (0.05, 0.10, 0.20)
YEAR = ("2019-04", "2021-03", dt.date(2019, 4, 1), dt.date(2021, 3, 31))  # two years
SIX = ("2015-04", "2021-03", dt.date(2015, 4, 1), dt.date(2021, 3, 31))


def store(folder: Path, name: str, seed: int, rate: float, span: tuple[Any, ...]) -> str:
    url = f"sqlite:///{folder / name}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as s:
        load_reference(s, "essex")
    generate(engine, force_code="essex", start=span[0], end=span[1], seed=seed, misrecord_rate=rate)
    engine.dispose()
    return url


def evaluate(
    train_url: str, held_url: str, span: tuple[Any, ...], ruleset: RuleSet, bar: Progress | None
) -> dict[str, Any]:
    task = bar.add_task("training", total=None) if bar else None

    def step(what: str, n: int) -> None:
        if bar is not None and task is not None:
            bar.update(task, advance=n, description=what)

    t0 = time.perf_counter()
    engine = make_engine(train_url)
    with session_scope(engine) as s:
        model = service.train(
            s, actor=ANALYST, start=span[2], end=span[3], rules=ruleset, progress=step
        )
        s.rollback()
    engine.dispose()
    trained = time.perf_counter() - t0
    t0 = time.perf_counter()
    engine = make_engine(held_url)
    with session_scope(engine) as s:
        out = service.run(
            s, actor=ANALYST, start=span[2], end=span[3], rules=ruleset, model=model, progress=step
        )
        flagged = service.flagged(s, actor=ANALYST, run_id=out["run"])
        scored = time.perf_counter() - t0
        got = truth.evaluate(
            s,
            force_code="essex",
            start=span[2],
            end=span[3],
            flagged=flagged,
            estimated_mix=out["estimated_true_mix"],
            exclude_covid=ruleset.exclude_covid_breaches,
        )
        # The reference: flags the rules raise alone (a rule's confidence at the threshold).
        strong = {r.id for r in ruleset.rules if r.confidence >= ruleset.flag_threshold}
        alone = [bool(strong & set(r)) for r in flagged["reasons"]]
        ref = truth.score(
            truth.truth_frame(
                s, force_code="essex", start=span[2], end=span[3], exclude_covid=True
            ),
            flagged[alone],
        )
        s.rollback()
    engine.dispose()
    assert got is not None and ref is not None
    return {
        **got,
        "rules_precision": ref["precision"],
        "rules_recall": ref["recall"],
        "estimated": out["estimated_true_mix"],
        "recorded": out["recorded_mix"],
        "trained_s": trained,
        "scored_s": scored,
        "model": model.version,
    }


def row(rate: float, n: int, r: dict[str, Any], note: str = "") -> str:
    e, t, rec = r["estimated"]["personal"], r["true_mix"]["personal"], r["recorded"]["personal"]
    worst = max(r["mix_error_points"].values())
    return (
        f"| {rate:.0%}{note} | {n:,} | {r['misrecorded']:,} | {r['flags']:,} | "
        f"{r['precision']:.3f} | "
        f"{r['recall']:.3f} | {r['rules_precision']:.3f} / {r['rules_recall']:.3f} | "
        f"{rec:.1%} | {t:.1%} | {e['share']:.1%} ({e['low']:.1%} to {e['high']:.1%}) | "
        f"{worst:.2f} |"
    )


HEADER = (
    "| Misrecord rate | Audited incidents | Misrecorded | Flags | Precision | Recall | "
    "Rules alone: precision / recall | Personal recorded | Personal true | Personal estimated "
    "(95% interval) | Worst mix error (points) |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def main(quick: bool = False) -> None:
    ruleset = rules.load()
    lines = []
    big: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for rate in RATES:
            a = store(folder, f"a{rate}.db", TRAIN_SEED, rate, YEAR)
            b = store(folder, f"b{rate}.db", HELDOUT_SEED, rate, YEAR)
            r = evaluate(a, b, YEAR, ruleset, None)
            lines.append(row(rate, r["incidents"], r))
            print(lines[-1], flush=True)
            for f in (f"a{rate}.db", f"b{rate}.db"):
                (folder / f).unlink()
        if not quick:
            a = store(folder, "a_six.db", TRAIN_SEED, 0.10, SIX)
            b = store(folder, "b_six.db", HELDOUT_SEED, 0.10, SIX)
            bar = Progress(
                TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True
            )
            with bar:
                big = evaluate(a, b, SIX, ruleset, bar)
            lines.append(row(0.10, big["incidents"], big, " (six years)"))
            print(lines[-1], flush=True)
    table = HEADER + "\n" + "\n".join(lines)
    doc = DOC.read_text(encoding="utf-8")
    body = (
        f"<!-- table -->\nTrained on seed {TRAIN_SEED}, audited seed {HELDOUT_SEED} (never "
        f"trained on); April 2019 to March 2021 (the last row: April 2015 to March 2021). "
        f"Rules {ruleset.version}, flag threshold {ruleset.flag_threshold}. Machine: "
        f"{machine()}.\n\n{table}\n<!-- /table -->"
    )
    DOC.write_text(re.sub(r"<!-- table -->.*<!-- /table -->", lambda _m: body, doc, flags=re.S))
    if big is not None:
        write_section(
            "recording audit",
            "Training the learned check on six generated years and auditing another six with "
            f"it (benchmarks/recording_audit.py; the table is in recording-audit.md):\n\n"
            f"    trained on {big['incidents']:,} audited incidents in {big['trained_s']:.0f} s\n"
            f"    audited (read, rules, scoring, explanations, stored) {big['incidents']:,} "
            f"in {big['scored_s']:.0f} s\n"
            f"    precision {big['precision']:.3f}, recall {big['recall']:.3f}; the rules alone "
            f"(reference, same run) {big['rules_precision']:.3f} / {big['rules_recall']:.3f}",
        )


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
