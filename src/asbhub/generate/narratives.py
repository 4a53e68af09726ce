"""Incident narratives written from templates by incident type and ASB category.

Each narrative is an opening sentence chosen from several per type (with slots for the place,
the time of day, who was involved and vehicles), one sentence saying who was affected (by
category), a hate sentence where the incident is hate-motivated, and how it was dealt with.
"""

from __future__ import annotations

import numpy as np

TEMPLATES: dict[str, tuple[str, ...]] = {
    "abandoned_vehicle": (
        "Caller reports a {vehicle} left on {place} for weeks, untaxed and with a flat tyre.",
        "A {vehicle} has been parked on {place} since last month, unmoved; windows smashed.",
        "Report of an apparently abandoned {vehicle} on {place}; no keeper at the address on file.",
    ),
    "animal_problems": (
        "Dog loose on {place} {when}, running at passers-by and not under control.",
        "Caller reports a dog barking constantly at an address on {place} {when}.",
        "Horses have got out on to {place} {when}; owner not known to the caller.",
    ),
    "begging_vagrancy": (
        "Male begging outside the shops on {place} {when} and following shoppers.",
        "Rough sleeper camp reported on {place}; bedding and bottles left across the path.",
        "Aggressive begging reported at the cash machine on {place} {when}.",
    ),
    "fireworks": (
        "Fireworks being let off in the street on {place} {when}, some aimed at houses.",
        "{group} throwing fireworks at cars on {place} {when}.",
        "Caller reports rockets fired across the green on {place} {when}, frightening pets.",
    ),
    "hoax_call": (
        "Hoax call to the fire service naming an address on {place}; nothing found on arrival.",
        "Repeat silent 999 calls traced to a phone used on {place} {when}.",
        "Caller falsely reported a collapse on {place} {when}; ambulance attended for nothing.",
    ),
    "littering_drugs_paraphernalia": (
        "Needles and foil found in the alley off {place}; children use the route to school.",
        "Fly-tipped mattresses and bags of rubbish dumped on {place} {when}.",
        "Nitrous oxide canisters and litter left across the car park at {place} again.",
    ),
    "malicious_communications": (
        "Caller receiving abusive messages from a neighbour on {place}, several a day.",
        "Offensive notes pushed through the letterbox of an address on {place} {when}.",
        "Caller reports threatening posts about the family on a local social media page.",
    ),
    "noise": (
        "Loud music from an address on {place} {when}, ongoing for three hours.",
        "Shouting and banging from the flat above on {place} {when}; caller cannot sleep.",
        "Party with music in the garden of an address on {place} {when}.",
    ),
    "prostitution": (
        "Caller reports kerb crawling on {place} {when}.",
        "Used condoms and activity at the lay-by on {place} reported {when}.",
    ),
    "rowdy_inconsiderate": (
        "{group} shouting, swearing and kicking a ball at cars on {place} {when}.",
        "{group} gathering by the shops on {place} {when}, intimidating staff.",
        "{group} climbing on the bus shelter on {place} {when}, drinking and shouting.",
        "Caller reports {grp} riding bikes at pedestrians on {place} {when}.",
    ),
    "rowdy_nuisance_neighbours": (
        "Ongoing dispute with neighbours on {place}; shouting over the fence {when}.",
        "Neighbours on {place} slamming doors and playing music at all hours, again {when}.",
        "Visitors coming and going from an address on {place} {when}; caller suspects drug use.",
    ),
    "street_drinking": (
        "{group} drinking on the benches on {place} {when}, shouting at passers-by.",
        "Street drinkers urinating in the doorway on {place} {when}.",
        "Cans and bottles left by drinkers on {place}; group returns {when}.",
    ),
    "trespass": (
        "{group} on the roof of the empty building on {place} {when}.",
        "Caller reports people in the closed school grounds off {place} {when}.",
        "Travellers' vehicles have moved on to the field by {place} {when}.",
    ),
    "vehicle_nuisance": (
        "Off-road bikes racing along {place} {when}, no helmets.",
        "Cars meeting and revving engines in the car park on {place} {when}.",
        "A {vehicle} doing doughnuts on {place} {when}; caller has the partial registration.",
        "E-scooters ridden on the pavement on {place} {when}, nearly hitting a child.",
    ),
    "covid_breach": (
        "Caller reports a house party at an address on {place} {when}, in breach of the rules.",
        "{group} gathering on {place} {when} contrary to the Coronavirus regulations.",
        "Business on {place} open {when} while required to close under the regulations.",
        "Large gathering at the beach and green by {place} {when}; no distancing.",
    ),
}
AFFECTED: dict[str, tuple[str, ...]] = {
    "personal": (
        " The caller says this is aimed at them and their family and is making them ill.",
        " The victim feels targeted and is frightened to leave the house.",
        " This is the latest of several incidents directed at the same household.",
    ),
    "nuisance": (
        " Residents in the area are affected generally.",
        " Several neighbours have complained about the same behaviour.",
        "",
    ),
    "environmental": (
        " The council has been asked to clear the area.",
        " The state of the area is affecting local residents' use of it.",
        "",
    ),
}
HATE = (
    " The victim believes they are targeted because of their race.",
    " Homophobic language was used towards the victim.",
    " The victim, who is disabled, was mocked about their disability.",
    " Religious abuse was shouted at the victim.",
    " Transphobic slurs were used towards the victim.",
)
OUTCOME_ATTENDED = (
    " Officers attended and gave words of advice.",
    " PCSO attended; group dispersed on arrival.",
    " Officers attended; parties spoken to and warned.",
    " Attended; referral made to the local authority ASB team.",
)
OUTCOME_NOT = (
    " Resolved by telephone; advice given.",
    " Passed to the neighbourhood team for follow-up.",
    " Referred to the council; no police attendance required.",
    " Logged for intelligence; caller given the incident reference.",
)
GROUPS = (
    "A group of youths",
    "Around six teenagers",
    "Three males",
    "A group of about ten young people",
    "Two adults",
    "A mixed group of youths",
)
VEHICLES = (
    "silver hatchback",
    "white van",
    "black saloon",
    "red estate car",
    "blue people carrier",
    "motorbike",
)


