"""Libraries (the tenants) and the data they export from their library system.

Every row carries the library's own id (`external_id`); imports upsert on (library, external_id).
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from patronflow.members import windows


class Library(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    sender_name = models.CharField(max_length=200, blank=True)
    sender_email = models.EmailField(blank=True)
    privacy_url = models.URLField(blank=True)
    profile_url = models.URLField("Mijn Bibliotheek profile URL", blank=True)
    survey_url = models.URLField(blank=True)
    # Tracking pixels need consent under ePrivacy rules: off unless the library turns it on.
    track_opens = models.BooleanField(default=False)
    track_clicks = models.BooleanField(
        default=True, help_text="Off: links in mails go straight to their destination."
    )
    catalogue_url = models.CharField(
        max_length=300,
        blank=True,
        help_text="Catalogue search for a reading tip, with {isbn}, {title} or {author}, e.g. "
        "https://gent.bibliotheek.be/zoeken?q={isbn}",
    )
    # Signing and deliverability (docs/operations.md).
    dkim_selector = models.CharField(max_length=63, blank=True)
    sending_paused_at = models.DateTimeField(null=True, blank=True)
    sending_paused_reason = models.CharField(max_length=300, blank=True)
    # When mails may leave, on the library's own clock (docs/sending.md).
    time_zone = models.CharField(
        max_length=64, default=windows.DEFAULT_TIME_ZONE, validators=[windows.validate_time_zone]
    )
    send_days = models.CharField(
        max_length=7,
        default=windows.DEFAULT_DAYS,
        validators=[RegexValidator(r"^1?2?3?4?5?6?7?$", "ISO weekdays in order, e.g. 12345")],
        help_text="Days mails may leave, as ISO weekdays: 1 = Monday … 7 = Sunday.",
    )
    send_opens_at = models.TimeField(default=windows.DEFAULT_OPENS)
    send_closes_at = models.TimeField(default=windows.DEFAULT_CLOSES)
    # Caps, so that two journeys (or a journey and a broadcast) never flood one member.
    member_weekly_cap = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=2,
        help_text="At most this many mails to one member in any 7 days; empty or 0: no cap.",
    )
    daily_cap = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="At most this many mails from the library per day; empty or 0: no cap.",
    )
    # Four eyes: a broadcast or a new journey version made by one staff member goes active
    # only once the library's other staff member approves it (docs/staff.md).
    four_eyes = models.BooleanField(default=False)
    # The libraries this one's loans are compared with (difference-in-differences), chosen by
    # the network admin: e.g. libraries that do not run the journey.
    comparison_libraries = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="compared_by"
    )
    # The first day the activity counts hold every loan (None: every day since the first):
    # for a library that had loans when the counts came, its earliest loan then. What earlier
    # purges had removed is not in the counts, so no comparison reaches back before it.
    loans_counted_from = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "libraries"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"

    def clean(self) -> None:
        """The window's days and hours together (each field alone is checked by its own)."""
        if (
            not (self.send_days or "").isdigit()
            or not self.send_opens_at
            or not self.send_closes_at
        ):
            return
        try:
            windows.SendWindow(
                frozenset(int(day) for day in self.send_days),
                self.send_opens_at,
                self.send_closes_at,
                windows.time_zone("UTC"),
            )
        except windows.WindowProblem as problem:
            raise ValidationError({"send_window": [str(problem)]}) from None

    @property
    def send_window(self) -> windows.SendWindow:
        """The days and hours mails may leave, in the library's time zone."""
        return windows.SendWindow(
            days=frozenset(int(day) for day in self.send_days),
            opens=self.send_opens_at,
            closes=self.send_closes_at,
            zone=windows.time_zone(self.time_zone),
        )

    @property
    def from_address(self) -> str:
        from email.headerregistry import Address

        name = self.sender_name or self.name
        return str(Address(display_name=name, addr_spec=self.sender_email))


class Member(models.Model):
    # Indexed by the unique (library, external_id) constraint, which leads with it.
    library = models.ForeignKey(
        Library, on_delete=models.CASCADE, related_name="members", db_index=False
    )
    external_id = models.CharField("library's member id", max_length=64)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=254, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    registered_on = models.DateField()
    last_activity_on = models.DateField(null=True, blank=True)
    # The day of the latest loan the loan-history retention removed (or an import skipped
    # as older than it): "no loan since" still sees the loans that are gone. Only a date.
    loans_removed_through = models.DateField(null=True, blank=True, editable=False)
    # The day of the latest loan the member holds, kept by the loans import
    # (members/latest_loans.py): audiences compare it instead of looking up loans.
    last_loan_on = models.DateField(null=True, blank=True, editable=False)
    has_online_profile = models.BooleanField(default=False)
    membership_ends_on = models.DateField(null=True, blank=True)
    # Set by the member (unsubscribe link), never by an import.
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["library", "external_id"], name="member_unique_per_library"
            )
        ]
        indexes = [models.Index(fields=["library", "registered_on"])]

    def __str__(self) -> str:
        return f"{self.library.code}:{self.external_id}"

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - before_birthday


