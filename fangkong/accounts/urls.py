"""Pages of two-factor sign-in (under ``accounts/two-factor/``)."""

from django.urls import path

from fangkong.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.two_factor_settings, name="two-factor"),
    path("code/", views.two_factor_verify, name="two-factor-verify"),
    path("enrol/", views.two_factor_enrol, name="two-factor-enrol"),
]
