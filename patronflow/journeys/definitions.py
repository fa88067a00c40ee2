"""Journeys as data: load a definition (TOML) into a library, checked before anything is saved."""

import tomllib
from importlib import resources

from django.db import transaction

from patronflow.journeys.models import Journey, Step, Variant
from patronflow.mail.rendering import TemplateProblem, check_staff_template
from patronflow.members.models import Library

STANDARD_JOURNEYS = ("welcome", "dormant")


class InvalidJourney(ValueError):
    """A definition that would fail at send time; the message names the step and the field."""


def _check(definition: dict) -> None:
    for step in definition["steps"]:
        segments = [variant.get("segment", "") for variant in step["variants"]]
        if "" not in segments:
            raise InvalidJourney(f"step {step['position']} has no fallback variant (segment '')")
        for variant in step["variants"]:
            for name, html in (("subject", False), ("preheader", False), ("body", True)):
                try:
                    check_staff_template(variant.get(name, ""), html=html)
                except TemplateProblem as problem:
                    where = f"step {step['position']}, variant '{variant.get('segment', '')}'"
                    raise InvalidJourney(f"{where}, {name}: {problem}") from problem


@transaction.atomic
def install_journey(library: Library, definition: dict) -> Journey:
    """Create or replace a library's journey of this key with the definition's steps."""
    _check(definition)
    journey, _ = Journey.objects.update_or_create(
        library=library,
        key=definition["key"],
        defaults={
            "name": definition["name"],
            "entry_rule": definition["entry_rule"],
            "entry_days": definition["entry_days"],
            "exit_on_return": definition.get("exit_on_return", False),
        },
    )
    for step_definition in definition["steps"]:
        step, _ = Step.objects.update_or_create(
            journey=journey,
            position=step_definition["position"],
            defaults={"name": step_definition["name"], "wait_days": step_definition["wait_days"]},
        )
        for variant in step_definition["variants"]:
            Variant.objects.update_or_create(
                step=step,
                segment=variant.get("segment", ""),
                defaults={
                    "subject": variant["subject"],
                    "preheader": variant.get("preheader", ""),
                    "body": variant["body"].strip(),
                    "with_reading_tips": variant.get("with_reading_tips", False),
                },
            )
    return journey


def install_standard_journeys(library: Library) -> list[Journey]:
    folder = resources.files("patronflow.journeys") / "standard"
    return [
        install_journey(library, tomllib.loads((folder / f"{key}.toml").read_text("utf-8")))
        for key in STANDARD_JOURNEYS
    ]
