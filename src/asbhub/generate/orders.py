"""The seed's Criminal Behaviour Orders (deep dive 4.3; ``casework.csv``).

The Business Crime Unit's nine prolific offenders were given CBOs, six of them in 2020 and the
other three by 31 March 2021; the nine's linked offences fell from 62 in September–October
2020 to 6 in November–December 2020 (reported as a 90% reduction). The generator picks nine
adult offenders of the pool, takes them off every other incident of the 2020/21 year and links
them, as suspects, to exactly those 62 and 6 incidents.

The six 2020 orders are dated 30 October – 4 November 2020 and their offences fall from
5 September to 29 October and from 5 November to 28 December, so the figures hold both on
the calendar months the report uses and in equal 61-day windows before and after each
subject's own order date (``asbhub orders effect --type cbo``). The three 2021 subjects offended
only before August 2020 (which is why they were before the court), so they add nothing to
either window.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from asbhub.generate.schemas import Orders, Pools

CBO_FY = 2021  # the financial year April 2020 - March 2021
ORDER_DATES = (
    dt.date(2020, 10, 30),
    dt.date(2020, 11, 2),
    dt.date(2020, 11, 2),
    dt.date(2020, 11, 3),
    dt.date(2020, 11, 4),
    dt.date(2020, 11, 4),
    dt.date(2021, 1, 18),
    dt.date(2021, 2, 15),
    dt.date(2021, 3, 22),
)
BEFORE = (16, 13, 11, 9, 7, 6, 0, 0, 0)  # 62 in 5 Sep - 29 Oct 2020
AFTER = (2, 1, 1, 1, 1, 0, 0, 0, 0)  # 6 in 5 Nov - 28 Dec 2020
EARLIER = (0, 0, 0, 0, 0, 0, 6, 5, 4)  # April - July 2020
WINDOWS = {
    "before": (dt.date(2020, 9, 5), dt.date(2020, 10, 30)),
    "after": (dt.date(2020, 11, 5), dt.date(2020, 12, 29)),
    "earlier": (dt.date(2020, 4, 1), dt.date(2020, 8, 1)),
}
CONVICTED_DAYS_BEFORE = 21  # made on conviction, at sentencing three weeks later
CBO_TERMS = (
    "Not to enter any shop, store or retail premises in the county of Essex from which you "
    "have been excluded; not to act in a manner likely to cause harassment, alarm or distress "
    "to staff or customers of any business premises."
)


def subjects(pools: Pools) -> np.ndarray:
    """The nine: the most prolific offenders of the pool who are adults by the first order."""
    ids = np.concatenate([ids for ids, _ in pools.offenders_by_district.values()])
    weight = np.concatenate([p for _, p in pools.offenders_by_district.values()])
    born = pools.people.date_of_birth[ids]
    adult = born <= np.datetime64(ORDER_DATES[0].replace(year=ORDER_DATES[0].year - 18))
    ranked = ids[adult][np.argsort(-weight[adult], kind="stable")]
    return ranked[: len(ORDER_DATES)]


def place_orders(
    rng: np.random.Generator,
    pools: Pools,
    *,
    received: np.ndarray,
    suspect: np.ndarray,
    covid: np.ndarray,
) -> Orders:
    """Link the nine to exactly their offences in ``suspect`` (changed in place)."""
    nine = subjects(pools)
    day = received.astype("datetime64[D]")
    # Off every other incident of the year: each goes to another offender of its district.
    others = {d: (ids, p) for d, (ids, p) in pools.offenders_by_district.items()}
    taken = np.flatnonzero(np.isin(suspect, nine))
    home = {}
    for d, (ids, _) in others.items():
        for s in nine[np.isin(nine, ids)]:
            home[int(s)] = d
    for i in taken:
        d = home[int(suspect[i])]
        ids, p = others[d]
        keep = ~np.isin(ids, nine)
        suspect[i] = rng.choice(ids[keep], p=p[keep] / p[keep].sum())
    free = (suspect >= 0) & ~covid
    for name, counts in (("before", BEFORE), ("after", AFTER), ("earlier", EARLIER)):
        lo, hi = (np.datetime64(x) for x in WINDOWS[name])
        pool = np.flatnonzero(free & (day >= lo) & (day < hi))
        chosen = rng.choice(pool, sum(counts), replace=False)
        free[chosen] = False
        suspect[chosen] = np.repeat(nine, counts)
    return Orders(nine.astype(np.int64), ORDER_DATES)
