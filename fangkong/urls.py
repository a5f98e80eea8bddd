"""Root URL configuration: the UI shell, the REST API under /api/v1/, its schema and docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from fangkong.accounts.access import REGION_SCOPED


class SchemaView(SpectacularAPIView):
    fangkong_access = REGION_SCOPED  # signed-in users only; the schema carries no data


class DocsView(SpectacularSwaggerSplitView):
    fangkong_access = REGION_SCOPED
    template_name = "web/api_docs.html"


urlpatterns = [
    path("api/v1/", include("fangkong.api.urls")),
    path("api/v1/", include("fangkong.protocols.api_urls")),
    path("api/v1/", include("fangkong.cases.api_urls")),
    path("api/v1/", include("fangkong.surveillance.api_urls")),
    path("api/v1/", include("fangkong.dashboard.api_urls")),
    path("api/v1/", include("fangkong.bulletins.api_urls")),
    path("protocols/", include("fangkong.protocols.urls")),
    path("cases/", include("fangkong.cases.urls")),
    path("surveillance/", include("fangkong.surveillance.urls")),
    path("dashboard/", include("fangkong.dashboard.urls")),
    path("bulletins/", include("fangkong.bulletins.urls")),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("fangkong.web.urls")),
]

handler403 = "fangkong.web.views.forbidden"
handler404 = "fangkong.web.views.not_found"
handler500 = "fangkong.web.views.server_error"
