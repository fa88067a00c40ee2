"""Writes of the staff application: staff accounts, and the edits a marketer makes.

Every change to journeys, libraries and members goes through the owning app's services;
this module only turns form input into their calls.
"""

import base64
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from patronflow.journeys.approvals import ask_for_version, version_waits
from patronflow.journeys.definitions import Installed, export_definition, install_journey
from patronflow.journeys.models import ApprovalRequest, Journey
from patronflow.mail.images import refuse_foreign_images
from patronflow.mail.rendering import RenderedMail, render_mail, staff_context
from patronflow.mail.smtp import SmtpServer, SmtpSession
from patronflow.members.models import Library, Member
from patronflow.privacy.audit import Actor, record_change
from patronflow.profiles.tips import TIPS_PER_MAIL, borrowed_works, tips_for_segment
from patronflow.staff.models import MARKETER_SEATS, SEED_LIMIT, SeedAddress, StaffProfile
from patronflow.templating.staff_text import render_staff_text

MADE_UP_FIRST_NAME = "An"  # whom a preview is for in a library without members yet


class StaffError(ValueError):
    """A staff change that is refused; the message is meant for the person who asked."""


def seats_full_message(library: Library) -> str:
    return _(
        "%(library)s already has %(count)d marketer accounts, the most a library may have. "
        "Remove one before adding another."
    ) % {"library": library.name, "count": len(MARKETER_SEATS)}


def add_staff(
    username: str,
    *,
    email: str,
    password: str,
    role: str,
    library: Library | None = None,
    actor: Actor = None,
) -> AbstractBaseUser:
    """Create a staff login, logged as the actor's change. Marketers take one of their
    library's two seats; the seat's unique constraint refuses a third even when two
    requests race."""
    user_model = get_user_model()
    if role not in StaffProfile.Role.values:
        raise StaffError(_("Unknown role %(role)s.") % {"role": role})
    if role == StaffProfile.Role.MARKETER and library is None:
        raise StaffError(_("A library marketer needs a library."))
    if role == StaffProfile.Role.ADMIN:
        library = None
    if user_model.objects.filter(username=username).exists():
        raise StaffError(_("The user name %(username)s is taken.") % {"username": username})
    candidate = user_model(username=username, email=email)
    try:
        validate_password(password, candidate)
    except ValidationError as error:
        raise StaffError(" ".join(error.messages)) from None
    try:
        with transaction.atomic():
            seat = None
            if library is not None:
                Library.objects.select_for_update().get(pk=library.pk)
                taken = set(
                    StaffProfile.objects.filter(library=library).values_list("seat", flat=True)
                )
                free = [number for number in MARKETER_SEATS if number not in taken]
                if not free:
                    raise StaffError(seats_full_message(library))
                seat = free[0]
            user = user_model.objects.create_user(username=username, email=email, password=password)
            profile = StaffProfile.objects.create(user=user, role=role, library=library, seat=seat)
            _log_account(profile, {"role": (None, role)}, actor)
    except IntegrityError:
        raise StaffError(seats_full_message(library) if library else _("Try again.")) from None
    return user


@transaction.atomic
def remove_staff(user: AbstractBaseUser, *, actor: Actor = None) -> None:
    """Delete a staff login, which frees its seat; logged as the actor's change."""
    profile = StaffProfile.objects.select_related("library").get(user=user)
    _log_account(profile, {"role": (profile.role, None)}, actor)
    user.delete()


def _log_account(profile: StaffProfile, changes: dict[str, tuple], actor: Actor) -> None:
    """A login is its library's (a network admin's: the network's, no library code)."""
    record_change(
        f"staff account {profile.user.get_username()}",
        changes,
        actor=actor,
        library_code=profile.library.code if profile.library else "",
    )


@dataclass(frozen=True)
class MailDraft:
    subject: str
    preheader: str
    body: str  # the blocks as the staff template text (templating.blocks.to_template)
    with_reading_tips: bool
    blocks: list


