"""Pages of the protocols app."""

from django.urls import path

from fangkong.protocols import views

app_name = "protocols"
urlpatterns = [
    path("", views.protocol_list, name="list"),
    path("<slug:code>/", views.protocol_detail, name="detail"),
]
