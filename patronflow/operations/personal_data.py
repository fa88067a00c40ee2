"""Every table that holds a member's data, found from the models themselves, and everything
held about one member read as the export a member is entitled to (docs/privacy.md)."""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from patronflow.choices.models import ConsentRecord, Contact
from patronflow.choices.texts import TEXTS
from patronflow.mail.models import Bounce, Message
from patronflow.members.models import Member
from patronflow.privacy.models import Suppression
from patronflow.privacy.references import address_reference


@cache
def personal_tables() -> dict[type[Model], str]:
    """Every model holding rows about a member, with its lookup to the member's id.

    Found by walking Django's model graph from Member along every foreign key that points
    towards it (Member ← Loan, Member ← Enrolment ← Message ← Event, …), so a table added
    later is exported, counted and erased without anyone having to remember it here.
    """
    paths: dict[type[Model], str] = {Member: "pk"}
    waiting = [Member]
    while waiting:
        model = waiting.pop(0)
        # Hidden relations too (related_name="+"): a table is personal however it is named.
        for relation in model._meta.get_fields(include_hidden=True):
            if not (relation.is_relation and relation.auto_created and not relation.concrete):
                continue
            related = relation.related_model
            if related in paths:
                continue
            name = relation.field.name
            paths[related] = name if model is Member else f"{name}__{paths[model]}"
            waiting.append(related)
    return paths


def removal_order() -> list[tuple[type[Model], str]]:
    """The personal tables, furthest from Member first: deleting in this order leaves no
    cascade for the database to discover halfway."""
    return sorted(personal_tables().items(), key=lambda pair: -pair[1].count("__"))


def rows_per_table(member_ids: QuerySet | Iterable[int]) -> dict[str, int]:
    """How many rows each personal table holds about these members (zero tables left out)."""
    counts = {}
    for model, path in removal_order():
        lookup = f"{path}__in" if path != "pk" else "pk__in"
        found = model._default_manager.filter(**{lookup: member_ids}).count()
        if found:
            counts[model._meta.label_lower] = found
    return counts


def fields_of(row: Model, leave_out: Iterable[str] = ()) -> dict:
    """Every stored column of a row (foreign keys as ids), so a new column is exported too."""
    skipped = set(leave_out)
    return {
        field.attname: field.value_from_object(row)
        for field in row._meta.concrete_fields
        if field.attname not in skipped
    }


@dataclass(frozen=True)
class Section:
    """How the export shows one personal table: readable names next to the stored columns."""

    name: str
    describe: Callable[[Model], dict] = fields_of
    related: tuple[str, ...] = ()
    single: bool = False


def _member(member) -> dict:
    return fields_of(member, leave_out={"id", "library_id"})


def _profile(profile) -> dict:
    return fields_of(profile, leave_out={"member_id"})


def _loan(loan) -> dict:
    item = loan.item
    return {
        **fields_of(loan, leave_out={"id", "library_id", "member_id", "item_id"}),
        "item": {
            "external_id": item.external_id,
            "title": item.title,
            "author": item.author,
            "isbn": item.isbn,
            "material": item.material,
        },
    }


def _visit(visit) -> dict:
    return fields_of(visit, leave_out={"id", "library_id", "member_id"})


def _enrolment(enrolment) -> dict:
    return {
        **fields_of(enrolment, leave_out={"member_id", "journey_id", "version_id"}),
        "journey": enrolment.journey.key,
        "journey_name": enrolment.journey.name,
        "version": enrolment.version.number,
    }


def _message(message) -> dict:
    return {
        **fields_of(message, leave_out={"library_id", "step_id", "variant_id"}),
        "journey": message.step.version.journey.key,
        "step": message.step.position,
        "step_name": message.step.name,
    }


def _event(event) -> dict:
    links = event.message.links
    index = event.link_index
    link = links[index] if index is not None and 0 <= index < len(links) else None
    return {**fields_of(event), "link": link}


def _member_event(event) -> dict:
    """What the library's systems told patronflow happened to the member (e.g. that they
    registered for an activity), with what it carried."""
    return fields_of(event, leave_out={"library_id", "member_id"})


def _list_choice(choice) -> dict:
    return {
        **fields_of(choice, leave_out={"id", "member_id", "mailing_list_id"}),
        "list": choice.mailing_list.key,
        "list_name": choice.mailing_list.name,
    }


def _consent(consent) -> dict:
    """The record with what its codes mean: the choice, where it was made and the words the
    member saw (choices/texts.py)."""
    return {
        **fields_of(
            consent, leave_out={"id", "library_id", "member_id", "contact_id", "mailing_list_id"}
        ),
        "choice_meaning": ConsentRecord.Choice(consent.choice).label,
        "source_meaning": ConsentRecord.Source(consent.source).label,
        "wording": TEXTS.get(consent.text_version, ""),
    }


