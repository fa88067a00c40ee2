"""A library's images for its mails: checked, cleaned and resized on upload, kept in the
database and served by patronflow itself (tracking/images.py) at an address no one can guess.

An upload is opened with Pillow, refused when it is not an image, too big or a decompression
bomb, turned the way its camera meant (EXIF orientation) and then re-encoded from its pixels
alone: EXIF (GPS position, camera, owner), comments and colour profiles are not carried over.
A JPEG stays a JPEG (photos); everything else becomes a PNG (logos, drawings, transparency).
A GIF keeps its first frame only: animation shows in few mail programs, and a still keeps a
mail small. Two renditions are kept: the mail's, up to MAIL_WIDTH * 2 pixels wide so that it
is sharp on phones while the mail shows it at most MAIL_WIDTH wide, and a thumbnail for the
staff's image library.
"""

import hashlib
import re
import secrets
import warnings
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from PIL import Image, ImageOps, UnidentifiedImageError

from patronflow.journeys.definitions import InvalidJourney
from patronflow.journeys.models import Variant
from patronflow.mail.models import MailImage
from patronflow.members.models import Library
from patronflow.privacy.audit import Actor, record_change
from patronflow.templating.blocks import Path, Problem

# The width a mail's layout gives an image (its content column); the file has twice as many
# pixels where the upload had them.
MAIL_WIDTH = 600
MAIL_BOX = (MAIL_WIDTH * 2, MAIL_WIDTH * 6)
THUMBNAIL_BOX = (320, 320)
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Pixels Pillow may decode: a small file claiming a huge canvas (a decompression bomb) would
# otherwise take the web process's memory.
MAX_PIXELS = 40_000_000
# Per library: enough for years of mails, not a photo archive.
MAX_IMAGES = 200
MAX_LIBRARY_BYTES = 100 * 1024 * 1024
ACCEPTED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
JPEG_QUALITY = 85
ALT_MAX_LENGTH = MailImage._meta.get_field("alt").max_length
CONTENT_TYPES = {MailImage.Format.PNG: "image/png", MailImage.Format.JPEG: "image/jpeg"}
EXTENSIONS = {MailImage.Format.PNG: "png", MailImage.Format.JPEG: "jpg"}
ALT_REQUIRED = _("Describe the image for people who cannot see it (alt text).")
NOT_THE_LIBRARYS = gettext_noop(
    "This image is not one of the library's images (deleted, or another library's): "
    "choose one of its own."
)
# An image in a mail's content, whether an image block wrote it or an HTML block holds it.
_SHOWN = re.compile(r'<pf-image image="([0-9]+)"')


@dataclass(frozen=True)
class ImageRef:
    """What a mail's <img> needs of the image: the address and the size the mail shows it at
    (the alt text is the block's own)."""

    url: str
    width: int
    height: int


