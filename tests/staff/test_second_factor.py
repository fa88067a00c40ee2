"""The optional second factor (TOTP, django-otp): a user turns it on by scanning a QR code
(drawn locally) and confirming a code; from then on every staff page waits for a code after
the password; turning it off takes a code too."""

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.staff.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def current_code(device: TOTPDevice) -> str:
    """What the user's authenticator app shows now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def next_code(device: TOTPDevice) -> str:
    """A code the device has not seen yet: django-otp takes each code once, and a test does
    not wait 30 seconds for the next one, so it forgets the last one used (and the
    throttling of earlier wrong codes)."""
    device.refresh_from_db()
    device.throttle_reset(commit=False)
    device.last_t = -1
    device.save()
    return current_code(device)


def turn_on(client, user) -> TOTPDevice:
    client.get(reverse("staff:second_factor"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    client.post(
        reverse("staff:second_factor"), {"action": "confirm", "token": current_code(device)}
    )
    device.refresh_from_db()
    return device


def log_in_with_password(client, user) -> None:
    client.logout()
    client.post(reverse("staff:login"), {"username": user.username, "password": PASSWORD})


def test_it_is_off_until_the_user_turns_it_on(staff_client, marketer):
    assert staff_client.get(reverse("staff:dashboard")).status_code == 200
    page = staff_client.get(reverse("staff:second_factor")).content.decode()
    assert "Tweede factor" in page
    assert 'src="data:image/svg+xml' in page and 'data-testid="totp-secret"' in page
    assert "otpauth://totp/patronflow" in page
    assert not TOTPDevice.objects.filter(user=marketer, confirmed=True).exists()


def test_a_wrong_code_does_not_turn_it_on(staff_client, marketer):
    staff_client.get(reverse("staff:second_factor"))
    page = staff_client.post(
        reverse("staff:second_factor"), {"action": "confirm", "token": "000000"}
    ).content.decode()
    assert 'class="error"' in page
    assert not TOTPDevice.objects.filter(user=marketer, confirmed=True).exists()


def test_once_on_the_login_asks_a_code_before_any_staff_page(client, marketer):
    client.force_login(marketer)
    device = turn_on(client, marketer)
    assert device.confirmed

    log_in_with_password(client, marketer)
    response = client.get(reverse("staff:report"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("staff:verify"))
    wrong = client.post(response.url, {"token": "000000", "next": reverse("staff:report")})
    assert wrong.status_code == 200 and 'class="error"' in wrong.content.decode()


def test_the_right_code_finishes_the_login(client, marketer):
    client.force_login(marketer)
    device = turn_on(client, marketer)
    log_in_with_password(client, marketer)

    response = client.post(
        reverse("staff:verify"), {"token": next_code(device), "next": reverse("staff:report")}
    )

    assert response.status_code == 302 and response.url == reverse("staff:report")
    assert client.get(reverse("staff:report")).status_code == 200


def test_the_code_step_does_not_send_the_user_to_another_site(client, marketer):
    client.force_login(marketer)
    device = turn_on(client, marketer)
    log_in_with_password(client, marketer)

    response = client.post(
        reverse("staff:verify"), {"token": next_code(device), "next": "https://evil.example/"}
    )

    assert response.url == reverse("staff:dashboard")


def test_turning_it_off_takes_a_current_code(client, marketer):
    client.force_login(marketer)
    device = turn_on(client, marketer)

    client.post(reverse("staff:second_factor"), {"action": "stop", "token": "000000"})
    assert TOTPDevice.objects.filter(user=marketer, confirmed=True).exists()
    client.post(reverse("staff:second_factor"), {"action": "stop", "token": next_code(device)})

    assert not TOTPDevice.objects.filter(user=marketer).exists()
    log_in_with_password(client, marketer)
    assert client.get(reverse("staff:dashboard")).status_code == 200
