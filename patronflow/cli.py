"""The `patronflow` console script: a short list of subcommands over Django management commands."""

import os
import sys

from django.apps import apps

COMMANDS = {
    "demo": "Build a synthetic library in ./var and run both journeys over 60 simulated days",
    "migrate": "Create or upgrade the database tables",
    "library": "Add, list or change libraries (tenants)",
    "import": "Import members, items, loans or visits from a library-system CSV export",
    "aggregates": "Recount the activity counts the reports read from loans and visits (--rebuild)",
    "sync": "Fetch changed and ended members from the library system (API or file drop)",
    "profiles": "Refresh the reading profiles of a library (what changed, or --full)",
    "journey": "List, import/export (YAML, JSON), activate, pause, archive or migrate journeys",
    "segment": "Save and list segments: named audiences for journeys and broadcasts",
    "tips": "Show each segment's reading tips; pin or exclude titles",
    "simulate": "Dry run of a journey over real data, day by day: nothing is sent or changed",
    "tick": "Enrol members, advance journeys and send the mails that are due",
    "report": "Campaign figures, effect vs holdout, baseline, benchmark (table, CSV, JSON, HTML)",
    "serve": "Serve the tracking endpoints and the staff web application (/staff/)",
    "purge": "Remove ex-members past the retention period (default 2 years); --dry-run counts",
    "member": "A member's rights: export everything held about them as JSON, or erase it",
    "contact": "A sign-up of a non-member: export what is held about the address, or erase it",
    "worker": "Run a Celery send worker (needs PATRONFLOW_BROKER_URL)",
    "bounces": "Read bounces and complaints (maildir or SMTP listener); suppress what they name",
    "suppressions": "List or remove a library's suppressed addresses",
    "webhooks": "Deliver the signed webhook notices that are due (--follow: as a service)",
    "dkim": "Create a library's DKIM key and print the DNS record to publish",
    "sending": "Pause or resume a library's sending (it pauses by itself on complaints)",
    "staff": "Add, list or remove staff logins for the web application (/staff/)",
    "manage": "Run any Django management command (for operators)",
}
NEEDS_NO_DATABASE = {"demo", "migrate", "manage"}


def _usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [
        "usage: patronflow COMMAND [options]",
        "",
        "Marketing automation for public libraries.",
        "",
        "commands:",
        *(f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items()),
        "",
        "`patronflow COMMAND --help` explains a command. Settings come from PATRONFLOW_* "
        "environment variables (see README).",
    ]
    return "\n".join(lines)


def _database_is_ready() -> bool:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(_usage())
        return
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        sys.exit(f"patronflow: unknown command {name!r}\n\n{_usage()}")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patronflow.settings")
    if name == "demo":
        # The demo builds its own database and never touches a configured one.
        os.environ["PATRONFLOW_DEMO"] = "1"
    import django
    from django.core.management import ManagementUtility

    django.setup()
    if name == "demo" and not apps.is_installed("patronflow.demo"):
        sys.exit("patronflow: the demo needs its extra: pip install 'patronflow[demo]'")
    asking_help = any(arg in {"-h", "--help"} for arg in rest)
    if name not in NEEDS_NO_DATABASE and not asking_help and not _database_is_ready():
        from django.db import connection

        sys.exit(
            f"patronflow: the database ({connection.settings_dict['NAME']}) is not set up "
            "or not up to date: run `patronflow migrate` first."
        )
    if name == "manage":
        ManagementUtility(["patronflow manage", *rest]).execute()
    else:
        ManagementUtility(["patronflow", name, *rest]).execute()


if __name__ == "__main__":
    main()
