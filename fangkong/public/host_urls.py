"""Routes of a public host (``host_settings``): the public site and nothing else."""

from django.urls import include, path, re_path

from . import views

site_patterns = ([path("", views.site_file, name="site"),
                  re_path(r"^(?P<path>(?!manage/).+)$", views.site_file, name="site-file")], "public")
urlpatterns = [path("public/", include(site_patterns))]
