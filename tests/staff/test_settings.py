"""The library settings screen: every setting goes through operations.libraries.change_library,
so the screen refuses what `patronflow library set` refuses."""

import datetime as dt
from html import unescape

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = reverse("staff:settings")


def settings_form(**changes) -> dict:
    return {
        "sender_name": "Bib Gent", "sender_email": "hallo@gent.be",
        "privacy_url": "https://gent.be/privacy", "profile_url": "https://gent.be/profiel",
        "survey_url": "", "catalogue_url": "https://gent.be/zoeken?q={isbn}",
        "track_clicks": "on", "dkim_selector": "pf2026",
        "send_window": "mon-fri 10:00-16:00", "time_zone": "Europe/Brussels",
        "member_weekly_cap": "3", "daily_cap": "500",
        **changes,
    }  # fmt: skip


def test_the_screen_shows_the_current_send_window_in_the_interfaces_words(staff_client):
    page = staff_client.get(URL).content.decode()
    assert 'value="ma-za 09:00-20:00"' in page
    assert "DKIM" in page and "Verzendvenster" in page

    staff_client.cookies["django_language"] = "en"
    assert 'value="mon-sat 09:00-20:00"' in staff_client.get(URL).content.decode()


@pytest.mark.parametrize("window", ["ma-vr 10:00-16:00", "maandag-vrijdag 10:00-16:00"])
def test_the_dutch_screen_takes_a_send_window_in_dutch(staff_client, library, window):
    response = staff_client.post(URL, settings_form(send_window=window))

    assert response.status_code == 302
    library.refresh_from_db()
    assert (library.send_days, library.send_opens_at, library.send_closes_at) == (
        "12345", dt.time(10), dt.time(16),
    )  # fmt: skip
    assert 'value="ma-vr 10:00-16:00"' in staff_client.get(URL).content.decode()


def test_the_english_screen_takes_days_in_full(staff_client, library):
    staff_client.cookies["django_language"] = "en"

    staff_client.post(URL, settings_form(send_window="monday-wednesday,saturday 10:00-16:00"))

    library.refresh_from_db()
    assert library.send_days == "1236"


@pytest.mark.parametrize(
    ("window", "says"),
    [
        ("ma-vrij 09:00-18:00", "“ma-vrij” is geen dag en geen periode van dagen: schrijf ma, di,"),
        ("vr-ma 09:00-18:00", "“vr-ma” loopt achteruit: schrijf de dagen vanaf maandag."),
        ("ma-vr 18:00-09:00", "18:00-09:00 sluit voor het opengaat"),
        ("ma-vr 09:00-25:00", "“25:00” is geen tijdstip"),
        ("werkdagen", "“werkdagen” is geen verzendvenster: schrijf de dagen en dan de uren"),
    ],
)
def test_a_send_window_that_cannot_be_read_is_explained_in_dutch(staff_client, window, says):
    page = staff_client.post(URL, settings_form(send_window=window)).content.decode()

    field = page.split('class="field has-error"', 1)[1].split("</div>")[0]
    assert 'name="send_window"' in field
    assert says in unescape(field)


def test_sending_and_signing_settings_are_saved(staff_client, library):
    response = staff_client.post(URL, settings_form())

    assert response.status_code == 302
    library.refresh_from_db()
    assert library.dkim_selector == "pf2026"
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
