from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.i18n import set_language

from patronflow.staff import views

app_name = "staff"

VARIANT = "journeys/<int:pk>/steps/<int:position>/<slug:segment>/"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="staff/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("login/code/", views.verify, name="verify"),
    path("second-factor/", views.second_factor, name="second_factor"),
    path("logout/", auth_views.LogoutView.as_view(next_page="staff:login"), name="logout"),
    path("language/", set_language, name="language"),
    path("", views.dashboard, name="dashboard"),
    path("library/", views.choose_library, name="choose_library"),
    path("journeys/", views.journey_list, name="journeys"),
    path("journeys/<int:pk>/", views.journey_detail, name="journey"),
    path("journeys/<int:pk>/status/", views.journey_status, name="journey_status"),
    path("journeys/<int:pk>/holdout/", views.journey_holdout, name="journey_holdout"),
    path("journeys/<int:pk>/archive/", views.journey_archive, name="journey_archive"),
    path(VARIANT, views.mail_editor, name="mail"),
    path(VARIANT + "preview/", views.mail_preview, name="preview"),
    path(VARIANT + "preview.html", views.preview_frame, name="preview_frame"),
    path(VARIANT + "test/", views.mail_test, name="mail_test"),
    path(VARIANT + "comments/", views.mail_comments, name="comments"),
    path("segments/", views.segment_list, name="segments"),
    path("tips/", views.reading_tips, name="tips"),
    path("imports/", views.imports, name="imports"),
    path("reports/", views.report, name="report"),
    path("members/", views.member_lookup, name="members"),
    path("members/<int:pk>/", views.member_detail, name="member"),
    path("members/<int:pk>/export/", views.member_export, name="member_export"),
    path("members/<int:pk>/erase/", views.member_erase, name="member_erase"),
    path("settings/", views.library_settings, name="settings"),
    path("accounts/", views.accounts, name="accounts"),
    path("accounts/<int:pk>/remove/", views.remove_account, name="remove_account"),
]
