"""/api/: version 1 of the API, and a problem+json 404 for anything else under /api/."""

from django.urls import include, path, re_path

from patronflow.api import api

urlpatterns = [
    path("v1/", include((api.urlpatterns(), "ninja"), namespace="api-v1")),
    re_path(r"^(?P<rest>.*)$", api.not_found),
]