class ImageRefused(Exception):
    """Why an upload is not stored, for the form field it is about ('file' or 'alt')."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ImageUse:
    """A mail that shows the image: a journey's or broadcast's step, for one segment."""

    journey_id: int
    journey_name: str
    step_position: int
    step_name: str
    segment: str


@dataclass(frozen=True)
class _Rendition:
    data: bytes
    width: int
    height: int


def urls_for(library: Library, ids: Collection[int]) -> dict[int, ImageRef]:
    """The library's images among `ids`, by id; another library's, a network image or a
    deleted one is simply absent (the mail leaves it out). No ids: no query."""
    if not ids or library.pk is None:
        return {}
    found = (
        MailImage.objects.filter(library_id=library.pk, pk__in=list(ids))
        .only("pk", "key", "format", "width", "height", "alt")
        .order_by()
    )
    return {image.pk: image_ref(image) for image in found}


def image_problems(blocks: Any, *, library: Library) -> list[Problem]:
    """The blocks (in columns too) showing an image that is not one of the library's: one
    deleted, another library's, or the network's. A mail would leave it out without a word
    (urls_for), so saving is refused, on the block's image field (an HTML block's HTML)."""
    shown = list(_shown_images(blocks, ()))
    if not shown:
        return []
    own = set(
        MailImage.objects.filter(library_id=library.pk, pk__in={pk for _path, pk in shown})
        .order_by()
        .values_list("pk", flat=True)
    )
    refused = dict.fromkeys(path for path, pk in shown if pk not in own)
    return [Problem(path, NOT_THE_LIBRARYS) for path in refused]


def refuse_foreign_images(
    library: Library, definition: dict, *, before: dict | None = None
) -> None:
    """Raise InvalidJourney for the first mail of a journey definition (blocks, or a body of
    HTML) that shows an image not of the library's, naming the step, segment and field; an
    unreadable definition is left to install_journey to refuse. A mail as it was `before`
    (the journey's definition now) is let be: an image deleted since it was saved is no
    reason to refuse saving another mail (the delete screen named the mails showing it)."""
    kept = {
        (step_index, variant.get("segment")): _content(variant)
        for step_index, _index, variant in _variants(before)
    }
    for step_index, index, variant in _variants(definition):
        if kept.get((step_index, variant.get("segment"))) == _content(variant):
            continue
        where: Path = ("steps", step_index, "variants", index)
        body = variant.get("body")
        if body is not None or "blocks" not in variant:  # the body is what counts
            problems = image_problems([{"type": "html", "html": body}], library=library)
            field = (*where, "body")
        else:
            problems = image_problems(variant["blocks"], library=library)
            field = (*where, "blocks", *(problems[0].path if problems else ()))
        if problems:
            raise InvalidJourney(
                f"step {step_index + 1} '{variant.get('segment') or ''}': an image that is "
                f"not one of {library.code}'s images (deleted, or another library's)",
                field,
                NOT_THE_LIBRARYS,
            )


def _variants(definition: Any) -> Iterator[tuple[int, int, dict]]:
    steps = definition.get("steps") if isinstance(definition, dict) else None
    for step_index, step in enumerate(steps if isinstance(steps, list) else []):
        variants = step.get("variants") if isinstance(step, dict) else None
        for index, variant in enumerate(variants if isinstance(variants, list) else []):
            if isinstance(variant, dict):
                yield step_index, index, variant


def _content(variant: dict) -> tuple:
    return variant.get("body"), variant.get("blocks")


def _shown_images(blocks: Any, where: Path) -> Iterator[tuple[Path, int]]:
    for index, block in enumerate(blocks if isinstance(blocks, list) else []):
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        image = block.get("image")
        if kind == "image" and isinstance(image, int) and not isinstance(image, bool):
            yield (*where, index, "image"), image
        elif kind == "html":
            for found in _SHOWN.finditer(str(block.get("html") or "")):
                yield (*where, index, "html"), int(found[1])
        elif kind == "columns":
            for side in ("left", "right"):
                yield from _shown_images(block.get(side), (*where, index, side))


def image_ref(image: MailImage) -> ImageRef:
    width, height = shown_size(image)
    return ImageRef(url=image_url(image), width=width, height=height)


def shown_size(image: MailImage) -> tuple[int, int]:
    """The size a mail shows the image at: MAIL_WIDTH wide at most, never enlarged."""
    if image.width <= MAIL_WIDTH:
        return image.width, image.height
    return MAIL_WIDTH, max(1, round(image.height * MAIL_WIDTH / image.width))


def image_url(image: MailImage) -> str:
    """The mail rendition's address, at PATRONFLOW_BASE_URL like the tracking links."""
    extension = EXTENSIONS[image.format]
    return settings.BASE_URL + reverse(
        "tracking:image", kwargs={"key": image.key, "extension": extension}
    )


def thumbnail_path(image: MailImage) -> str:
    """The thumbnail's path on this server: the staff screens show it from their own origin."""
    extension = EXTENSIONS[image.format]
    return reverse(
        "tracking:image", kwargs={"key": image.key, "rendition": "-thumb", "extension": extension}
    )


def library_images(library: Library | None) -> QuerySet[MailImage]:
    """A library's images (the network's for None), newest first, without their bytes."""
    return (
        MailImage.objects.filter(library=library)
        .defer("data", "thumbnail")
        .order_by("-created_at", "-pk")
    )


def store_image(
    *,
    library: Library | None,
    content: bytes,
    name: str,
    alt: str,
    created_by: AbstractBaseUser | None,
) -> tuple[MailImage, bool]:
    """Store an upload for `library` (None: the network's); returns the image and whether it
    is new: the same file uploaded again is the image already there. Raises ImageRefused."""
    alt = " ".join(alt.split())
    if not alt:
        raise ImageRefused("alt", ALT_REQUIRED)
    if len(alt) > ALT_MAX_LENGTH:
        raise ImageRefused(
            "alt", _("Keep the alt text under %(limit)s characters.") % {"limit": ALT_MAX_LENGTH}
        )
    if len(content) > MAX_UPLOAD_BYTES:
        raise ImageRefused(
            "file",
            _("The file is larger than %(limit)s MB; make it smaller and try again.")
            % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)},
        )
    digest = hashlib.sha256(content).hexdigest()
    existing = MailImage.objects.filter(library=library, sha256=digest).defer("data").first()
    if existing is not None:
        return existing, False
    image_format, mail, thumbnail = _renditions(content)
    size = len(mail.data) + len(thumbnail.data)
    with transaction.atomic():
        if library is not None:
            # Two uploads at once must not both slip under the quota.
            Library.objects.select_for_update().filter(pk=library.pk).first()
            _check_quota(library, size)
        image = MailImage.objects.create(
            library=library,
            key=secrets.token_urlsafe(18),
            original_name=name[:255],
            alt=alt,
            format=image_format,
            width=mail.width,
            height=mail.height,
            data=mail.data,
            thumbnail=thumbnail.data,
            size=size,
            sha256=digest,
            created_by=created_by,
        )
        _log(image, {"image": (None, _described(image))}, actor=created_by)
    return image, True


