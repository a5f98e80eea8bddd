"""Pages of the public module (mounted at /public/): the staff's pages under ``manage/``; everything else is
the public site itself, served from the published files only (``views.site_file``)."""

from django.urls import path, re_path

from . import views

app_name = "public"
urlpatterns = [
    path("manage/", views.manage, name="manage"),
    path("manage/notices/new/", views.notice_new, name="notice-new"),
    path("manage/notices/<int:notice_id>/approve/", views.notice_approve, name="notice-approve"),
    path("manage/notices/<int:notice_id>/withdraw/", views.notice_withdraw, name="notice-withdraw"),
    path("manage/testing-sites/new/", views.testing_site_new, name="testing-site-new"),
    path("manage/testing-sites/<int:site_id>/approve/", views.testing_site_approve, name="testing-site-approve"),
    path("manage/testing-sites/<int:site_id>/withdraw/", views.testing_site_withdraw, name="testing-site-withdraw"),
    path("manage/prepare/", views.publication_prepare, name="prepare"),
    path("manage/publications/<int:publication_id>/", views.publication_detail, name="publication"),
    path("manage/publications/<int:publication_id>/publish/", views.publication_publish, name="publish"),
    path("", views.site_file, name="site"),
    re_path(r"^(?P<path>(?!manage/).+)$", views.site_file, name="site-file"),
]
