"""The results page's period choices are in Dutch for Dutch-speaking staff ("This month" had
no Dutch and showed in English)."""

from django.utils import translation

from patronflow.staff.report_page import PeriodForm


def test_every_period_choice_reads_in_dutch():
    with translation.override("nl"):
        labels = [str(label) for _, label in PeriodForm().fields["period"].choices]
    with translation.override("en"):
        english = [str(label) for _, label in PeriodForm().fields["period"].choices]

    assert "Deze maand" in labels
    assert not set(labels) & set(english)
