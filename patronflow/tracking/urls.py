from django.urls import path, re_path

from patronflow.tracking import images, surveys, views
from patronflow.tracking import signup as signup_views
from patronflow.tracking.preferences import preferences

app_name = "tracking"
urlpatterns = [
    path("j/confirm/<str:token>", signup_views.signup_confirm, name="signup_confirm"),
    path("j/<slug:library>/<slug:key>", signup_views.signup_form, name="signup"),
    path("o/<str:token>.gif", views.open_pixel, name="open"),
    path("c/<str:token>", views.click, name="click"),
    path("u/<str:token>", views.unsubscribe, name="unsubscribe"),
    path("f/<str:token>/<str:vote>", views.feedback, name="feedback"),
    path("p/<str:token>", preferences, name="preferences"),
    path("s/<str:key>", surveys.survey, name="survey"),
    re_path(
        r"^i/(?P<key>[A-Za-z0-9_-]{24})(?P<rendition>-thumb)?\.(?P<extension>png|jpg)$",
        images.image,
        name="image",
    ),
]
