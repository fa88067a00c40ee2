from django.contrib import admin
from django.urls import include, path

from patronflow.mail import views as mail_views

urlpatterns = [
    path("t/", include("patronflow.tracking.urls")),
    path("admin/", admin.site.urls),
    path("healthz", mail_views.healthz, name="healthz"),
    path("metrics", mail_views.metrics, name="metrics"),
    path("staff/", include("patronflow.staff.urls")),
    path("api/", include("patronflow.api.urls")),
]
