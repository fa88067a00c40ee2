"""The audit log: who accessed or removed which member's data (`record`), and who changed a
library's set-up, what and when (`record_change`).

Every service that changes a journey, a mail's text, a library's settings, a reading-tip
choice or a staff account writes one entry here, inside the change's own transaction, naming
the actor it was given: a staff user, None for the command line, or PATRONFLOW when patronflow
itself acted (pausing a journey whose mails fail on their text). An entry names no member.
Every stage after privacy may write here; members' own changes are logged by the flows that
make them (patronflow/operations).
"""

import datetime as dt
import getpass
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from patronflow.members.models import Library
from patronflow.privacy.models import AuditEntry
from patronflow.privacy.references import member_reference

COMMAND_LINE = "command line"
PATRONFLOW = "patronflow"
# Values up to this long are logged as they were and became; a longer one (a mail's body)
# as its length, which says that it changed without copying a text into the log.
SHOWN_UP_TO = 120
SUBJECT_LENGTH = AuditEntry._meta.get_field("subject").max_length

Actor = AbstractBaseUser | str | None


def operator_of(actor: Actor) -> str:
    """How the log names the actor: `staff:<user name>`, as the staff screens' other audit
    entries do; "command line" for None; PATRONFLOW as itself."""
    if actor is None:
        return COMMAND_LINE
    if isinstance(actor, str):
        return actor
    return f"staff:{actor.get_username()}"


def shown(value: Any) -> Any:
    """A value as the log keeps it: short ones as they are, a long text as its length."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    if len(text) <= SHOWN_UP_TO:
        return text
    return f"({len(text):,} characters)"


def record_change(
    subject: str,
    changes: Mapping[str, tuple[Any, Any]],
    *,
    actor: Actor,
    library_code: str = "",
    at: dt.datetime | None = None,
) -> None:
    """Log one change of `subject` (e.g. "journey welcome"): each changed name with what it
    was and what it became (None: it did not exist, or no longer does). Nothing is logged
    when nothing changed. `library_code` is empty for what belongs to the network (a network
    admin's login)."""
    if not changes:
        return
    AuditEntry.objects.create(
        at=at or timezone.now(),
        operator=operator_of(actor),
        action="changed",
        library_code=library_code,
        subject=subject if len(subject) <= SUBJECT_LENGTH else subject[: SUBJECT_LENGTH - 1] + "…",
        changes={name: [shown(before), shown(after)] for name, (before, after) in changes.items()},
    )


def changed_values(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, tuple]:
    """The names whose value differs between two snapshots, with both values (None where a
    snapshot lacks the name)."""
    return {
        name: (before.get(name), after.get(name))
        for name in dict.fromkeys([*before, *after])
        if before.get(name) != after.get(name)
    }


def default_operator() -> str:
    """Who runs a command: the operating-system user, unless `--by` says otherwise."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def record(
    action: str,
    *,
    operator: str,
    library: Library | str,
    external_id: str = "",
    counts: dict[str, int] | None = None,
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Write one audit entry. `external_id` is the library's member id; only its keyed hash
    is stored. Staff views call this with "viewed" or "changed" too."""
    code = library if isinstance(library, str) else library.code
    return AuditEntry.objects.create(
        at=at or timezone.now(),
        operator=operator,
        action=action,
        library_code=code,
        member_ref=member_reference(code, external_id) if external_id else "",
        counts=counts or {},
    )
