"""Pages of the enterprises module (mounted at /enterprises/ by its declaration)."""

from django.urls import path

from . import views

app_name = "enterprises"
urlpatterns = [
    path("", views.enterprise_list, name="enterprise-list"),
    path("new/", views.enterprise_new, name="enterprise-new"),
    path("<int:enterprise_id>/", views.enterprise_detail, name="enterprise-detail"),
    path("<int:enterprise_id>/plan/", views.plan_new, name="plan-new"),
    path("<int:enterprise_id>/ticket/", views.ticket_new, name="ticket-new"),
    path("<int:enterprise_id>/status/", views.status_new, name="status-new"),
    path("plans/<int:plan_id>/decide/", views.plan_decide, name="plan-decide"),
    path("tickets/", views.ticket_list, name="ticket-list"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket-detail"),
    path("links/new/", views.link_new, name="link-new"),
    path("lockdown/", views.lockdown, name="lockdown"),
    path("resumption/", views.resumption, name="resumption"),
]
