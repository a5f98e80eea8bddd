"""The ``fangkong`` console script.

    fangkong demo              migrate the embedded database, load the demo province, create demo users
    fangkong serve [ADDR:PORT] serve the application (default 127.0.0.1:8000)
    fangkong migrate           apply database migrations
    fangkong createuser NAME --region CODE --role ROLE [--password P]
    fangkong simulate --scale N --seed S --out DIR   write a synthetic province scenario
    fangkong <any Django management command> ...
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    if argv and argv[0] == "simulate":
        from fangkong.epi.simulate.cli import main as simulate_main

        return simulate_main(argv[1:])
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    import django
    from django.core.management import execute_from_command_line

    django.setup()
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # the embedded database lives in var/
        (settings.VAR_DIR / "static").mkdir(parents=True, exist_ok=True)
    command, rest = argv[0], argv[1:]
    if command == "serve":
        command = "runserver"
        rest = rest or ["127.0.0.1:8000"]
        rest = [*rest, "--noreload"] if "--reload" not in rest else [a for a in rest if a != "--reload"]
    elif command == "demo":
        command = "load_demo"
    elif command == "createuser":
        command = "create_user"
    execute_from_command_line(["fangkong", command, *rest])
    return 0


if __name__ == "__main__":
    sys.exit(main())
