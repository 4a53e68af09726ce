"""Triage at first contact: victim risk, THRIVE grade, repeats, ASB Case Review, the decision.

Importing the package subscribes :mod:`asbhub.triage.events` to the "incident recorded" event.
"""

from asbhub.triage import events as _events  # noqa: F401  (subscribes on import)
