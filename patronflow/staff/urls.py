from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.i18n import set_language

from patronflow.staff.views import (
    accounts,
    approvals,
    calendar,
    home,
    import_history,
    journeys,
    library,
    lifecycle,
    mail_editor,
    members,
    reports,
    seeds,
    segments,
    studio,
    templates,
)

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
    path("login/code/", accounts.verify, name="verify"),
    path("second-factor/", accounts.second_factor, name="second_factor"),
    path("logout/", auth_views.LogoutView.as_view(next_page="staff:login"), name="logout"),
    path("language/", set_language, name="language"),
    path("", home.dashboard, name="dashboard"),
    path("library/", home.choose_library, name="choose_library"),
    path("journeys/", journeys.journey_list, name="journeys"),
    path("journeys/<int:pk>/", journeys.journey_detail, name="journey"),
    path("journeys/new/", studio.studio_new, name="studio_new"),
    path("journeys/new/from/", studio.studio_start, name="studio_start"),
    path("journeys/<int:pk>/edit/", studio.studio_edit, name="studio_edit"),
    path("journeys/<int:pk>/copy/", studio.studio_copy, name="studio_copy"),
    path("journeys/<int:pk>/status/", lifecycle.journey_status, name="journey_status"),
    path("journeys/<int:pk>/holdout/", lifecycle.journey_holdout, name="journey_holdout"),
    path("journeys/<int:pk>/archive/", lifecycle.journey_archive, name="journey_archive"),
    path("journeys/<int:pk>/activate/", lifecycle.journey_activate, name="journey_activate"),
    path("journeys/<int:pk>/reach/", lifecycle.journey_reach, name="journey_reach"),
    path("journeys/<int:pk>/cancel/", lifecycle.broadcast_cancel, name="broadcast_cancel"),
    path("journeys/<int:pk>/calendar/", calendar.journey_calendar, name="journey_calendar"),
    path(
        "journeys/<int:pk>/changes/",
        journeys.journey_version_changes,
        name="journey_version_changes",
    ),
    path(VARIANT, mail_editor.mail_editor, name="mail"),
    path(VARIANT + "preview/", mail_editor.mail_preview, name="preview"),
    path(VARIANT + "preview.html", mail_editor.preview_frame, name="preview_frame"),
    path(VARIANT + "test/", mail_editor.mail_test, name="mail_test"),
    path(VARIANT + "spam/", mail_editor.mail_spam, name="mail_spam"),
    path(VARIANT + "comments/", mail_editor.mail_comments, name="comments"),
    path("segments/", segments.segment_list, name="segments"),
    path("segments/new/", segments.segment_new, name="segment_new"),
    path("segments/<int:pk>/", segments.segment_edit, name="segment"),
    path("audience/count/", segments.audience_count, name="audience_count"),
    path("tips/", library.reading_tips, name="tips"),
    path("imports/", library.imports, name="imports"),
    path("imports/<int:pk>/rejects/", import_history.import_rejects, name="import_rejects"),
    path("reports/", reports.report, name="report"),
    path("members/", members.member_lookup, name="members"),
    path("members/<int:pk>/", members.member_detail, name="member"),
    path("members/<int:pk>/export/", members.member_export, name="member_export"),
    path("members/<int:pk>/erase/", members.member_erase, name="member_erase"),
    path("settings/", library.library_settings, name="settings"),
    path("seeds/", seeds.seed_list, name="seeds"),
    path("seeds/<int:pk>/remove/", seeds.seed_remove, name="seed_remove"),
    path("accounts/", accounts.accounts, name="accounts"),
    path("accounts/<int:pk>/remove/", accounts.remove_account, name="remove_account"),
    path("approvals/", approvals.approval_list, name="approvals"),
    path("approvals/<int:pk>/", approvals.approval_detail, name="approval"),
    path("templates/", templates.template_list, name="templates"),
    path("templates/<int:pk>/", templates.template_detail, name="template"),
    path("templates/<int:pk>/adopt/", templates.template_adopt, name="template_adopt"),
    path("journeys/<int:pk>/offer/", templates.journey_offer, name="journey_offer"),
    path("journeys/<int:pk>/template/", templates.journey_template, name="journey_template"),
]
