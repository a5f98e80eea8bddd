"""Root URL configuration: every module's API routes under /api/v1/ and its pages under its prefix (as each
module declares them, ``fangkong.modules``), the API schema and docs, then the UI shell."""

from django.contrib.auth.views import redirect_to_login
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions

from fangkong.accounts.access import REGION_SCOPED
from fangkong.accounts.need_to_know import Category, Shows
from fangkong.modules import url_modules


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema: signed-in users only (``SERVE_PERMISSIONS``); anonymous clients get 401/403."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.REFERENCE)


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI for signed-in users; an anonymous browser is sent to the sign-in page."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.REFERENCE)
    template_name = "web/api_docs.html"

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)


_page_urls, _api_urls = url_modules()
urlpatterns = [
    *(path("api/v1/", include(urls)) for urls in _api_urls),
    *(path(prefix, include(urls)) for prefix, urls in _page_urls),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("fangkong.web.urls")),
]

handler400 = "fangkong.web.views.bad_request"
handler403 = "fangkong.web.views.forbidden"
handler404 = "fangkong.web.views.not_found"
handler500 = "fangkong.web.views.server_error"
