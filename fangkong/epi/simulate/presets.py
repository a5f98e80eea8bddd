"""The demo scenario: a spring 2022 wave in Guangdong like the one the seed report describes.

Imports through the Shenzhen land ports and the Dongguan sea port seed outbreaks in Shenzhen and
Dongguan from mid-February 2022; single imports through Guangzhou, Zhuhai and Jieyang start sporadic
clusters elsewhere; R falls as control measures take hold in March. About 90 days of sentinel history
precede the wave (``long_history=True`` gives two years, for Farrington-type detectors). Sentinel
densities are the sentinel subsets of each kind, so the demo loads in seconds; the signal per onset is
larger than the default because it is what the (few) sentinel sites of a county see, including the
worried well, so that county-level outbreaks stand out.
"""

from __future__ import annotations

from datetime import date, timedelta

from .params import ScenarioParams

DEMO_EPIDEMIC_START = date(2022, 2, 15)

#: Ports of entry of Guangdong (prefecture code, kind): Shenzhen land ports first (they seeded the wave).
GUANGDONG_PORTS: tuple[tuple[str, str], ...] = (
    ("440300", "land_port"),
    ("441900", "sea_port"),
    ("440100", "airport"),
    ("440300", "airport"),
    ("440300", "sea_port"),
    ("440100", "sea_port"),
    ("440400", "land_port"),
    ("445200", "airport"),
    ("440800", "sea_port"),
)


#: Seed of the demo: the realisation whose wave resembles the seed report (Shenzhen and Dongguan first).
DEMO_SEED = 2


def default_demo_params(*, long_history: bool = False, seed: int = DEMO_SEED) -> ScenarioParams:
    """Parameters of the demo scenario (Guangdong, spring 2022)."""
    history_days = 730 if long_history else 90
    shenzhen_days = (0, 1, 2, 3, 5, 6, 8, 10, 12, 14)
    dongguan_days = (2, 3, 4, 6, 7, 9, 11, 13)
    return ScenarioParams(
        seed=seed,
        start_date=DEMO_EPIDEMIC_START - timedelta(days=history_days),
        history_days=history_days,
        epidemic_days=60,
        reproduction_number=((0, 1.9), (22, 1.0), (30, 0.5)),
        region_r_multiplier=(("440300", 1.1), ("441900", 1.15)),
        dispersion_k=0.4,
        within_leaf_probability=0.85,
        within_prefecture_probability=0.13,
        ports=GUANGDONG_PORTS,
        import_seeds=tuple((day, "440300", 1) for day in shenzhen_days)
        + tuple((day, "441900", 1) for day in dongguan_days)
        + ((10, "440100", 1), (16, "440400", 1), (20, "445200", 1)),
        traveller_arrivals_per_day=60.0,
        close_contacts_mean=8.0,
        signal_per_onset={"fever_clinic_visits": 12.0, "ili_consultations": 5.0, "antipyretic_sales": 20.0,
                          "cough_medicine_sales": 12.0, "school_absences": 1.5},
        fever_clinics_per_100k=0.4,
        primary_care_per_100k=0.35,
        pharmacies_per_100k=0.3,
        schools_per_100k=0.25,
        elderly_care_per_100k=0.5,
        quarantine_sites_per_100k=0.1,
        quarantine_rooms_mean=300.0,
    )


def scaled_params(residents: int, *, seed: int = 20220317, history_days: int = 730) -> ScenarioParams:
    """The demo province's wave at any scale: realistic (all-institution) sentinel densities, two years of
    sentinel history, import seeds and traveller arrivals in proportion to the residents.

    At 10 million residents this gives the benchmark scale: about 100,000 cases, over a million contacts
    and over ten million sentinel report rows.
    """
    per_million = residents / 1e6
    seeds_per_port_day = max(1, round(per_million * 3.0))
    seed_days = range(0, 21, 2)
    import_seeds = tuple((day, code, seeds_per_port_day) for day in seed_days for code in ("440300", "441900"))
    import_seeds += ((10, "440100", max(1, round(per_million * 0.3))), (16, "440400", max(1, round(per_million * 0.2))))
    return ScenarioParams(
        seed=seed,
        start_date=DEMO_EPIDEMIC_START - timedelta(days=history_days),
        history_days=history_days,
        epidemic_days=90,
        residents=residents,
        reproduction_number=((0, 1.9), (35, 1.0), (50, 0.5)),
        region_r_multiplier=(("440300", 1.1), ("441900", 1.1)),
        ports=GUANGDONG_PORTS,
        import_seeds=import_seeds,
        traveller_arrivals_per_day=max(1.0, 20.0 * per_million),
        within_leaf_probability=0.8,
        within_prefecture_probability=0.17,
    )
