"""WSGI entry point (gunicorn fangkong.wsgi): the application, after the deployment check.

``fangkong serve --workers N`` runs the check before gunicorn starts; a server started any other way
(``gunicorn fangkong.wsgi`` by hand, a process manager's unit file) loads this module and is refused here
with the same message, so the development keys cannot reach production by a side door.
"""

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
