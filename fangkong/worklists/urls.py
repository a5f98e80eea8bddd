"""Pages of the worklists module (mounted at /worklists/ by its declaration)."""

from django.urls import path

from . import views

app_name = "worklists"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/new/", views.task_new, name="task-new"),
    path("tasks/<int:task_id>/", views.task_detail, name="task-detail"),
    path("tasks/<int:task_id>/transition/", views.task_transition, name="task-transition"),
    path("tasks/<int:task_id>/assign/", views.task_assign, name="task-assign"),
    path("overdue/", views.overdue, name="overdue"),
    path("problems/", views.problem_list, name="problems"),
    path("problems/new/", views.problem_new, name="problem-new"),
    path("responsibility/", views.responsibility, name="responsibility"),
    path("calendar/", views.calendar, name="calendar"),
    path("units/<int:unit_id>/digest/", views.unit_digest, name="unit-digest"),
]