SECTIONS = {
    "members.member": Section("member", _member, single=True),
    "profiles.readingprofile": Section("reading_profile", _profile, single=True),
    "members.loan": Section("loans", _loan, related=("item",)),
    "members.visit": Section("visits", _visit),
    "journeys.enrolment": Section("enrolments", _enrolment, related=("journey", "version")),
    "mail.message": Section("messages", _message, related=("step__version__journey",)),
    "tracking.event": Section("events", _event, related=("message",)),
    "members.memberevent": Section("member_events", _member_event),
    "tracking.feedback": Section("feedback"),
    "choices.listchoice": Section("list_choices", _list_choice, related=("mailing_list",)),
    "choices.consentrecord": Section("consent_records", _consent),
}


def _addresses_of(member: Member) -> tuple[set[str], QuerySet]:
    """The addresses a member had (their own and those their mails went to) and their mails."""
    sent = Message.objects.filter(enrolment__member=member)
    addresses = {member.email, *sent.values_list("to_email", flat=True)}
    return {a.strip().lower() for a in addresses if a.strip()}, sent


def bounces_of(member: Member) -> QuerySet[Bounce]:
    """What came back for the member's mails or addresses: held by address, not by member."""
    addresses, sent = _addresses_of(member)
    return Bounce.objects.filter(library_id=member.library_id).filter(
        Q(message_id__in=sent.values("pk")) | Q(email__in=addresses)
    )


def suppressions_of(member: Member) -> QuerySet[Suppression]:
    """The member's addresses on the library's suppression list."""
    addresses, _ = _addresses_of(member)
    return Suppression.objects.filter(
        library_id=member.library_id, address_ref__in=[address_reference(a) for a in addresses]
    )


def contacts_of_member(member: Member) -> QuerySet[Contact]:
    """Sign-ups for the library's lists under one of the member's addresses, pending or
    confirmed (a request waits up to 30 days; one confirmed before the address became a
    member's stays a contact): held by address, so found by it."""
    addresses, _ = _addresses_of(member)
    return Contact.objects.filter(library_id=member.library_id, email__in=addresses)


def _contact(contact: Contact) -> dict:
    return {
        **fields_of(contact, leave_out={"id", "library_id", "mailing_list_id"}),
        "list": contact.mailing_list.key,
        "list_name": contact.mailing_list.name,
        "consent_records": [_consent(c) for c in contact.consents.order_by("chosen_at", "pk")],
    }


CONTACTS = "choices.contact"
CONSENTS = "choices.consentrecord"

# Held by address rather than by a foreign key to the member, so outside personal_tables().
BY_ADDRESS = {
    "bounces": (Bounce, bounces_of),
    "suppressions": (Suppression, suppressions_of),
}


def section_for(model: type[Model]) -> Section:
    """A table without a section of its own is still exported, under its model's name."""
    label = model._meta.label_lower
    return SECTIONS.get(label, Section(label))


def member_export(member: Member, now: dt.datetime | None = None) -> dict:
    """Everything held about one member, table by table: the answer to a right-of-access
    request. Serialise with DjangoJSONEncoder (dates and times as ISO strings)."""
    export: dict = {
        "exported_at": now or timezone.now(),
        "library": {"code": member.library.code, "name": member.library.name},
    }
    for model, path in personal_tables().items():
        section = section_for(model)
        rows = model._default_manager.filter(**{path: member.pk}).order_by("pk")
        if section.related:
            rows = rows.select_related(*section.related)
        described = [section.describe(row) for row in rows]
        if section.single:
            export[section.name] = described[0] if described else None
        else:
            export[section.name] = described
    for name, (_, rows_of) in BY_ADDRESS.items():
        export[name] = [fields_of(row, leave_out={"library_id"}) for row in rows_of(member)]
    contacts = contacts_of_member(member).select_related("mailing_list").order_by("pk")
    export["sign_ups"] = [_contact(contact) for contact in contacts]
    return export


def export_counts(export: dict) -> dict[str, int]:
    """Rows per section of an export, for the audit log."""
    counts = {}
    for model in personal_tables():
        value = export[section_for(model).name]
        counts[model._meta.label_lower] = (
            len(value) if isinstance(value, list) else int(value is not None)
        )
    for name, (model, _) in BY_ADDRESS.items():
        counts[model._meta.label_lower] = len(export[name])
    counts[CONTACTS] = len(export["sign_ups"])
    counts[CONSENTS] += sum(len(contact["consent_records"]) for contact in export["sign_ups"])
    return counts
