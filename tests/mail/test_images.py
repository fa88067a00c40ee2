"""Images a library uploads for its mails: what is kept of an upload, what is refused, and
which library's mails can use which image."""

import os
from io import BytesIO

import pytest
from django.utils import translation
from PIL import Image

from patronflow.mail import images
from patronflow.mail.images import ImageRefused, store_image, urls_for
from patronflow.mail.models import MailImage
from tests.factories import LibraryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    """Refusals speak the staff member's language; these tests read the English."""
    with translation.override("en"):
        yield


def picture(
    size: tuple[int, int] = (800, 600),
    image_format: str = "PNG",
    mode: str = "RGB",
    colour=(200, 40, 40),
    **save,
) -> bytes:
    out = BytesIO()
    Image.new(mode, size, colour).save(out, image_format, **save)
    return out.getvalue()


def photo_with_gps_taken_sideways() -> bytes:
    """A JPEG 400 wide, 200 high as stored, whose camera says: turn it a quarter (6), with
    the place it was taken."""
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (51.0, 3.0, 0.0), 3: "E", 4: (3.0, 43.0, 0.0)}  # GPS
    return picture((400, 200), "JPEG", exif=exif.tobytes())


def upload(library, content: bytes, alt: str = "Children reading in the library", name="x.png"):
    image, _new = store_image(library=library, content=content, name=name, alt=alt, created_by=None)
    return image


def opened(data: bytes) -> Image.Image:
    return Image.open(BytesIO(bytes(data)))


def test_a_wide_image_is_kept_at_twice_the_mail_width_and_shown_at_the_mail_width():
    library = LibraryFactory()
    image = upload(library, picture((3000, 1500)))

    assert (image.width, image.height) == (1200, 600)
    assert opened(image.data).size == (1200, 600)
    assert max(opened(image.thumbnail).size) == 320
    ref = urls_for(library, [image.pk])[image.pk]
    assert (ref.width, ref.height) == (600, 300)
    assert ref.url.startswith("http") and ref.url.endswith(".png")


def test_a_small_image_is_never_enlarged():
    library = LibraryFactory()
    image = upload(library, picture((120, 40)))

    assert (image.width, image.height) == (120, 40)
    assert urls_for(library, [image.pk])[image.pk].width == 120


def test_a_photo_stays_a_jpeg_and_a_transparent_logo_a_png():
    library = LibraryFactory()
    photo = upload(library, picture((640, 480), "JPEG"))
    logo = upload(library, picture((200, 80), "PNG", mode="RGBA", colour=(0, 0, 0, 0)))

    assert photo.format == "jpeg" and opened(photo.data).format == "JPEG"
    assert urls_for(library, [photo.pk])[photo.pk].url.endswith(".jpg")
    assert logo.format == "png" and opened(logo.data).mode == "RGBA"


def test_a_gif_keeps_its_first_frame_as_a_png():
    frames = [Image.new("RGB", (100, 100), colour) for colour in ("red", "blue")]
    out = BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])

    image = upload(LibraryFactory(), out.getvalue())

    kept = opened(image.data)
    assert kept.format == "PNG" and getattr(kept, "n_frames", 1) == 1
    assert kept.convert("RGB").getpixel((50, 50)) == (255, 0, 0)


def test_a_photo_is_turned_upright_and_loses_its_exif_and_place():
    library = LibraryFactory()
    image = upload(library, photo_with_gps_taken_sideways(), name="holiday.jpg")

    kept = opened(image.data)
    assert kept.size == (200, 400)  # turned as the camera said
    assert not kept.getexif()
    assert b"PhoneMaker" not in bytes(image.data) + bytes(image.thumbnail)
    assert "exif" not in kept.info and "exif" not in opened(image.thumbnail).info


def test_a_file_that_is_not_an_image_is_refused_on_the_file():
    with pytest.raises(ImageRefused) as refused:
        upload(LibraryFactory(), b"%PDF-1.4 not a picture at all")

    assert refused.value.field == "file"
    assert "not an image" in refused.value.message
    assert not MailImage.objects.exists()


def test_a_truncated_image_is_refused():
    with pytest.raises(ImageRefused):
        upload(LibraryFactory(), picture((500, 500), "JPEG")[:300])


def test_a_file_over_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr(images, "MAX_UPLOAD_BYTES", 1024 * 1024)
    noise = BytesIO()
    Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3)).save(noise, "PNG")

    with pytest.raises(ImageRefused) as refused:
        upload(LibraryFactory(), noise.getvalue())

    assert "larger than 1 MB" in refused.value.message


def test_a_small_file_that_unpacks_into_a_huge_canvas_is_refused():
    bomb = picture((8000, 6000), "PNG", mode="1", colour=0)  # a few kB, 48 million pixels

    assert len(bomb) < 100_000
    with pytest.raises(ImageRefused) as refused:
        upload(LibraryFactory(), bomb)

    assert refused.value.field == "file"


def test_an_image_needs_alt_text():
    with pytest.raises(ImageRefused) as refused:
        upload(LibraryFactory(), picture(), alt="   ")

    assert refused.value.field == "alt"


def test_the_same_file_twice_is_one_image():
    library = LibraryFactory()
    content = picture()

    first, first_new = store_image(
        library=library, content=content, name="a.png", alt="One", created_by=None
    )
    again, again_new = store_image(
        library=library, content=content, name="b.png", alt="Two", created_by=None
    )

    assert (first_new, again_new) == (True, False)
    assert again.pk == first.pk
    assert MailImage.objects.filter(library=library).count() == 1


def test_a_full_image_library_says_so(monkeypatch):
    monkeypatch.setattr(images, "MAX_IMAGES", 2)
    library = LibraryFactory()
    upload(library, picture(colour=(1, 1, 1)))
    upload(library, picture(colour=(2, 2, 2)))

    with pytest.raises(ImageRefused) as refused:
        upload(library, picture(colour=(3, 3, 3)))

    assert "full" in refused.value.message
    assert upload(LibraryFactory(), picture(colour=(3, 3, 3)))  # another library's quota


def test_another_librarys_image_never_resolves():
    gent, brugge = LibraryFactory(code="gent"), LibraryFactory(code="brugge")
    ours = upload(gent, picture(colour=(1, 2, 3)))
    theirs = upload(brugge, picture(colour=(4, 5, 6)))
    deleted = upload(gent, picture(colour=(7, 8, 9)))
    deleted_id = deleted.pk
    deleted.delete()

    found = urls_for(gent, [ours.pk, theirs.pk, deleted_id, 999_999])

    assert set(found) == {ours.pk}


def test_the_address_does_not_follow_from_the_id():
    library = LibraryFactory()
    one = upload(library, picture(colour=(1, 1, 1)))
    two = upload(library, picture(colour=(2, 2, 2)))

    urls = urls_for(library, [one.pk, two.pk])

    names = [urls[image.pk].url.rsplit("/", 1)[1] for image in (one, two)]
    assert [len(name.split(".")[0]) for name in names] == [24, 24]  # 144 random bits each
    assert names[0][:8] != names[1][:8]


def test_a_mail_without_images_asks_the_database_nothing(django_assert_num_queries):
    library = LibraryFactory()

    with django_assert_num_queries(0):
        assert urls_for(library, []) == {}
