"""Which libraries a library's loans are compared with (reports/comparison.py): the network
admin's choice, audit-logged. Good comparison libraries run none of the library's journeys,
so the screen suggests those: a library mailing the same members' peers the same way would
move with it and hide the effect."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from patronflow.journeys.models import Journey
from patronflow.members.models import Library
from patronflow.privacy.audit import Actor, record_change


@dataclass(frozen=True)
class Candidate:
    """Another library, with the journeys it runs that this library runs too."""

    library: Library
    shared: tuple[str, ...]  # journey names, as this library calls them

    @property
    def suggested(self) -> bool:
        return not self.shared


def candidates_for(library: Library) -> list[Candidate]:
    """Every other library, suggested first where it runs none of this library's active
    journeys (the same key: the standard welcome and dormant journeys, or a copied one)."""
    active = Journey.objects.filter(status=Journey.Status.ACTIVE)
    own = dict(active.filter(library=library).values_list("key", "name"))
    running: dict[int, set[str]] = defaultdict(set)
    for library_id, key in active.filter(key__in=own).values_list("library_id", "key"):
        running[library_id].add(key)
    others = Library.objects.exclude(pk=library.pk).order_by("name")
    found = [
        Candidate(other, tuple(sorted(own[key] for key in running[other.pk]))) for other in others
    ]
    return sorted(found, key=lambda candidate: not candidate.suggested)


def comparison_names(library: Library) -> list[str]:
    """The names of the libraries the comparison uses: all a marketer is shown of them."""
    return list(library.comparison_libraries.order_by("name").values_list("name", flat=True))


def choose_comparison_libraries(
    library: Library, *, chosen: Sequence[Library], actor: Actor
) -> None:
    """Set the libraries `library` is compared with, logged as the actor's change (by their
    codes). The library itself is never its own comparison."""
    before = sorted(library.comparison_libraries.values_list("code", flat=True))
    kept = [other for other in chosen if other.pk != library.pk]
    after = sorted(other.code for other in kept)
    with transaction.atomic():
        library.comparison_libraries.set(kept)
        if before != after:
            record_change(
                f"library {library.code}",
                {"comparison_libraries": (", ".join(before), ", ".join(after))},
                actor=actor,
                library_code=library.code,
            )