def mails_using(image: MailImage) -> list[ImageUse]:
    """The library's mails (in any version) whose content shows the image: an image block
    is written into a mail's body as <pf-image image="id" …> (templating/blocks.py). A
    library has a few dozen mails, so they are read rather than searched in the database."""
    shown = re.compile(rf'<pf-image image="{image.pk}"[\s>]')
    variants = (
        Variant.objects.filter(step__version__journey__library_id=image.library_id)
        .select_related("step__version__journey")
        .order_by("step__version__journey__name", "step__position", "segment")
    )
    uses = {}
    for variant in variants:
        if shown.search(variant.body):
            step = variant.step
            journey = step.version.journey
            use = ImageUse(journey.pk, journey.name, step.position, step.name, variant.segment)
            uses.setdefault(use, None)
    return list(uses)


def delete_image(image: MailImage, *, actor: Actor) -> None:
    """Mails that showed it leave it out from now on (urls_for no longer finds it); a kit
    that wore it as its logo wears the next logo in line (mail/brand.py)."""
    with transaction.atomic():
        _log(image, {"image": (_described(image), None)}, actor=actor)
        image.delete()


def change_alt(image: MailImage, *, alt: str, actor: Actor) -> None:
    alt = " ".join(alt.split())
    if not alt:
        raise ImageRefused("alt", ALT_REQUIRED)
    with transaction.atomic():
        _log(image, {"alt": (image.alt, alt[:ALT_MAX_LENGTH])}, actor=actor)
        image.alt = alt[:ALT_MAX_LENGTH]
        image.save(update_fields=["alt"])


def _described(image: MailImage) -> str:
    return f"{image.original_name} ({image.alt})"


def _log(image: MailImage, changes: dict, *, actor: Actor) -> None:
    """In the audit log as the staff member's change, like the library's settings."""
    library = image.library
    record_change(
        f"image {image.pk}", changes, actor=actor, library_code=library.code if library else ""
    )


def _check_quota(library: Library, size: int) -> None:
    usage = MailImage.objects.filter(library=library).aggregate(
        count=Count("pk"), bytes=Sum("size")
    )
    if usage["count"] >= MAX_IMAGES:
        raise ImageRefused(
            "file",
            _(
                "Your image library is full (%(limit)s images). Delete images no mail uses "
                "any more, then upload this one."
            )
            % {"limit": MAX_IMAGES},
        )
    if (usage["bytes"] or 0) + size > MAX_LIBRARY_BYTES:
        raise ImageRefused(
            "file",
            _(
                "Your image library is full (%(limit)s MB). Delete images no mail uses any "
                "more, then upload this one."
            )
            % {"limit": MAX_LIBRARY_BYTES // (1024 * 1024)},
        )


def _renditions(content: bytes) -> tuple[str, _Rendition, _Rendition]:
    picture, image_format = _open(content)
    mail = _encode(_fitted(picture, MAIL_BOX), image_format)
    thumbnail = _encode(_fitted(picture, THUMBNAIL_BOX), image_format)
    return image_format, mail, thumbnail


def _open(content: bytes) -> tuple[Image.Image, str]:
    """The upload's pixels, upright and in RGB(A), and the format to keep them in."""
    not_an_image = ImageRefused(
        "file", _("This file is not an image patronflow can use: upload a JPEG, PNG or GIF.")
    )
    with warnings.catch_warnings():
        # Pillow warns, rather than refuses, at half its own bomb limit.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(BytesIO(content)) as probe:
                probe.verify()
            picture = Image.open(BytesIO(content))
            if picture.format not in ACCEPTED_FORMATS:
                raise not_an_image
            if picture.width * picture.height > MAX_PIXELS:
                raise ImageRefused(
                    "file",
                    _("The image has too many pixels; make it smaller and try again."),
                )
            source_format = picture.format
            picture.seek(0)
            picture.load()
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
            OSError,
            SyntaxError,
            ValueError,
        ) as error:
            raise not_an_image from error
    picture = ImageOps.exif_transpose(picture)
    transparent = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
    if source_format == "JPEG" and not transparent:
        return picture.convert("RGB"), MailImage.Format.JPEG
    return picture.convert("RGBA" if transparent else "RGB"), MailImage.Format.PNG


def _fitted(picture: Image.Image, box: tuple[int, int]) -> Image.Image:
    """A copy that fits in `box`, never enlarged, with nothing of the upload but its pixels."""
    fitted = picture.copy()
    fitted.thumbnail(box, Image.Resampling.LANCZOS)
    clean = Image.new(fitted.mode, fitted.size)
    clean.paste(fitted)
    return clean


def _encode(picture: Image.Image, image_format: str) -> _Rendition:
    out = BytesIO()
    if image_format == MailImage.Format.JPEG:
        picture.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    else:
        picture.save(out, "PNG", optimize=True)
    return _Rendition(data=out.getvalue(), width=picture.width, height=picture.height)
