"""Routes of the UI shell."""

from django.urls import path

from fangkong.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", views.SignOutView.as_view(), name="logout"),
    path("i18n/setlang/", views.set_language, name="set-language"),
    path("healthz", views.healthz, name="healthz"),
    path("day/", views.day_switch, name="day-switch"),
    path("regions/", views.region_home, name="region-home"),
    path("regions/switch/", views.region_switch, name="region-switch"),
    path("regions/<region:code>/", views.region_detail, name="region-detail"),
    path("regions/<region:code>/map.json", views.region_map, name="region-map"),
    path("persons/", views.person_list, name="person-list"),
    path("persons/find/", views.person_find, name="person-find"),
    path("persons/<int:person_id>/", views.person_detail, name="person-detail"),
    path("persons/<int:person_id>/reveal/", views.person_reveal_fragment, name="person-reveal"),
    path("audit/", views.audit_list, name="audit-list"),
    path("audit/export.csv", views.audit_export, name="audit-export"),
    path("modules/<slug:slug>/", views.module_placeholder, name="module"),
]
