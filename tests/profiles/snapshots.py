"""Stored reading profiles as plain values, so that a refresh can be compared with a rebuild."""

from patronflow.profiles.models import ReadingProfile

COUNTED = (
    "segment", "fiction_loans", "nonfiction_loans", "digital_loans", "physical_loans",
    "oldest_counted_on",
)  # fmt: skip


def stored_profiles(library) -> dict[int, tuple]:
    """Each member's stored profile: member id → segment, counts and oldest counted loan."""
    rows = ReadingProfile.objects.filter(member__library=library).values_list("member_id", *COUNTED)
    return {member_id: tuple(counted) for member_id, *counted in rows}
