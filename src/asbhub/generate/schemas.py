"""The generator's in-memory data: the pools drawn once per seed, a year of incidents as
parallel arrays, and a generated period. :mod:`asbhub.generate.service` builds them and
:mod:`asbhub.generate.writer` stores them, so both import from here and not each other."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from asbhub.generate.chats import ChatData
from asbhub.generate.people import People
from asbhub.generate.places import Places
from asbhub.generate.triage import TriageData

REFERENCE_PREFIX = "SYN-"  # marks generated incidents, so --replace never touches real ones


@dataclass
class Pools:
    """Everything drawn once per seed: places and the people who live, call and offend there."""

    places: Places
    people: People
    resident_of: np.ndarray  # place index -> person index (-1 for non-residential places)
    general: np.ndarray  # person indices of members of the public
    general_weight: np.ndarray
    offenders_by_district: dict[str, tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Orders:
    """The CBOs of a year: the subject (pool person index), made and conviction dates."""

    person: np.ndarray  # int64
    made_on: tuple[dt.date, ...]

    @classmethod
    def none(cls) -> Orders:
        return cls(np.array([], dtype=np.int64), ())

    def __len__(self) -> int:
        return len(self.made_on)

    def within(self, first: dt.date, last: dt.date) -> Orders:
        """The orders made from ``first`` to before ``last``."""
        keep = [i for i, d in enumerate(self.made_on) if first <= d < last]
        return Orders(self.person[keep], tuple(self.made_on[i] for i in keep))


@dataclass
class YearData:
    """One financial year of incidents (parallel arrays) and their person links."""

    fy: int
    received: np.ndarray  # datetime64[s]
    channel: np.ndarray
    opening: np.ndarray
    closing: np.ndarray
    qualifier: np.ndarray
    covid: np.ndarray
    hate: np.ndarray
    place: np.ndarray
    attended: np.ndarray
    attended_at: np.ndarray  # datetime64[s], NaT where not attended
    narrative: np.ndarray
    link_incident: np.ndarray  # row index into this year's arrays
    link_person: np.ndarray
    link_role: np.ndarray
    true_qualifier: np.ndarray  # what the incident was (== qualifier unless misrecorded)
    true_hate: np.ndarray
    misrecord: np.ndarray  # "" or the kind of misrecording (asbhub.generate.misrecord)
    chats: ChatData  # every live chat of the year, linked to the live_chat incidents
    triage: TriageData  # the triage record of each incident
    # The Criminal Behaviour Orders made this year (the seed's nine, in 2020/21).
    orders: Orders = field(default_factory=Orders.none)

    def take(self, keep: np.ndarray, keep_chats: np.ndarray) -> YearData:
        """The incidents where ``keep`` and the chats where ``keep_chats`` are true, with their
        links renumbered."""
        new_index = np.where(keep, np.cumsum(keep) - 1, -1)
        lk = keep[self.link_incident]
        return YearData(
            fy=self.fy,
            received=self.received[keep],
            channel=self.channel[keep],
            opening=self.opening[keep],
            closing=self.closing[keep],
            qualifier=self.qualifier[keep],
            covid=self.covid[keep],
            hate=self.hate[keep],
            place=self.place[keep],
            attended=self.attended[keep],
            attended_at=self.attended_at[keep],
            narrative=self.narrative[keep],
            link_incident=new_index[self.link_incident[lk]],
            link_person=self.link_person[lk],
            link_role=self.link_role[lk],
            true_qualifier=self.true_qualifier[keep],
            true_hate=self.true_hate[keep],
            misrecord=self.misrecord[keep],
            chats=self.chats.take(keep_chats, new_index),
            triage=self.triage.take(keep),
            orders=self.orders,
        )


@dataclass
class Generated:
    """A period's incidents (concatenated years) with the pools they refer to."""

    force_code: str
    first: dt.date
    last: dt.date  # exclusive
    pools: Pools
    years: list[YearData] = field(default_factory=list)
    seed: int = 0  # the run's seed, for the casework drawn after the incidents are written
    misrecord_rate: float = 0.0
    # A force larger than Essex is written in parts, each from a pool of its own
    # (generate/national.py); references of parts after the first carry the part's number.
    part: int = 0
    # False when the volumes are scaled from Essex's (another force, or --scale): the seed's
    # casework (case reviews, restorative referrals, orders) is Essex's and is written only then.
    calibrated: bool = True

    @property
    def incidents(self) -> int:
        return sum(len(y.received) for y in self.years)

    @property
    def chats(self) -> int:
        return sum(len(y.chats) for y in self.years)
