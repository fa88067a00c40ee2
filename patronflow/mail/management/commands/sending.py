from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from patronflow.members.models import Library


class Command(BaseCommand):
    help = (
        "Pause or resume a library's sending. Sending pauses by itself when complaints or "
        "hard bounces pass the limits (docs/sending.md); resume once the cause is fixed."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["pause", "resume"])
        parser.add_argument("--library", required=True, help="The library's code.")
        parser.add_argument("--reason", default="paused by the operator")

    def handle(self, *args, action: str, library: str, reason: str, **options):
        try:
            found = Library.objects.get(code=library)
        except Library.DoesNotExist:
            raise CommandError(f"no library {library!r}: see `patronflow library list`") from None
        if action == "pause":
            found.sending_paused_at = timezone.now()
            found.sending_paused_reason = reason[:300]
        else:
            if found.sending_paused_at is None:
                raise CommandError(f"{library}'s sending is not paused")
            found.sending_paused_at = None
            found.sending_paused_reason = ""
        found.save(update_fields=["sending_paused_at", "sending_paused_reason"])
        self.stdout.write(f"{library}: sending {'paused' if action == 'pause' else 'resumed'}.")
