"""``Cache-Control: no-store`` on everything served to a signed-in user. (The Content-Security-Policy of
every response is Django's own middleware, configured by ``SECURE_CSP`` in the settings.)

A signed-in user's pages, API answers and files (exports, PDFs) may carry personal data: no browser or
proxy cache keeps them. Static files are served by WhiteNoise before this middleware and stay cacheable.
"""

from __future__ import annotations

from django.utils.cache import add_never_cache_headers


class NoStoreForSignedInMiddleware:
    """``Cache-Control: no-store`` (and no-cache, private) on every response to a signed-in user.

    The API's token users count too: DRF sets the user on the request it wraps once it has authenticated.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