def when_phrase(hour: np.ndarray) -> np.ndarray:
    return np.select(
        [hour < 5, hour < 12, hour < 17, hour < 21],
        ["in the early hours", "this morning", "this afternoon", "this evening"],
        "late tonight",
    ).astype(object)


def write(
    rng: np.random.Generator,
    *,
    closing: np.ndarray,
    qualifier: np.ndarray,
    hate: np.ndarray,
    attended: np.ndarray,
    hour: np.ndarray,
    place: np.ndarray,
) -> list[str]:
    """One narrative per incident; the arrays are parallel."""
    n = len(closing)
    u = rng.random((n, 6))
    when = when_phrase(hour)
    group = np.array(GROUPS, dtype=object)[(u[:, 1] * len(GROUPS)).astype(int)]
    vehicle = np.array(VEHICLES, dtype=object)[(u[:, 2] * len(VEHICLES)).astype(int)]
    opening = np.empty(n, dtype=object)
    for code, templates in TEMPLATES.items():
        idx = np.flatnonzero(closing == code)
        if not len(idx):
            continue
        pick = (u[idx, 0] * len(templates)).astype(int)
        opening[idx] = [
            templates[k].format(place=p, when=w, group=g, grp=g.lower(), vehicle=v)
            for k, p, w, g, v in zip(
                pick, place[idx], when[idx], group[idx], vehicle[idx], strict=True
            )
        ]
    affected = np.empty(n, dtype=object)
    for q, sentences in AFFECTED.items():
        idx = np.flatnonzero(qualifier == q)
        affected[idx] = np.array(sentences, dtype=object)[(u[idx, 3] * len(sentences)).astype(int)]
    hate_text = np.where(hate, np.array(HATE, dtype=object)[(u[:, 4] * len(HATE)).astype(int)], "")
    pick = (u[:, 5] * 4).astype(int)
    outcome = np.where(
        attended,
        np.array(OUTCOME_ATTENDED, dtype=object)[pick],
        np.array(OUTCOME_NOT, dtype=object)[pick],
    )
    text: list[str] = (opening + affected + hate_text + outcome).tolist()
    return text
