from django.core.management.base import BaseCommand, CommandError

from patronflow.mail.dkim import create_key, dns_record
from patronflow.members.models import Library


class Command(BaseCommand):
    help = (
        "Create the library's DKIM key (once) and print the DNS TXT record to publish. "
        "Mails are signed from then on; publish the record before the first send."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="The library's code.")
        parser.add_argument(
            "--selector",
            help="DKIM selector (default: the library's, else 'patronflow'). A new selector "
            "makes a new key: the way to rotate keys.",
        )

    def handle(self, *args, code: str, selector: str | None, **options):
        try:
            library = Library.objects.get(code=code)
        except Library.DoesNotExist:
            raise CommandError(f"no library {code!r}: see `patronflow library list`") from None
        if not library.sender_email:
            raise CommandError(
                f"{code} has no sender address: set it first "
                f"(patronflow library set {code} --sender-email ...)"
            )
        domain = library.sender_email.rpartition("@")[2].lower()
        selector = selector or library.dkim_selector or "patronflow"
        path = create_key(domain, selector)
        if library.dkim_selector != selector:
            library.dkim_selector = selector
            library.save(update_fields=["dkim_selector"])
        name, value = dns_record(domain, selector)
        self.stdout.write(f"Private key: {path}")
        self.stdout.write(f"Publish this TXT record in the DNS of {domain}:\n")
        # Long values go in DNS as several quoted strings of at most 255 characters.
        chunks = " ".join(f'"{value[i : i + 255]}"' for i in range(0, len(value), 255))
        self.stdout.write(f"{name}. IN TXT ( {chunks} )")
