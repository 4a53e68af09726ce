"""Plainly fictitious people: common forenames and surnames combined at random.

Phone numbers are in Ofcom's range reserved for drama (07700 900000-900999), e-mail addresses
are at example.com, and addresses are made-up house numbers on real street names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np


def _words(text: str) -> list[str]:
    return text.split()


# Common British forenames and surnames, combined at random: no real person is described.
FORENAMES = _words(
    "Oliver Jack Harry George Noah Charlie Jacob Alfie Freddie Oscar Leo Archie Henry Thomas "
    "James William Joshua Daniel Samuel Joseph Lewis Ryan Adam Ethan Liam Mason Dylan Callum "
    "Amelia Olivia Isla Emily Ava Lily Mia Sophie Jessica Grace Ruby Chloe Ella Evie Poppy "
    "Charlotte Isabelle Hannah Lucy Megan Holly Sarah Emma Laura Rachel Claire Karen Susan "
    "Margaret Patricia Jean Brian Keith Colin Graham Stephen Paul Mark Darren Dean Wayne "
    "Tracey Joanne Nicola Kelly Gemma Stacey Aisha Priya Mohammed Ali Tomasz Agnieszka Kwame"
)
SURNAMES = _words(
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans "
    "Walker White Roberts Green Hall Wood Jackson Clarke Patel Khan Lewis James Phillips Mason "
    "Mitchell Rose Davis Rodriguez Cox Alexander Morgan Moore Lee Harris King Clark Turner "
    "Hill Cooper Ward Morris Baker Harrison Scott Young Allen Edwards Hughes Carter Parker "
    "Collins Bennett Shaw Cook Bailey Bell Richardson Murphy Kelly Marshall Ellis Simpson "
    "Chapman Webb Griffiths Fox Palmer Mills Barnes Knight Lloyd Butler Russell Barker Fisher "
    "Stevens Jenkins Dixon Fletcher Hunt Gibson Holmes Pearce Nowak Okafor Begum Ahmed Singh"
)
FLAGS = ("disability", "mental_health", "elderly", "child", "isolation")
EPOCH = np.datetime64("2020-01-01")


@dataclass
class People:
    """Parallel arrays, one entry per generated person."""

    forename: np.ndarray
    surname: np.ndarray
    date_of_birth: np.ndarray  # datetime64[D]
    phone: np.ndarray  # object, None where no number is held
    email: np.ndarray
    address: np.ndarray
    flags: np.ndarray  # bool matrix, one column per FLAGS entry
    location: np.ndarray  # index into the place pool of the person's home

    def __len__(self) -> int:
        return len(self.forename)

    def flags_json(self, idx: np.ndarray) -> list[str]:
        names = np.array(FLAGS)
        return [json.dumps(names[row].tolist()) for row in self.flags[idx]]


def build_people(
    rng: np.random.Generator,
    homes: np.ndarray,
    addresses: np.ndarray,
    *,
    age: tuple[float, float, float],
    child_share: float,
    prevalence: dict[str, float],
    boost: np.ndarray | None = None,
) -> People:
    """``len(homes)`` people living at place indices ``homes``.

    ``age`` is the (min, mode, max) of a triangular adult age; ``child_share`` of them are
    aged 10-17 instead. ``boost`` multiplies each person's chance of every non-age flag (repeat
    victims are more often vulnerable).
    """
    n = len(homes)
    years = rng.triangular(*age, n)
    child = rng.random(n) < child_share
    years[child] = rng.uniform(10, 18, int(child.sum()))
    dob = EPOCH - (years * 365.25).astype("timedelta64[D]")
    fore = np.array(FORENAMES, dtype=object)[rng.integers(0, len(FORENAMES), n)]
    sur = np.array(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), n)]
    has_phone = rng.random(n) < np.where(child, 0.3, 0.85)
    phone = np.full(n, None, dtype=object)
    digits = np.char.zfill(rng.integers(0, 1000, n).astype(str), 3)
    phone[has_phone] = np.char.add("07700 900", digits)[has_phone]
    has_email = (rng.random(n) < 0.45) & ~child
    tag = rng.integers(1, 100, n)
    email = np.array(
        [
            f"{f.lower()}.{s.lower()}{t}@example.com" if e else None
            for f, s, t, e in zip(fore, sur, tag, has_email, strict=True)
        ],
        dtype=object,
    )
    scale = np.ones(n) if boost is None else boost
    flags = np.zeros((n, len(FLAGS)), dtype=bool)
    for j, name in enumerate(FLAGS):
        if name == "elderly":
            flags[:, j] = years >= 75
        elif name == "child":
            flags[:, j] = years < 18
        else:
            flags[:, j] = rng.random(n) < np.minimum(prevalence[name] * scale, 0.9)
    return People(
        forename=fore,
        surname=sur,
        date_of_birth=dob,
        phone=phone,
        email=email,
        address=addresses[homes],
        flags=flags,
        location=homes,
    )


def concat(parts: list[People]) -> People:
    return People(
        **{f: np.concatenate([getattr(p, f) for p in parts]) for f in People.__dataclass_fields__}
    )
