"""The library settings screen: every setting goes through members.services.change_library,
so the screen refuses what `patronflow library set` refuses."""

import datetime as dt

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = reverse("staff:settings")


def settings_form(**changes) -> dict:
    return {
        "sender_name": "Bib Gent", "sender_email": "hallo@gent.be",
        "privacy_url": "https://gent.be/privacy", "profile_url": "https://gent.be/profiel",
        "survey_url": "", "catalogue_url": "https://gent.be/zoeken?q={isbn}",
        "track_clicks": "on", "brand_colour": "#123456",
        "logo_url": "https://gent.be/logo.png", "dkim_selector": "pf2026",
        "send_window": "mon-fri 10:00-16:00", "time_zone": "Europe/Brussels",
        "member_weekly_cap": "3", "daily_cap": "500",
        **changes,
    }  # fmt: skip


def test_the_screen_shows_the_current_send_window_as_it_is_typed(staff_client):
    page = staff_client.get(URL).content.decode()
    assert 'value="mon-sat 09:00-20:00"' in page
    assert "DKIM" in page and "Verzendvenster" in page


def test_sending_branding_and_signing_settings_are_saved(staff_client, library):
    response = staff_client.post(URL, settings_form())

    assert response.status_code == 302
    library.refresh_from_db()
    assert (library.brand_colour, library.logo_url, library.dkim_selector) == (
        "#123456", "https://gent.be/logo.png", "pf2026",
    )  # fmt: skip
    assert (library.send_days, library.send_opens_at, library.send_closes_at) == (
        "12345", dt.time(10), dt.time(16),
    )  # fmt: skip
    assert (library.member_weekly_cap, library.daily_cap) == (3, 500)
    assert library.track_clicks is True
    assert library.catalogue_url == "https://gent.be/zoeken?q={isbn}"


def test_empty_caps_mean_no_cap_and_an_unticked_box_turns_click_tracking_off(staff_client, library):
    form = settings_form(member_weekly_cap="", daily_cap="0")
    del form["track_clicks"]

    staff_client.post(URL, form)

    library.refresh_from_db()
    assert (library.member_weekly_cap, library.daily_cap, library.track_clicks) == (
        None, None, False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("send_window", "weekdays 9-5"),
        ("send_window", "mon-fri 18:00-09:00"),
        ("time_zone", "Europe/Gent"),
        ("dkim_selector", "pf 2026"),
        ("brand_colour", "blue"),
        ("logo_url", "ftp://gent.be/logo.png"),
        ("catalogue_url", "https://gent.be/zoeken"),
        ("sender_email", "geen adres"),
    ],
)
def test_a_bad_setting_is_shown_at_its_field_and_nothing_is_saved(
    staff_client, library, field, value
):
    page = staff_client.post(URL, settings_form(**{field: value})).content.decode()

    assert 'class="field has-error"' in page
    assert f'name="{field}"' in page.split('class="field has-error"', 1)[1].split("</div>")[0]
    library.refresh_from_db()
    assert library.sender_name != "Bib Gent"


def test_staff_services_no_longer_has_a_branding_of_its_own():
    from patronflow.staff import services

    assert not hasattr(services, "change_branding")
