"""The ``fangkong`` console script.

    fangkong demo              migrate the embedded database, load the demo province, create demo users
    fangkong serve [ADDR:PORT] serve the application with Django's development server (default 127.0.0.1:8000)
    fangkong serve [ADDR:PORT] --workers N [--threads T] [--timeout S]
                               production: gunicorn with N worker processes (N > 1 needs FANGKONG_CACHE_URL);
                               refuses the development keys, DEBUG and cookies without Secure
                               (fangkong check --deploy lists them; FANGKONG_DEMO=1 accepts them)
    fangkong check --deploy    what a production server would refuse, and Django's deployment warnings
    fangkong audit_verify      verify the audit trail's hash chain
    fangkong migrate           apply database migrations
    fangkong createuser NAME --region CODE --role ROLE [--password P]
    fangkong simulate --scale N --seed S --out DIR   write a synthetic province scenario
    fangkong <any Django management command> ...
"""

from __future__ import annotations

import argparse
import os
import sys


def gunicorn_argv(rest: list[str]) -> list[str] | None:
    """The gunicorn command line for ``serve ... --workers N`` (None without ``--workers``).

    Raises ``SystemExit`` with a message when N > 1 and no shared cache is configured: each worker
    process would keep its own data generation, and a write served by one worker would not reach the
    figures another worker has cached.
    """
    parser = argparse.ArgumentParser(prog="fangkong serve")
    parser.add_argument("address", nargs="?", default="127.0.0.1:8000")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--timeout", type=int, default=120)
    known, _unknown = parser.parse_known_args(rest)
    if known.workers is None:
        return None
    if known.workers < 1 or known.threads < 1:
        raise SystemExit("fangkong serve: --workers and --threads must be at least 1")
    if known.workers > 1 and not os.environ.get("FANGKONG_CACHE_URL"):
        raise SystemExit("fangkong serve: more than one worker needs a shared cache: set FANGKONG_CACHE_URL "
                         "(e.g. redis://127.0.0.1:6379/1), or use --workers 1")
    return [sys.executable, "-m", "gunicorn", "fangkong.wsgi:application", "--bind", known.address,
            "--workers", str(known.workers), "--threads", str(known.threads), "--timeout", str(known.timeout)]


def deployment_refusal(*, warn: bool = True) -> str | None:
    """The message a production server stops with, or None when the deployment check passes.

    Runs every check tagged for deployment (``fangkong.checks.deployment`` and Django's own); warnings
    are printed to standard error (unless ``warn`` is false: ``fangkong.wsgi`` checks again in the server
    ``fangkong serve`` already warned for) but do not stop the server.
    """
    import django
    from django.core import checks

    django.setup()
    messages = [m for m in checks.run_checks(tags=[checks.Tags.security], include_deployment_checks=True)
                if not m.is_silenced()]
    for message in messages:
        if warn and message.level < checks.ERROR:
            print(f"fangkong serve: warning: {message}", file=sys.stderr)
    errors = [m for m in messages if m.level >= checks.ERROR]
    if not errors:
        return None
    lines = "\n".join(f"  - {m.msg}\n    {m.hint}" if m.hint else f"  - {m.msg}" for m in errors)
    return ("fangkong serve: refusing to start the production server:\n" + lines +
            "\n(`fangkong check --deploy` lists these; FANGKONG_DEMO=1 serves a demonstration anyway)")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    if argv and argv[0] == "serve":
        command = gunicorn_argv(argv[1:])
        refusal = deployment_refusal()  # the development server too: it is reachable from the network all the same
        if refusal:
            raise SystemExit(refusal)
        if command is not None:
            os.execv(sys.executable, command)  # noqa: S606 (our own interpreter and arguments)
        # The development server handles each request in a new thread: a kept connection would stay open
        # until its thread is collected, so it closes its connection after each request.
        os.environ.setdefault("FANGKONG_CONN_MAX_AGE", "0")
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
