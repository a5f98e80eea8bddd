"""Independent random streams, one per simulator component, so adding a component shifts no other.

Each component draws from ``PCG64(SeedSequence(seed, spawn_key=(component, *keys)))``: the same seed
always gives the same stream for the same component (and block), whatever else is generated.
"""

from __future__ import annotations

import numpy as np

PLACES = 1
TRAVELLERS = 2
EPIDEMIC = 3
CONTACTS = 4
SENTINEL_LEVELS = 5
SENTINEL_COUNTS = 6
EARLIES = 7


def component_rng(seed: int, component: int, *keys: int) -> np.random.Generator:
    """The generator of one component (and optional block keys) for ``seed``."""
    sequence = np.random.SeedSequence(seed, spawn_key=(component, *keys))
    return np.random.Generator(np.random.PCG64(sequence))
