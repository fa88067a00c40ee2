"""How a mail wears its library's brand kit: the logo, colours chosen for contrast, footer
lines. What a library has not set comes from the network's kit (set by a network admin), and
what neither has set from the defaults here."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q

from patronflow.mail.images import image_url
from patronflow.mail.models import HEX_COLOUR, BrandKit, MailImage
from patronflow.members.models import Library
from patronflow.privacy.audit import changed_values, record_change

DEFAULT_BRAND_COLOUR = "#1f5f8b"
DARK_TEXT = "#1f2a30"
MAX_FOOTER_LINES = 5
MAX_FOOTER_LINE_LENGTH = 120
# Where brand_for keeps a library object's brand: a batch of mails loads its libraries once
# (mail/services.py), so the kits are read once per library and batch, not once per mail.
_KEPT = "_mail_brand"


@dataclass(frozen=True)
class Brand:
    """How the layout wears the library's brand: the colour of the header band, a text
    colour that stays readable on it, a link colour readable on white, the buttons' colour
    and their text colour, the logo and the footer lines."""

    colour: str
    on_colour: str
    link: str
    logo_url: str
    footer_lines: tuple[str, ...] = ()
    button: str = DEFAULT_BRAND_COLOUR
    on_button: str = "#ffffff"
    # An uploaded logo's alt text (empty for a logo address: the layout says the name).
    logo_alt: str = ""


def brand_for(library: Library) -> Brand:
    """The library's brand, read once per Library object (one query for its kit and the
    network's): the next batch or request, which loads its library anew, sees a changed
    kit, and save_kit forgets the brand of the library object it is given."""
    brand = library.__dict__.get(_KEPT)
    if brand is None:
        # A library object not from the database (a sample for a check) wears only the kit
        # given with it, if any: there is nothing to read.
        kits = (_given_kit(library), None) if library._state.adding else _kits(library)
        brand = library.__dict__[_KEPT] = _brand(*kits)
    return brand


def network_brand() -> Brand:
    """The brand a library with an empty kit wears."""
    return _brand(None, BrandKit.objects.filter(library=None).select_related("logo").first())


def kit_of(library: Library | None) -> BrandKit:
    """The library's kit (the network's for None), unsaved and empty when it has none."""
    return BrandKit.objects.filter(library=library).first() or BrandKit(library=library)


def save_kit(
    kit: BrandKit,
    *,
    logo: MailImage | None,
    logo_url: str,
    colour: str,
    button_colour: str,
    footer: str,
    updated_by: AbstractBaseUser | None,
) -> None:
    """Save a kit from the brand screen's checked values, logged as `updated_by`'s change; a
    library object that has worn the old kit wears the new one from now on."""
    before = _logged(kit)
    kit.logo = logo
    kit.logo_url = logo_url
    kit.colour = colour.lower()
    kit.button_colour = button_colour.lower()
    kit.footer = "\n".join(footer_lines(footer))
    kit.updated_by = updated_by
    with transaction.atomic():
        kit.save()
        record_change(
            f"brand kit {kit.library.code if kit.library else 'of the network'}",
            changed_values(before, _logged(kit)),
            actor=updated_by,
            library_code=kit.library.code if kit.library else "",
        )
    if kit.library is not None:
        kit.library.__dict__.pop(_KEPT, None)


def _logged(kit: BrandKit) -> dict[str, str]:
    logo = f"image {kit.logo.pk} ({kit.logo.alt})" if kit.logo else ""
    return {
        "logo": logo,
        "logo_url": kit.logo_url,
        "colour": kit.colour,
        "button_colour": kit.button_colour,
        "footer": kit.footer,
    }


def footer_lines(text: str) -> tuple[str, ...]:
    """The non-empty lines of a footer, without surrounding spaces."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def readable_on(colour: str) -> str:
    """White or dark text, whichever reads better on `colour`."""
    return max(("#ffffff", DARK_TEXT), key=lambda text: _contrast(colour, text))


def _given_kit(library: Library) -> BrandKit | None:
    return library.brand_kit if Library.brand_kit.related.is_cached(library) else None


def _kits(library: Library) -> tuple[BrandKit | None, BrandKit | None]:
    kits = BrandKit.objects.filter(Q(library=library) | Q(library=None))
    kits = kits.select_related("logo")
    kits = kits.defer("logo__data", "logo__thumbnail")
    own = network = None
    for kit in kits:
        if kit.library_id is None:
            network = kit
        else:
            own = kit
    return own, network


def _brand(own: BrandKit | None, network: BrandKit | None) -> Brand:
    """The library's own setting first, then the network's, then the default. A colour goes
    into the mail's CSS, so only a checked #rrggbb is used; a logo address only over https
    (a mail client would warn about, or block, anything else)."""
    kits = [kit for kit in (own, network) if kit is not None]
    colour = next(filter(None, (_colour(kit.colour) for kit in kits)), DEFAULT_BRAND_COLOUR)
    button = next(
        filter(
            None,
            (_colour(value) for kit in kits for value in (kit.button_colour, kit.colour)),
        ),
        DEFAULT_BRAND_COLOUR,
    )
    logo, logo_alt = next(filter(None, (_logo(kit) for kit in kits)), ("", ""))
    footer = next(filter(None, (footer_lines(kit.footer) for kit in kits)), ())
    link = colour if _contrast(colour, "#ffffff") >= 4.5 else DARK_TEXT
    return Brand(
        colour=colour,
        on_colour=readable_on(colour),
        link=link,
        logo_url=logo,
        logo_alt=logo_alt,
        footer_lines=footer,
        button=button,
        on_button=readable_on(button),
    )


def is_colour(value: str) -> bool:
    """Whether `value` is a colour a kit may hold (#rrggbb), by the kit's own rule."""
    return HEX_COLOUR.regex.fullmatch(value) is not None


def _colour(value: str) -> str:
    return value.lower() if is_colour(value or "") else ""


def _logo(kit: BrandKit) -> tuple[str, str] | None:
    """The kit's logo address and alt text, if it has one to wear."""
    if kit.logo is not None:
        return image_url(kit.logo), kit.logo.alt
    return (kit.logo_url, "") if kit.logo_url.startswith("https://") else None


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