def save_variant(
    journey: Journey, position: int, segment: str, draft: MailDraft, *, actor: Actor
) -> Installed | ApprovalRequest:
    """Save one mail through the journey's definition, so it is checked like any import,
    logged like any change, and a journey that members are already in gets a new version
    instead of changing under them. Raises InvalidJourney with the step, field, line and
    message. A running journey of a four-eyes library gets an ApprovalRequest instead."""
    before = export_definition(journey)
    definition = export_definition(journey)
    step = next(s for s in definition["steps"] if s["position"] == position)
    variant = next(v for v in step["variants"] if v["segment"] == segment)
    for stale in ("body", "with_reading_tips"):  # the blocks say it all
        variant.pop(stale, None)
    variant.update(subject=draft.subject, preheader=draft.preheader, blocks=draft.blocks)
    refuse_foreign_images(journey.library, definition, before=before)
    if version_waits(journey, actor=actor):
        return ask_for_version(journey, definition, actor=actor, move_members=False)
    return install_journey(journey.library, definition, actor=actor)


def change_holdout(journey: Journey, percent: int, *, actor: Actor) -> Installed | ApprovalRequest:
    """A new holdout share, through the journey's definition like a mail edit: members already
    in the journey keep the share they were drawn with (a new version if any are in). A
    running journey of a four-eyes library gets an ApprovalRequest instead."""
    definition = export_definition(journey)
    definition["holdout_percent"] = percent
    if version_waits(journey, actor=actor):
        return ask_for_version(journey, definition, actor=actor, move_members=False)
    with transaction.atomic():
        return install_journey(journey.library, definition, actor=actor)


def made_up_member(library: Library) -> Member:
    """Someone to preview a mail as in a library without members yet; never saved."""
    return Member(library=library, external_id="", first_name=MADE_UP_FIRST_NAME)


def render_preview(
    library: Library,
    member: Member,
    segment: str,
    draft: MailDraft,
    today: dt.date,
    language: str = settings.LANGUAGE_CODE,
) -> RenderedMail:
    """The mail as this member (or a made-up one) would get it (links point at message 0,
    which does not exist, so nothing in a preview can be tracked). Raises TemplateProblem."""
    tips = []
    if draft.with_reading_tips:
        chosen = tips_for_segment(library, segment, today)
        borrowed = borrowed_works([member.pk], {tip.work for tip in chosen}) if member.pk else set()
        tips = [tip for tip in chosen if (member.pk, *tip.work) not in borrowed]
    return render_mail(
        message_id=0,
        member=member,
        library=library,
        subject=draft.subject,
        preheader=draft.preheader,
        body=draft.body,
        reading_tips=tips[:TIPS_PER_MAIL],
        language=language,
    )


def render_preheader(library: Library, member: Member, preheader: str) -> str:
    """The preheader as this member reads it, for the designer's length hint (the preview's
    mail has it hidden in its HTML). Raises TemplateProblem."""
    context = staff_context(member, library, unsubscribe_url="", reading_tips=[])
    return render_staff_text(preheader, context, html=False, field="preheader")


def send_test_mail(library: Library, rendered: RenderedMail, to: Sequence[str]) -> None:
    """Send a preview to staff addresses (the library's seed list, or the staff member's
    own), one mail each in one session over the same SMTP server the journeys use
    (settings.SMTP_URL). Raises StaffError when it cannot."""
    if not library.sender_email:
        raise StaffError(_("Set the sender address in the library settings first."))
    if not to:
        raise StaffError(_("Your account has no e-mail address."))
    try:
        with SmtpSession(SmtpServer.from_url(settings.SMTP_URL), timeout=15) as session:
            for address in to:
                session.send(_test_mail(library, rendered, address), library.sender_email, address)
    except Exception as error:  # any SMTP or URL problem is the marketer's message to read
        raise StaffError(
            _("The test mail could not be sent: %(error)s") % {"error": error}
        ) from None


