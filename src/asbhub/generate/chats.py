"""Live chat history: every conversation of the deep dive's windows, ASB or not.

The published windows (:func:`~asbhub.generate.calibration.chat_windows`) fix how many chats
start in each; the live chat incidents already drawn for the year are some of them (a chat
recorded as an incident starts when the incident was received), and the rest are contacts that
never became ASB incidents, drawn over the window's days with their own time-of-day profile.
Each chat gets a waiting time, and either a handler and a handling time or, when the member of
the public gave up first, neither. The transcript lines are written by the writer from these
arrays (see ``docs/generator.md``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from asbhub.generate.calibration import LIVE_CHAT_FROM, chat_windows, financial_year
from asbhub.generate.people import FORENAMES, SURNAMES

# Hour of day a chat starts (midnight to 23:00): people chat from work, after school and in
# the evening; few do in the small hours.
CHAT_HOURS = np.concatenate(
    [
        [0.8, 0.5, 0.3, 0.2, 0.2, 0.3, 0.6, 1.4, 2.9, 4.2, 4.8, 4.9],  # midnight to 11:00
        [4.8, 4.7, 4.6, 4.7, 4.9, 5.1, 5.3, 5.4, 5.0, 4.0, 2.6, 1.5],  # noon to 23:00
    ]
)
CHAT_HOUR_CDF = np.cumsum(CHAT_HOURS) / CHAT_HOURS.sum()
# Monday..Sunday: chat is busier on weekdays than the phones' weekend-heavy ASB.
CHAT_DAY_WEIGHT = np.array([1.12, 1.06, 1.03, 1.02, 1.00, 0.88, 0.89])
# Waiting (seconds): lognormal around 100 s, longer in the busy hours (x0.5 .. x1.5).
WAIT_MEDIAN, WAIT_SIGMA, WAIT_CAP = 100.0, 0.9, 40 * 60
# Patience (seconds) of someone waiting: they leave when the wait is longer than this.
PATIENCE_MEDIAN, PATIENCE_SIGMA = 8 * 60.0, 0.8
# Handling (seconds): a general enquiry ~9 min; recording an ASB incident takes longer (~15).
HANDLE_MEDIAN = {"other": 9 * 60.0, "asb": 15 * 60.0}
HANDLE_SIGMA, HANDLE_MIN, HANDLE_CAP = 0.6, 45, 2 * 3600
NAMED_SHARE = 0.6  # share of the public who type a name when they start a chat
HANDLERS = 24  # size of the force's chat desk roster

# What the public say first, in their words: by ASB closing code, and for everything else.
ASB_TOPICS: dict[str, tuple[str, ...]] = {
    "rowdy_nuisance_neighbours": (
        "My neighbours are shouting and banging again, it goes on most nights",
        "The people next door keep threatening us over the fence",
    ),
    "malicious_communications": (
        "Someone keeps sending me nasty messages online",
        "I am getting abusive calls and texts from a number I don't know",
    ),
    "rowdy_inconsiderate": (
        "There is a group of youths being rowdy outside the shops",
        "A gang hangs around the park every evening shouting at people",
    ),
    "noise": (
        "Loud music from a house on my road, it has gone on for hours",
        "There is a party with very loud music and it is really late",
    ),
    "vehicle_nuisance": (
        "Off-road bikes keep racing round the estate",
        "Cars meet in the car park every night revving engines",
    ),
    "trespass": ("People keep getting into the empty building next to us",),
    "hoax_call": ("Someone keeps calling us pretending to be from the council",),
    "animal_problems": ("A dog keeps getting out and going for people on our street",),
    "street_drinking": ("People drinking in the street outside my house every afternoon",),
    "begging_vagrancy": ("Someone is begging aggressively outside the station",),
    "fireworks": ("Fireworks are being let off in the street and aimed at houses",),
    "prostitution": ("I think there is kerb crawling on my road at night",),
    "littering_drugs_paraphernalia": (
        "I have found needles in the play area",
        "Rubbish has been dumped in the alley again",
    ),
    "abandoned_vehicle": ("A car has been left on our road for weeks, it looks abandoned",),
    "covid_breach": ("There is a big gathering in a garden on my road, is that allowed?",),
}
ASB_TOPIC_DEFAULT = ("I want to report anti-social behaviour near where I live",)
OTHER_TOPICS = (
    "Can I get an update on something I reported last week?",
    "I think I have been sent a scam text, what should I do?",
    "How do I hand in something I found in the street?",
    "What are the rules on meeting family at the moment?",
    "I need a crime reference number for my insurance",
    "My bike was stolen from outside the shops",
    "There is a car parked on my road that I think has no insurance",
    "Someone drove into my car and drove off",
    "I want to pass on information about drug dealing in my area",
    "How do I get a copy of a report for my solicitor?",
    "I lost my phone on the bus yesterday",
    "Where do I report a scam website?",
)
ASB_REPLIES = (
    "Thanks for getting in touch. Can you tell me exactly where this is and whether it is "
    "happening now?",
    "Thank you for telling us. Is anyone in danger right now? If so please call 999.",
    "I'm sorry you're dealing with this. Can I take a few details so we can record it?",
)
OTHER_REPLIES = (
    "Thanks for contacting us. I can help with that. Can I take a few details?",
    "Thank you for getting in touch. Let me look into that for you.",
    "Thanks for waiting. I'll point you to the right place for that.",
)


@dataclass
class ChatData:
    """Chats of one financial year, in order of starting (parallel arrays)."""

    started: np.ndarray  # datetime64[s]
    taken: np.ndarray  # datetime64[s], NaT when the public left before anyone took the chat
    closed: np.ndarray  # datetime64[s]
    incident: np.ndarray  # row index of the incident the chat became, -1 for none
    topic: np.ndarray  # object: the public's first line
    display_name: np.ndarray  # object: a forename, or None
    handler: np.ndarray  # object: the handler's name, or None
    reply: np.ndarray  # object: the handler's first line, or None

    def __len__(self) -> int:
        return len(self.started)

    def take(self, keep: np.ndarray, incident_index: np.ndarray) -> ChatData:
        """The chats where ``keep`` is true; incident rows mapped through ``incident_index``
        (-1 where the incident was cut)."""
        inc = self.incident[keep]
        linked = inc >= 0
        new_inc = np.full(len(inc), -1, dtype=np.int64)
        new_inc[linked] = incident_index[inc[linked]]
        return ChatData(
            started=self.started[keep],
            taken=self.taken[keep],
            closed=self.closed[keep],
            incident=new_inc,
            topic=self.topic[keep],
            display_name=self.display_name[keep],
            handler=self.handler[keep],
            reply=self.reply[keep],
        )


def empty() -> ChatData:
    none = np.array([], dtype=object)
    stamps = np.array([], dtype="datetime64[s]")
    return ChatData(stamps, stamps, stamps, np.array([], np.int64), none, none, none, none)


@lru_cache(maxsize=4)
def handler_roster(seed: int) -> tuple[str, ...]:
    """The chat desk's (fictitious) handlers; the same for every year of a seed."""
    rng = np.random.default_rng([seed, 1])
    first = rng.choice(np.array(FORENAMES, dtype=object), HANDLERS)
    last = rng.choice(np.array(SURNAMES, dtype=object), HANDLERS)
    return tuple(f"{f} {s}" for f, s in zip(first, last, strict=True))


