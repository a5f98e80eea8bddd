"""WSGI entry point (gunicorn fangkong.wsgi): the application, after the deployment check.

``fangkong serve --workers N`` runs the check before gunicorn starts; a server started any other way
(``gunicorn fangkong.wsgi`` by hand, a process manager's unit file) loads this module and is refused here
with the same message, so the development keys cannot reach production by a side door.

Once the application and its URL configuration (every view module) are loaded, the objects that make them —
classes, functions, the FHIR and analytics libraries' models — are moved out of the garbage collector's reach
(``gc.freeze``): they live as long as the worker, and without it each full collection walks all of them again,
a pause of hundreds of milliseconds in whichever request it falls (measured on the key-places coverage page,
docs/benchmarks.md). The collector still collects everything made afterwards.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
application = get_wsgi_application()


def _refuse_unsafe_settings() -> None:
    from fangkong.cli import deployment_refusal

    refusal = deployment_refusal(warn=False)
    if refusal:
        raise SystemExit(refusal)


_refuse_unsafe_settings()


def _freeze_what_was_loaded() -> None:
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every view module, as the first request would)
    gc.collect()
    gc.freeze()


_freeze_what_was_loaded()
