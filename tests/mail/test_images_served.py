"""A mail's images come from patronflow itself, to any mail program, without a login."""

import urllib.error
import urllib.request
from io import BytesIO
from urllib.parse import urlsplit

import pytest
from PIL import Image

from patronflow.mail.images import store_image, thumbnail_path, urls_for
from tests.factories import LibraryFactory
from tests.mail.test_images import picture
from tests.tracking.test_serve import serving


def stored(library=None, content: bytes | None = None):
    image, _new = store_image(
        library=library or LibraryFactory(),
        content=content or picture((1600, 900), "JPEG"),
        name="reading.jpg",
        alt="Reading",
        created_by=None,
    )
    return image


def path_of(image) -> str:
    return urlsplit(urls_for(image.library, [image.pk])[image.pk].url).path


@pytest.mark.django_db
def test_an_image_is_served_with_its_type_and_kept_for_a_year(client):
    image = stored()

    response = client.get(path_of(image))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in response["Cache-Control"]
    assert "public" in response["Cache-Control"]
    assert Image.open(BytesIO(response.content)).size == (1200, 675)
    assert "Set-Cookie" not in response


@pytest.mark.django_db
def test_a_mail_program_that_has_the_image_gets_304(client):
    image = stored()
    first = client.get(path_of(image))

    again = client.get(path_of(image), headers={"If-None-Match": first["ETag"]})

    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.django_db
def test_the_thumbnail_is_served_too(client):
    response = client.get(thumbnail_path(stored()))

    assert response.status_code == 200
    assert max(Image.open(BytesIO(response.content)).size) == 320


@pytest.mark.django_db
def test_an_unknown_or_deleted_image_is_404(client):
    image = stored()
    path = path_of(image)
    image.delete()

    assert client.get(path).status_code == 404
    assert client.get("/t/i/AAAAAAAAAAAAAAAAAAAAAAAA.jpg").status_code == 404
    assert client.get(path.replace(".jpg", ".png")).status_code == 404


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_patronflow_serve_serves_an_image_over_http(tmp_path):
    image = stored(content=picture((300, 100), "PNG"))
    with serving(tmp_path) as base_url:
        with urllib.request.urlopen(base_url + path_of(image), timeout=10) as response:
            body = response.read()
            headers = response.headers
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{base_url}/t/i/{'B' * 24}.png", timeout=10)

    assert headers["Content-Type"] == "image/png"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["ETag"]
    assert Image.open(BytesIO(body)).size == (300, 100)
    assert missing.value.code == 404
