"""Hotspot methods, one module each behind the :class:`~.base.Method` interface."""

from __future__ import annotations

from collections.abc import Callable

from asbhub.errors import InvalidInput
from asbhub.hotspots.methods.base import Method, NotFitted
from asbhub.hotspots.methods.blend import NaiveKDETieBreak
from asbhub.hotspots.methods.gistar import GetisOrd
from asbhub.hotspots.methods.kde import QuarticKDE
from asbhub.hotspots.methods.naive import Naive, NaiveLast
from asbhub.hotspots.methods.prospective import Prospective
from asbhub.hotspots.methods.ranker import BoostedRanker, GLMRanker
from asbhub.hotspots.methods.sepp import SelfExciting
from asbhub.hotspots.methods.shrinkage import CrimeShrinkage

# Defaults frozen after tuning on test months 2025-04…2025-06 only (docs/hotspots.md).
REGISTRY: dict[str, Callable[[], Method]] = {
    "naive": Naive,
    "kde": QuarticKDE,
    "naive_last": NaiveLast,
    "prospective": Prospective,
    "gistar": GetisOrd,
    "sepp": SelfExciting,
    "ranker_glm": GLMRanker,
    "ranker_gbm": BoostedRanker,
    "naive_kde": NaiveKDETieBreak,
    "eb_crime": CrimeShrinkage,
}


def make_methods(names: list[str] | None = None) -> list[Method]:
    """Instances of the named methods (all when ``names`` is empty); naive and kde always."""
    chosen = list(REGISTRY) if not names else list(names)
    unknown = [n for n in chosen if n not in REGISTRY]
    if unknown:
        raise InvalidInput(
            f"unknown method(s): {', '.join(unknown)}", {"--method": ", ".join(REGISTRY)}
        )
    for base in ("kde", "naive"):
        if base not in chosen:
            chosen.insert(0, base)
    return [REGISTRY[n]() for n in chosen]


__all__ = ["REGISTRY", "Method", "NotFitted", "make_methods"]
