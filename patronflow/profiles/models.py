from django.core.exceptions import ValidationError
from django.db import models

from patronflow.members.models import Item, Library, Member
from patronflow.privacy.models import LOAN_HISTORY_MONTHS, RetentionPolicy
from patronflow.profiles.classification import DEFAULT_ORDER, SOURCES, Classifier, check_order

# A profile looks back as far as a library keeps loans by default, and never further.
DEFAULT_WINDOW_MONTHS = LOAN_HISTORY_MONTHS


class Segment(models.TextChoices):
    FICTION_DIGITAL = "fiction_digital", "Fiction, digital"
    FICTION_PHYSICAL = "fiction_physical", "Fiction, physical"
    NONFICTION_DIGITAL = "nonfiction_digital", "Non-fiction, digital"
    NONFICTION_PHYSICAL = "nonfiction_physical", "Non-fiction, physical"
    UNKNOWN = "unknown", "Too little history"


def _default_order() -> list[str]:
    return list(DEFAULT_ORDER)


class ClassificationPolicy(models.Model):
    """How one library classifies its loans: which source decides first, and how far back
    a profile looks. A library without a policy gets the defaults."""

    library = models.OneToOneField(
        Library, on_delete=models.CASCADE, primary_key=True, related_name="classification_policy"
    )
    source_order = models.JSONField(
        default=_default_order,
        help_text=f"Sources asked in this order, the first verdict wins: any of {list(SOURCES)}.",
    )
    window_months = models.PositiveSmallIntegerField(
        default=DEFAULT_WINDOW_MONTHS, help_text="Loans of the last this many months count."
    )
    # State, not settings: what the stored profiles were counted with at the last
    # library-wide refresh — its reference date, the largest loan id it counted (loans with a
    # higher id are new to the next refresh), and the window and source order then in force
    # (a refresh under a changed policy rebuilds, since differences would mix two policies).
    profiles_as_of = models.DateField(null=True, blank=True, editable=False)
    profiles_loans_through = models.BigIntegerField(null=True, blank=True, editable=False)
    profiles_window_months = models.PositiveSmallIntegerField(null=True, editable=False)
    profiles_source_order = models.JSONField(null=True, editable=False)

    class Meta:
        verbose_name_plural = "classification policies"

    def __str__(self) -> str:
        return f"{self.library.code}: {', '.join(self.source_order)}; {self.window_months} months"

    def clean(self) -> None:
        try:
            check_order(self.source_order)
        except (ValueError, TypeError) as error:
            raise ValidationError({"source_order": str(error)}) from None
        if not self.window_months:
            raise ValidationError({"window_months": "A profile needs at least one month."})
        if problem := self._beyond_loan_history():
            raise ValidationError({"window_months": problem})

    def _beyond_loan_history(self) -> str | None:
        """Why the profile may not look this far back, or None: not beyond the loans the
        library keeps (its retention policy; see profiles/policies.py for the other side)."""
        if self.library_id is None:
            return None
        kept = RetentionPolicy.objects.filter(library_id=self.library_id).values_list(
            "loan_history_months", flat=True
        )
        months = kept.first() or LOAN_HISTORY_MONTHS
        if self.window_months <= months:
            return None
        return (
            f"The library keeps {months} months of loan history (its retention policy): "
            f"a profile cannot count {self.window_months} months."
        )

    @property
    def classifier(self) -> Classifier:
        return Classifier(order=tuple(self.source_order))


class ClassifiedItem(models.Model):
    """An item's kind as its library's classifier saw it at the last refresh: the join that
    lets loans be counted per member in the database."""

    item = models.OneToOneField(
        Item, on_delete=models.CASCADE, primary_key=True, related_name="classification"
    )
    is_fiction = models.BooleanField(null=True)
    is_digital = models.BooleanField()

    def __str__(self) -> str:
        fiction = {True: "fiction", False: "non-fiction", None: "unclassified"}[self.is_fiction]
        return f"{self.item_id}: {fiction}, {'digital' if self.is_digital else 'physical'}"


class ReadingProfile(models.Model):
    """A member's counted loans over the library's window as of a reference date, and the
    segment they give. Counting only loans whose fiction verdict is known."""

    member = models.OneToOneField(
        Member, on_delete=models.CASCADE, primary_key=True, related_name="reading_profile"
    )
    segment = models.CharField(max_length=24, choices=Segment.choices, default=Segment.UNKNOWN)
    fiction_loans = models.PositiveIntegerField(default=0)
    nonfiction_loans = models.PositiveIntegerField(default=0)
    digital_loans = models.PositiveIntegerField(default=0)
    physical_loans = models.PositiveIntegerField(default=0)
    # The earliest counted loan.
    oldest_counted_on = models.DateField(null=True, blank=True)
    as_of = models.DateField(null=True, blank=True)
    computed_at = models.DateTimeField(auto_now=True)
    # Recounted for a journey as of its own date, outside the library's refreshes, or marked
    # by an import that changed one of the member's loans in place: either way the counts
    # are not those of the library's reference date, so the next library-wide refresh
    # recounts this profile instead of adding and subtracting loans to it.
    outside_refresh = models.BooleanField(default=False)

    class Meta:
        # Only the few profiles recounted outside a refresh: a full rebuild writes no entry.
        indexes = [
            models.Index(
                fields=["member"],
                condition=models.Q(outside_refresh=True),
                name="profile_outside_refresh",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.segment}"

    @property
    def loans_counted(self) -> int:
        return self.fiction_loans + self.nonfiction_loans

    @property
    def fiction_share(self) -> float | None:
        return self.fiction_loans / self.loans_counted if self.loans_counted else None

    @property
    def digital_share(self) -> float | None:
        return self.digital_loans / self.loans_counted if self.loans_counted else None


class TipChoice(models.Model):
    """A title staff put forward in a library's reading tips (pinned: shown first, whatever
    its popularity) or kept out of them (excluded: never shown). Segment '' means every
    segment. A title is its title and author, as reading tips count editions together."""

    class Action(models.TextChoices):
        PIN = "pin", "Pinned"
        EXCLUDE = "exclude", "Excluded"

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="tip_choices")
    segment = models.CharField(max_length=24, choices=Segment.choices, blank=True)
    title = models.CharField(max_length=500)
    author = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=8, choices=Action.choices)
    chosen_by = models.CharField(max_length=150, blank=True)
    chosen_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["library", "segment", "title", "author"], name="tip_choice_unique"
            )
        ]
        ordering = ["library", "action", "segment", "title"]

    def __str__(self) -> str:
        return f"{self.library.code}: {self.get_action_display()} {self.title}"
