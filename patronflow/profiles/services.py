"""Compute and store reading profiles from loans."""

from collections import Counter
from collections.abc import Iterable

from patronflow.members.models import Loan
from patronflow.profiles import rules
from patronflow.profiles.models import ReadingProfile, Segment

_CHUNK = 2000


def refresh_profiles(member_ids: Iterable[int]) -> dict[int, Segment]:
    """Recompute the profiles of these members in a few queries; returns member id → segment.

    Items are classified once per call, not once per loan.
    """
    member_ids = list(member_ids)
    segments: dict[int, Segment] = {}
    for start in range(0, len(member_ids), _CHUNK):
        chunk = member_ids[start : start + _CHUNK]
        counts: dict[int, Counter] = {member_id: Counter() for member_id in chunk}
        kinds: dict[int, tuple[bool | None, bool]] = {}
        loans = Loan.objects.filter(member_id__in=chunk).values_list(
            "member_id",
            "item_id",
            "item__is_fiction",
            "item__nur",
            "item__siso",
            "item__genre",
            "item__material",
        )
        for member_id, item_id, is_fiction, nur, siso, genre, material in loans:
            if item_id not in kinds:
                kinds[item_id] = (
                    rules.item_is_fiction(is_fiction, nur, siso, genre),
                    rules.item_is_digital(material),
                )
            fiction, digital = kinds[item_id]
            if fiction is None:
                continue
            tally = counts[member_id]
            tally["fiction" if fiction else "nonfiction"] += 1
            tally["digital" if digital else "physical"] += 1

        profiles = []
        for member_id, tally in counts.items():
            classified = tally["fiction"] + tally["nonfiction"]
            segment = rules.segment_for(
                tally["fiction"], tally["nonfiction"], tally["digital"], tally["physical"]
            )
            segments[member_id] = segment
            profiles.append(
                ReadingProfile(
                    member_id=member_id,
                    segment=segment,
                    loans_counted=classified,
                    fiction_share=tally["fiction"] / classified if classified else None,
                    digital_share=tally["digital"] / classified if classified else None,
                )
            )
        ReadingProfile.objects.bulk_create(
            profiles,
            update_conflicts=True,
            unique_fields=["member"],
            update_fields=[
                "segment",
                "loans_counted",
                "fiction_share",
                "digital_share",
                "computed_at",
            ],
        )
    return segments
