"""Adding a library, with its standard journeys, and changing its settings: each in one
transaction with its audit entry. The details are checked by members/details.py."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from patronflow.journeys.definitions import install_standard_journeys
from patronflow.members.details import Detail, apply_changes, code_taken, new_library, settings_of
from patronflow.members.models import Library
from patronflow.privacy.audit import Actor, changed_values, record_change


def add_library(
    code: str, name: str, language: str = "nl", *, actor: Actor = None, **details: Detail
) -> Library:
    """Create a tenant with the standard journeys (welcome, dormant) in `language`, ready to
    import into; logged as the actor's change. Raises ValidationError with a message per
    detail (members/details.py: new_library)."""
    library = new_library(code, name, language, **details)
    try:
        with transaction.atomic():
            library.save()
            record_change(
                f"library {library.code}",
                {"name": (None, library.name)},
                actor=actor,
                library_code=library.code,
            )
            install_standard_journeys(library, language, actor=actor)
    except IntegrityError:
        raise ValidationError({"code": [code_taken(library.code)]}) from None
    return library


def change_library(library: Library, *, actor: Actor = None, **changes: Detail) -> Library:
    """Change some of a library's details (members/details.py: apply_changes), logged as the
    actor's change. Raises ValidationError with a message per detail and then saves nothing."""
    before = settings_of(library)
    fields = apply_changes(library, **changes)
    with transaction.atomic():
        library.save(update_fields=fields)
        record_change(
            f"library {library.code}",
            changed_values(before, settings_of(library)),
            actor=actor,
            library_code=library.code,
        )
    return library