def _starts(rng: np.random.Generator, start: dt.date, end: dt.date, n: int) -> np.ndarray:
    """``n`` start times in ``[start, end)`` by weekday and hour of day."""
    days = np.arange(np.datetime64(start), np.datetime64(end)).astype("datetime64[D]")
    w = CHAT_DAY_WEIGHT[(days.view("int64") - 4) % 7]  # 1970-01-01 was a Thursday
    day = rng.choice(days, n, p=w / w.sum())
    if start == LIVE_CHAT_FROM and n and not (day == days[0]).any():
        day[0] = days[0]  # the service opened that day: its first chat is on it
    hour = np.searchsorted(CHAT_HOUR_CDF, rng.random(n), side="right")
    seconds = np.minimum(hour, 23) * 3600 + rng.integers(0, 3600, n)
    return day.astype("datetime64[s]") + seconds.astype("timedelta64[s]")


def _blank(values: np.ndarray, where: np.ndarray) -> np.ndarray:
    out = values.astype(object)
    out[where] = None
    return out


def _pick(rng: np.random.Generator, options: tuple[str, ...], n: int) -> np.ndarray:
    return np.array(options, dtype=object)[rng.integers(0, len(options), n)]


def build_chats(
    rng: np.random.Generator,
    *,
    fy: int,
    received: np.ndarray,
    channel: np.ndarray,
    closing: np.ndarray,
    public_forenames: np.ndarray,
    roster: tuple[str, ...],
    scale: float = 1.0,
) -> ChatData:
    """Every chat starting in financial year ``fy``, linked to the year's live chat incidents.

    Raises ``ValueError`` if a window holds more live chat incidents than chats. ``scale``
    scales the published (Essex) counts for another force's volume.
    """
    windows = [w for w in chat_windows() if financial_year(w.start.year, w.start.month) == fy]
    if not windows:
        return empty()
    day = received.astype("datetime64[D]")
    started_parts, incident_parts = [], []
    for w in windows:
        asb = np.flatnonzero(
            (channel == "live_chat")
            & (day >= np.datetime64(w.start))
            & (day < np.datetime64(w.end))
        )
        count = w.count if scale == 1.0 else max(round(w.count * scale), len(asb))
        others = count - len(asb)
        if others < 0:
            raise ValueError(f"{len(asb)} live chat incidents but {count} chats from {w.start}")
        started_parts += [received[asb], _starts(rng, w.start, w.end, others)]
        incident_parts += [asb, np.full(others, -1, dtype=np.int64)]
    started = np.concatenate(started_parts).astype("datetime64[s]")
    incident = np.concatenate(incident_parts)
    order = np.argsort(started, kind="stable")
    started, incident = started[order], incident[order]
    n = len(started)
    is_asb = incident >= 0

    hour = started.astype("datetime64[h]").view("int64") % 24
    load = CHAT_HOURS[hour] / CHAT_HOURS.max()
    wait = rng.lognormal(np.log(WAIT_MEDIAN), WAIT_SIGMA, n) * (0.5 + load)
    wait = np.minimum(np.round(wait), WAIT_CAP).astype(np.int64)
    patience = rng.lognormal(np.log(PATIENCE_MEDIAN), PATIENCE_SIGMA, n)
    # A chat that became an incident was taken by someone, however long it waited.
    left = (patience < wait) & ~is_asb
    median = np.where(is_asb, HANDLE_MEDIAN["asb"], HANDLE_MEDIAN["other"])
    handle = rng.lognormal(np.log(median), HANDLE_SIGMA)
    handle = np.clip(np.round(handle), HANDLE_MIN, HANDLE_CAP).astype(np.int64)

    taken = np.where(left, np.datetime64("NaT", "s"), started + wait.astype("timedelta64[s]"))
    closed = np.where(
        left,
        started + np.round(patience).astype(np.int64).astype("timedelta64[s]"),
        taken + handle.astype("timedelta64[s]"),
    )

    topic = _pick(rng, OTHER_TOPICS, n)
    asb_rows = np.flatnonzero(is_asb)
    u = rng.random(len(asb_rows))
    for k, code in enumerate(closing[incident[asb_rows]].tolist()):
        options = ASB_TOPICS.get(code, ASB_TOPIC_DEFAULT)
        topic[asb_rows[k]] = options[int(u[k] * len(options))]
    unnamed = rng.random(n) >= NAMED_SHARE
    display_name = _blank(public_forenames[rng.integers(0, len(public_forenames), n)], unnamed)
    handler = _blank(_pick(rng, roster, n), left)
    reply = np.where(is_asb, _pick(rng, ASB_REPLIES, n), _pick(rng, OTHER_REPLIES, n))
    return ChatData(
        started=started,
        taken=taken,
        closed=closed,
        incident=incident,
        topic=topic,
        display_name=display_name,
        handler=handler,
        reply=_blank(reply, left),
    )
