"""The results page's period, as the staff choose it (reports/period.py), and the links from
its figures to the staff screens (each mail's comments)."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from patronflow.journeys.models import DEFAULT_VARIANT, Journey
from patronflow.members.models import Library
from patronflow.reports.page import CommentLinks
from patronflow.reports.period import Period, period_of
from patronflow.reports.published import PublishedRow, shown
from patronflow.staff import queries


class PeriodForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Period"),
        choices=[
            ("month", _("This month")),
            ("quarter", _("Last 3 months")),
            ("launch", _("Since launch")),
            ("custom", _("From … to …")),
        ],
        initial="launch",
        required=False,
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if data.get("period") == "custom" and since is None:
            self.add_error("since", _("Choose the first day of the period."))
        if since and until and since > until:
            self.add_error("until", _("The last day comes after the first."))
        return data

    def chosen(self, today) -> Period:
        """The chosen period; since the launch where the choice is not valid."""
        if not self.is_valid():
            return period_of("launch", today=today)
        data = self.cleaned_data
        return period_of(
            data.get("period") or "launch",
            today=today,
            since=data.get("since"),
            until=data.get("until"),
        )


def comment_links(library: Library) -> CommentLinks:
    """Each mail's row → its comments page and how many members left a comment (a count
    from 1 to 9 withheld), as the journey page links them."""
    journeys = {journey.key: journey for journey in Journey.objects.filter(library=library)}
    counts = {key: queries.comment_counts(journey) for key, journey in journeys.items()}

    def link(row: PublishedRow) -> tuple[str, str]:
        journey = journeys.get(row.journey)
        if journey is None:
            return "", ""
        # The fallback variant is "default" in the figures and in URLs, "" in the database.
        segment = "" if row.segment == DEFAULT_VARIANT else row.segment
        count = counts[row.journey].get((row.step, segment), 0)
        url = reverse("staff:comments", args=[journey.pk, row.step, row.segment])
        return url, shown(count)

    return link