def _test_mail(library: Library, rendered: RenderedMail, to_email: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = library.from_address
    mail["To"] = Address(addr_spec=to_email)
    mail["Subject"] = f"[TEST] {rendered.subject}"
    mail["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    mail["Message-ID"] = make_msgid(domain=library.sender_email.rpartition("@")[2])
    mail.set_content(rendered.text)
    mail.add_alternative(rendered.html, subtype="html")
    return mail


def add_seed(library: Library, *, address: str, label: str, actor: Actor) -> SeedAddress:
    """Put a staff address on the library's seed list, logged as the actor's change.
    Refused (StaffError) when it is listed already or the list is full."""
    address = address.strip().lower()
    with transaction.atomic():
        Library.objects.select_for_update().get(pk=library.pk)
        seeds = SeedAddress.objects.filter(library=library)
        if seeds.filter(address=address).exists():
            raise StaffError(_("%(address)s is on the list already.") % {"address": address})
        if seeds.count() >= SEED_LIMIT:
            raise StaffError(
                _("The list holds %(limit)s addresses, the most it may. Remove one first.")
                % {"limit": SEED_LIMIT}
            )
        seed = SeedAddress.objects.create(
            library=library,
            address=address,
            label=label.strip(),
            added_by=actor if isinstance(actor, AbstractBaseUser) else None,
        )
        _log_seed(seed, {"address": (None, seed.address), "label": (None, seed.label)}, actor)
    return seed


@transaction.atomic
def remove_seed(seed: SeedAddress, *, actor: Actor) -> None:
    """Take an address off the seed list, logged as the actor's change."""
    _log_seed(seed, {"address": (seed.address, None), "label": (seed.label, None)}, actor)
    seed.delete()


def _log_seed(seed: SeedAddress, changes: dict[str, tuple], actor: Actor) -> None:
    record_change(
        f"seed address {seed.address}",
        {name: values for name, values in changes.items() if values != (None, None)},
        actor=actor,
        library_code=seed.library.code,
    )


# The second factor (TOTP, django-otp): opt-in per user; once confirmed, login asks for it.
TOTP_DEVICE_NAME = "staff"


@dataclass(frozen=True)
class TotpSetup:
    """What an authenticator app needs: the otpauth URI (as a QR code) or the secret typed."""

    device: TOTPDevice
    uri: str
    secret: str
    qr_svg_data_uri: str


def has_second_factor(user: AbstractBaseUser) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def start_second_factor(user: AbstractBaseUser) -> TotpSetup:
    """The user's unconfirmed TOTP device (one, kept across page loads so that the QR code
    they scanned stays valid until they confirm it)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    uri = device.config_url
    return TotpSetup(
        device=device,
        uri=uri,
        secret=base64.b32encode(device.bin_key).decode(),
        qr_svg_data_uri=segno.make(uri, error="m").svg_data_uri(scale=5, border=2),
    )


def confirm_second_factor(user: AbstractBaseUser, token: str) -> TOTPDevice | None:
    """Turn the second factor on when the code from the app is right (None otherwise)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(token):
        return None
    with transaction.atomic():
        replaced = TOTPDevice.objects.filter(user=user, confirmed=True).delete()[0]
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        _log_second_factor(user, ("on", "on, a new key") if replaced else ("off", "on"))
    return device


def verified_device(user: AbstractBaseUser, token: str) -> TOTPDevice | None:
    """The user's confirmed device if `token` is its current code (throttled by django-otp:
    each wrong code doubles the wait before the next is tried)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None or not device.verify_token(token):
        return None
    return device


def stop_second_factor(user: AbstractBaseUser, token: str) -> bool:
    """Turn the second factor off; only with a current code, so a left-open session cannot."""
    if verified_device(user, token) is None:
        return False
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        _log_second_factor(user, ("on", "off"))
    return True


def _log_second_factor(user: AbstractBaseUser, change: tuple[str, str]) -> None:
    """Only the user turns their own second factor on or off (with a code from their app)."""
    profile = StaffProfile.objects.select_related("library").get(user=user)
    _log_account(profile, {"second factor": change}, user)
