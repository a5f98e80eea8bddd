"""The demo scenario: which loaders put which module's data into the demo database.

Each module appends a callable returning a one-line summary; ``fangkong demo`` runs them in order
after the region tree is loaded.
"""

from __future__ import annotations

DEMO_LOADERS: list = []
