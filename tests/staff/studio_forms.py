"""The journey editor's form as a browser would submit it: every field's value read from the
page, changed where a test says so, posted with the button the test presses."""

import re
from html.parser import HTMLParser

from django.test import Client
from django.urls import reverse


class _Fields(HTMLParser):
    """The names and values a browser submits from the page's `form.studio`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "form" and "studio" in (attributes.get("class") or ""):
            self._in_form = True
        if not self._in_form:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attributes:
                    self.fields.append((name, attributes.get("value", "on")))
            elif kind not in ("submit", "button"):
                self.fields.append((name, attributes.get("value") or ""))
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select:
            self._options.append((attributes.get("value", ""), "selected" in attributes))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select" and self._select:
            chosen = [value for value, selected in self._options if selected]
            self.fields.append((self._select, (chosen or [v for v, _ in self._options] or [""])[0]))
            self._select = None
        elif tag == "textarea" and self._textarea:
            # A browser drops the one newline that follows <textarea>.
            self.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None


def fields_of(page: str) -> dict[str, list[str]]:
    parser = _Fields()
    parser.feed(page)
    fields: dict[str, list[str]] = {}
    for name, value in parser.fields:
        fields.setdefault(name, []).append(value)
    return fields


class Editor:
    """One editor page in a test: its current fields, and a press of one of its buttons."""

    def __init__(self, client: Client, url: str) -> None:
        self.client = client
        self.url = url
        self.response = client.get(url)
        assert self.response.status_code == 200
        self.fields = fields_of(self.page)

    @property
    def page(self) -> str:
        return self.response.content.decode()

    def set(self, **values: object) -> "Editor":
        """Type into fields: `step0_name="Hi"` is the field step-0-name (a list: several
        values, as checkboxes send)."""
        for name, value in values.items():
            field = _field_name(name)
            self.fields[field] = (
                [str(v) for v in value] if isinstance(value, list) else [str(value)]
            )
        return self

    def press(self, action: str, **extra: str) -> "Editor":
        """Press a button: the page it answers with becomes the editor's page (a redirect
        after saving is followed)."""
        data = {**self.fields, "action": action, **extra}
        self.response = self.client.post(self.url, data, follow=True)
        assert self.response.status_code == 200
        self.fields = fields_of(self.page)
        return self

    @property
    def context_editor(self):
        return self.response.context["editor"]


def _field_name(name: str) -> str:
    """Keyword names for the editor's fields: step0_name → step-0-name,
    step0_variant1_subject → step-0-variant-1-subject; others as they are."""
    match = re.fullmatch(r"step(\d+)_(?:variant(\d+)_)?(\w+)", name)
    if match is None:
        return name
    step, variant, field = match.groups()
    if variant is None:
        return f"step-{step}-{field}"
    return f"step-{step}-variant-{variant}-{field}"


def editor_url(name: str, *args: object, query: str = "") -> str:
    return reverse(f"staff:{name}", args=args) + (f"?{query}" if query else "")
