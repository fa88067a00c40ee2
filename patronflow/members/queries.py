"""Reads about libraries: finding the one a command names, and the overview for `library list`."""

from django.core.management.base import CommandError
from django.db.models import Count, QuerySet

from patronflow.members.models import Library

SHOWN_CODES = 30


def library_for_command(code: str) -> Library:
    """The library that a command's `--library CODE` names.

    An unknown code is the most common operator mistake (a typo, or a fresh database), so
    the error lists the codes that do exist and says how to add one.
    """
    try:
        return Library.objects.get(code=code.strip())
    except Library.DoesNotExist:
        codes = list(Library.objects.order_by("code").values_list("code", flat=True))
        if not codes:
            known = "there are no libraries yet"
        elif len(codes) > SHOWN_CODES:
            shown = ", ".join(codes[:SHOWN_CODES])
            known = f"known libraries: {shown} and {len(codes) - SHOWN_CODES} more"
        else:
            known = f"known libraries: {', '.join(codes)}"
        raise CommandError(
            f"unknown library {code!r} ({known}). "
            "Add one with: patronflow library add CODE --name NAME"
        ) from None


def libraries_overview() -> QuerySet[Library]:
    """Every library with its number of members, for the operator's overview."""
    return Library.objects.annotate(member_count=Count("members")).order_by("code")
