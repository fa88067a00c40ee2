"""How counted loans become a segment. Documented in docs/reading-profiles.md.

A member needs MINIMUM_CLASSIFIED_LOANS loans whose kind is known for a profile; 'mainly'
fiction means at least half, 'mainly' digital more than half. The same rule exists twice:
`segment_for` in Python and `segment_sql` for the set-based rebuild; a test holds them equal.
"""

from patronflow.profiles.classification import Classifier, ItemFacts, is_digital
from patronflow.profiles.models import Segment

MINIMUM_CLASSIFIED_LOANS = 3

_DEFAULT = Classifier()


def item_is_fiction(
    is_fiction: bool | None,
    nur: str,
    siso: str,
    genre: str,
    literary_form: str = "",
    thema: str = "",
) -> bool | None:
    """An item's fiction verdict under the default source order (no library policy)."""
    return _DEFAULT.is_fiction(ItemFacts(is_fiction, literary_form, nur, thema, siso, genre))


def item_is_digital(material: str) -> bool:
    return is_digital(material)


def segment_for(fiction: int, nonfiction: int, digital: int, physical: int) -> Segment:
    """'Mainly' means at least half; ties go to fiction and to physical, the commoner kinds."""
    if fiction + nonfiction < MINIMUM_CLASSIFIED_LOANS:
        return Segment.UNKNOWN
    mainly_fiction = fiction >= nonfiction
    mainly_digital = digital > physical
    return {
        (True, True): Segment.FICTION_DIGITAL,
        (True, False): Segment.FICTION_PHYSICAL,
        (False, True): Segment.NONFICTION_DIGITAL,
        (False, False): Segment.NONFICTION_PHYSICAL,
    }[(mainly_fiction, mainly_digital)]


def segment_sql(fiction: str, nonfiction: str, digital: str, physical: str) -> str:
    """`segment_for` as an SQL CASE over four integer expressions."""
    return (
        f"CASE WHEN {fiction} + {nonfiction} < {MINIMUM_CLASSIFIED_LOANS} "
        f"THEN '{Segment.UNKNOWN.value}' "
        f"WHEN {fiction} >= {nonfiction} AND {digital} > {physical} "
        f"THEN '{Segment.FICTION_DIGITAL.value}' "
        f"WHEN {fiction} >= {nonfiction} THEN '{Segment.FICTION_PHYSICAL.value}' "
        f"WHEN {digital} > {physical} THEN '{Segment.NONFICTION_DIGITAL.value}' "
        f"ELSE '{Segment.NONFICTION_PHYSICAL.value}' END"
    )
