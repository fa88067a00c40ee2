"""How a mail wears its library's brand: colours chosen for contrast, the logo, footer lines."""

import re
from dataclasses import dataclass

from patronflow.members.models import Library

DEFAULT_BRAND_COLOUR = "#1f5f8b"
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class Brand:
    """How the layout wears the library's brand: the colour of the header band, a text
    colour that stays readable on it, a link colour readable on white, and the logo."""

    colour: str
    on_colour: str
    link: str
    logo_url: str
    footer_lines: tuple[str, ...] = ()


def _luminance(colour: str) -> float:
    """Relative luminance (WCAG 2) of a #rrggbb colour."""

    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _contrast(one: str, other: str) -> float:
    lighter, darker = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def brand_for(library: Library) -> Brand:
    """The colour goes into the mail's CSS, so only a checked #rrggbb is used; the logo only
    from an https address (a mail client would warn about, or block, anything else)."""
    colour = library.brand_colour if _HEX_COLOUR.fullmatch(library.brand_colour or "") else ""
    colour = colour or DEFAULT_BRAND_COLOUR
    dark_text = "#1f2a30"
    on_colour = max(("#ffffff", dark_text), key=lambda text: _contrast(colour, text))
    link = colour if _contrast(colour, "#ffffff") >= 4.5 else dark_text
    logo = library.logo_url if (library.logo_url or "").startswith("https://") else ""
    return Brand(colour=colour.lower(), on_colour=on_colour, link=link.lower(), logo_url=logo)