class Item(models.Model):
    class Material(models.TextChoices):
        BOOK = "book", "Book"
        EBOOK = "ebook", "E-book"
        AUDIOBOOK = "audiobook", "Audiobook"
        EAUDIOBOOK = "eaudiobook", "E-audiobook"
        COMIC = "comic", "Comic"
        MAGAZINE = "magazine", "Magazine"
        FILM = "film", "Film"
        MUSIC = "music", "Music"
        GAME = "game", "Game"
        OTHER = "other", "Other"

    DIGITAL_MATERIALS = frozenset({Material.EBOOK, Material.EAUDIOBOOK})

    library = models.ForeignKey(
        Library, on_delete=models.CASCADE, related_name="items", db_index=False
    )
    external_id = models.CharField("library's item id", max_length=64)
    title = models.CharField(max_length=500)
    author = models.CharField(max_length=300, blank=True)
    isbn = models.CharField(max_length=20, blank=True)
    material = models.CharField(max_length=16, choices=Material.choices, default=Material.BOOK)
    siso = models.CharField(max_length=32, blank=True)
    nur = models.CharField(max_length=8, blank=True)
    genre = models.CharField(max_length=100, blank=True)
    is_fiction = models.BooleanField(null=True, blank=True)
    # MARC 21 008/33 "literary form" as the shared catalogue records it ("0", "1", "f", ...).
    literary_form = models.CharField(max_length=1, blank=True)
    thema = models.CharField("Thema subject code", max_length=32, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["library", "external_id"], name="item_unique_per_library"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Loan(models.Model):
    # Every index costs each imported loan a write: these two FKs are covered by the unique
    # (library, external_id) and the (member, loaned_on) indexes, which lead with them.
    library = models.ForeignKey(
        Library, on_delete=models.CASCADE, related_name="loans", db_index=False
    )
    external_id = models.CharField("library's loan id", max_length=64)
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="loans", db_index=False
    )
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="loans")
    loaned_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["library", "external_id"], name="loan_unique_per_library"
            )
        ]
        indexes = [
            models.Index(fields=["member", "loaned_on"]),
            models.Index(fields=["library", "loaned_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.item_id} {self.loaned_on}"


EVENT_TYPE = RegexValidator(
    r"^[a-z0-9_]+(\.[a-z0-9_]+)*$",
    "An event type is lower-case words joined by dots, e.g. activity.registered.",
)
# The name of an event's property (`starts_at`, `startsAt`): a letter or underscore, then
# letters, digits and underscores, so that a mail can name it (`{{ event.startsAt }}`) and a
# journey can wait on the moment it holds. The API and the journeys check this one rule.
EVENT_PROPERTY_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
# The years an event's moment may fall in (its occurred_at, a date it carries), far enough from
# the calendar's ends (years 1 and 9999) that its time in any zone, and the waits the journeys
# count from it, stay inside. The API and the journeys check this one rule.
MOMENT_YEARS = range(1900, 2201)


class MemberEvent(models.Model):
    """Something that happened to a member, sent by the library's systems through the API
    (e.g. `activity.registered` with the activity's name, start and place). Journeys that
    start on its type enrol the member once per event, and their mails show its properties."""

    library = models.ForeignKey(
        Library, on_delete=models.CASCADE, related_name="member_events", db_index=False
    )
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=100, validators=[EVENT_TYPE])
    occurred_at = models.DateTimeField()
    properties = models.JSONField(default=dict, blank=True)
    # The sender's own id for the event: the same key sent twice is stored once.
    key = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["library", "key"],
                condition=~models.Q(key=""),
                name="member_event_key_unique",
            )
        ]
        indexes = [models.Index(fields=["library", "type", "received_at"])]

    def __str__(self) -> str:
        return f"{self.type} {self.member_id} {self.occurred_at:%Y-%m-%d %H:%M}"


class Visit(models.Model):
    """A member came to the library on a day, as the library's systems saw it: through the
    entrance gate, at a self check-in or at the desk. "Came back" counts a visit as well as a
    loan. Imported as a history (file, preset, API), one row per member, day and channel."""

    class Channel(models.TextChoices):
        GATE = "gate", "Entrance gate"
        CHECKIN = "checkin", "Check-in"
        DESK = "desk", "Desk"

    library = models.ForeignKey(
        Library, on_delete=models.CASCADE, related_name="visits", db_index=False
    )
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="visits", db_index=False
    )
    visited_on = models.DateField()
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.GATE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member", "visited_on", "channel"], name="visit_unique_per_day"
            )
        ]
        indexes = [models.Index(fields=["library", "visited_on"])]

    def __str__(self) -> str:
        return f"{self.member_id} {self.visited_on} {self.channel}"


class ActivityDay(models.Model):
    """A library's loans and visits on one day, counted without naming a member. The reports
    read these instead of the raw rows, and they keep what the purge and erasure remove (old
    loans, ex-members): `kept_*` holds the part whose rows are gone."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, db_index=False)
    day = models.DateField()
    loans = models.PositiveIntegerField(default=0)
    visits = models.PositiveIntegerField(default=0)
    kept_loans = models.PositiveIntegerField(default=0)
    kept_visits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["library", "day"], name="activity_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.library_id} {self.day}"


class ActivityMonth(models.Model):
    """A library's distinct members in one month, which days cannot add up to: borrowers,
    visitors and active members (borrowed or visited). `kept_*` as on ActivityDay."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, db_index=False)
    month = models.DateField()  # the first of the month
    borrowers = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)
    active = models.PositiveIntegerField(default=0)
    kept_borrowers = models.PositiveIntegerField(default=0)
    kept_visitors = models.PositiveIntegerField(default=0)
    kept_active = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["library", "month"], name="activity_month_unique")
        ]

    def __str__(self) -> str:
        return f"{self.library_id} {self.month:%Y-%m}"
