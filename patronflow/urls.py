from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("t/", include("patronflow.tracking.urls")),
    path("admin/", admin.site.urls),
]
