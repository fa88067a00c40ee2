from django.urls import path

from patronflow.tracking import views

app_name = "tracking"
urlpatterns = [
    path("o/<str:token>.gif", views.open_pixel, name="open"),
    path("c/<str:token>", views.click, name="click"),
    path("u/<str:token>", views.unsubscribe, name="unsubscribe"),
    path("f/<str:token>/<str:vote>", views.feedback, name="feedback"),
]
