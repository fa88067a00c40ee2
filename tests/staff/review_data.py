"""A library's four-eyes and network-template rows, for the tests that walk every staff URL
(test_scoping.py, test_every_page.py): a waiting change, a template offered to the library
only, and the library's copy of it with a newer version to take over or leave."""

from django.contrib.auth import get_user_model

from patronflow.journeys.approvals import ask_for_activation
from patronflow.journeys.definitions import export_definition, install_journey
from patronflow.members.models import Library
from patronflow.operations.network_templates import adopt, offer_journey, set_offer


def review_data(library: Library) -> dict[str, dict[str, int]]:
    """The ids of each kind of page: "template", "approval", "adopted" (a journey)."""
    asker = get_user_model().objects.create_user(f"asker-{library.code}")
    welcome = export_definition(library.journeys.get(key="welcome"))
    draft = install_journey(library, {**welcome, "key": "nieuw", "status": "draft"}).journey
    approval = ask_for_activation(draft, actor=asker)
    source = library.journeys.get(key="dormant")
    template = offer_journey(source, actor=None).template
    set_offer(template, to_all=False, libraries=[library], actor=None)
    adopted = adopt(template, library, actor=None).journey
    install_journey(library, {**export_definition(source), "holdout_percent": 20})
    offer_journey(source, actor=None)
    return {
        "template": {"pk": template.pk},
        "approval": {"pk": approval.pk},
        "adopted": {"pk": adopted.pk},
    }


def scoping_ids(library: Library) -> dict[str, dict[str, int]]:
    """The same ids by URL name, as test_scoping.py fills them in."""
    ids = review_data(library)
    return {
        "template": ids["template"],
        "template_adopt": ids["template"],
        "approval": ids["approval"],
        "journey_template": ids["adopted"],
    }
