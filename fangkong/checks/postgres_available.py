"""Is the PostgreSQL server for the test suite reachable?

Exit status 0: yes. Exit status 3: no, and the PostgreSQL run is skipped with a visible message.
Exit status 1: no, but it is required (``CI=true``): the test run fails.
"""

from __future__ import annotations

import os
import sys

import psycopg

URL = os.environ.get("FANGKONG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def main() -> int:
    try:
        with psycopg.connect(URL, connect_timeout=5) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error as exc:
        required = os.environ.get("CI", "").lower() == "true"
        banner = "ERROR" if required else "SKIPPED"
        print(f"\n*** {banner}: PostgreSQL test run — no server at {URL.split('@')[-1]}: {exc}".rstrip())
        if required:
            print("*** CI=true requires the PostgreSQL run.")
            return 1
        return 3
    print(f"PostgreSQL {version} at {URL.split('@')[-1]}: running the suite on it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
