"""Pages of the dashboard app (mounted at /dashboard/)."""

from django.urls import path

from fangkong.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("<str:code>/", views.region_dashboard, name="region"),
    path("<str:code>/screen/panel/", views.screen_panel, name="screen-panel"),
    path("<str:code>/geo.json", views.region_geo, name="geo"),
]
