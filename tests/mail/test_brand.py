"""Every mail wears its library's brand kit, and the network's where the library set nothing."""

import re

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from patronflow.mail.brand import brand_for, kit_of, network_brand, save_kit
from patronflow.mail.models import BrandKit
from patronflow.mail.rendering import CONTENT_WIDTH, render_mail
from patronflow.members.models import Library, Member
from patronflow.templating.blocks import to_template
from tests.factories import LibraryFactory
from tests.mail.test_images import picture, upload

pytestmark = pytest.mark.django_db


def dress(library, **values):
    """Save the library's kit (the network's for None) as the brand screen does."""
    kit = kit_of(library)
    fields = {"logo": None, "logo_url": "", "colour": "", "button_colour": "", "footer": ""}
    save_kit(kit, **(fields | values), updated_by=None)
    return kit


def mail_of(library, blocks: list | None = None) -> str:
    member = Member(library=library, first_name="Amélie", email="amelie@example.org")
    blocks = blocks or [
        {
            "type": "paragraph",
            "html": "Hallo {{ first_name }}, <a href='https://gent.be/x'>kijk</a>",
        }
    ]
    return render_mail(
        message_id=1,
        member=member,
        library=Library.objects.get(pk=library.pk),  # as a batch loads it
        subject="Hallo",
        preheader="",
        body=to_template(blocks),
        reading_tips=[],
    ).html


def band_style(html: str) -> str:
    return re.search(r'<td class="band" style="([^"]*)"', html)[1]


def logo_row_style(html: str) -> str:
    return re.search(r'<td class="logo" style="([^"]*)"', html)[1]


def test_a_library_without_a_kit_wears_the_default_brand():
    brand = brand_for(LibraryFactory())

    assert (brand.colour, brand.on_colour, brand.logo_url, brand.footer_lines) == (
        "#1f5f8b",
        "#ffffff",
        "",
        (),
    )
    assert "background-color: #1f5f8b" in band_style(mail_of(LibraryFactory()))


def test_the_librarys_kit_changes_its_mails_colours_logo_buttons_and_footer():
    library = LibraryFactory()
    logo = upload(library, picture((400, 100)), alt="Bibliotheek Gent")
    photo = upload(library, picture((1600, 800), "JPEG"), alt="De leeszaal")
    dress(
        library,
        colour="#B3261E",
        button_colour="#0b3d2e",
        logo=logo,
        footer="Kouter 1, Gent\n\nOpen ma-za 10-18",
    )

    html = mail_of(
        library,
        [
            {"type": "button", "text": "Kom langs", "url": "https://gent.be/agenda"},
            {"type": "image", "image": photo.pk, "alt": "De leeszaal"},
        ],
    )

    assert "#b3261e" in logo_row_style(html)
    assert len(re.findall(rf"<img [^>]*/t/i/{logo.key}\.png", html)) == 1
    [photo_tag] = re.findall(rf"<img [^>]*/t/i/{photo.key}\.jpg[^>]*>", html)
    # As wide as the mail's content column, twice as many pixels behind it (1200 x 600).
    assert f'width="{CONTENT_WIDTH}" height="{CONTENT_WIDTH // 2}"' in photo_tag
    assert re.search(r'<td class="button-cell"[^>]*bgcolor="#0b3d2e"', html)
    assert "Kouter 1, Gent<br>Open ma-za 10-18" in html


def test_a_light_colour_gets_dark_text_and_a_button_its_own_readable_text():
    library = LibraryFactory()
    dress(library, colour="#ffd54f", button_colour="#0b3d2e")

    brand = brand_for(library)

    assert (brand.on_colour, brand.link) == ("#1f2a30", "#1f2a30")
    assert (brand.button, brand.on_button) == ("#0b3d2e", "#ffffff")


def test_the_network_default_applies_where_a_library_has_set_nothing():
    own, bare = LibraryFactory(), LibraryFactory()
    network_logo = upload(None, picture((300, 90), colour=(9, 9, 9)), alt="Bibliotheeknetwerk")
    dress(None, colour="#5b2a86", logo=network_logo, footer="Bibliotheeknetwerk Vlaanderen")
    dress(own, colour="#b3261e")

    mine, network = brand_for(own), brand_for(bare)

    assert (mine.colour, mine.footer_lines) == ("#b3261e", ("Bibliotheeknetwerk Vlaanderen",))
    assert mine.logo_url.endswith(f"{network_logo.key}.png")
    assert mine.logo_alt == "Bibliotheeknetwerk"
    assert (network.colour, network.logo_url) == ("#5b2a86", mine.logo_url)
    assert network_brand() == network
    assert "#5b2a86" in logo_row_style(mail_of(bare))


def test_a_batch_reads_a_librarys_kits_once():
    library = Library.objects.get(pk=LibraryFactory().pk)
    dress(library, colour="#b3261e")

    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            brand_for(library)

    assert len(queries) == 1


def test_a_saved_kit_is_worn_at_once_by_the_library_it_was_saved_for():
    library = LibraryFactory()
    assert brand_for(library).colour == "#1f5f8b"

    dress(library, colour="#b3261e")

    assert brand_for(library).colour == "#b3261e"


@pytest.mark.django_db(transaction=True)
def test_moving_the_brand_into_kits_keeps_every_librarys_colour_and_logo():
    """What the library settings had (brand colour, logo on the library's own site) is what
    its mails wear after the move; a library on the old default colour follows the network."""
    before = [("members", "0008_member_last_loan_on"), ("mail", "0009_mail_image")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("members", "Library")
        coloured = old.objects.create(
            code="gent", name="Gent", brand_colour="#B3261E", logo_url="https://gent.be/logo.png"
        )
        plain = old.objects.create(code="brugge", name="Brugge", brand_colour="#1f5f8b")
    finally:  # the tests after this one find the database as it is now
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    worn = brand_for(Library.objects.get(pk=coloured.pk))
    assert (worn.colour, worn.logo_url) == ("#b3261e", "https://gent.be/logo.png")
    assert not BrandKit.objects.filter(library_id=plain.pk).exists()
    plain_worn = brand_for(Library.objects.get(pk=plain.pk))
    assert (plain_worn.colour, plain_worn.logo_url) == ("#1f5f8b", "")


@pytest.mark.django_db(transaction=True)
def test_rolling_the_brand_kits_back_gives_every_library_the_colour_and_logo_it_wore():
    """Rolled back to before the kits, each library's settings hold what its mails wore: its
    own kit's colour and logo (an uploaded logo at its address), else the network's, else the
    old default colour; migrated forward again, the mails wear the same."""
    coloured = LibraryFactory(code="gent")
    dress(coloured, colour="#b3261e", logo_url="https://gent.be/logo.png")
    uploaded = LibraryFactory(code="aalst")
    logo = upload(uploaded, picture((400, 100)), alt="Bib Aalst")
    dress(uploaded, logo=logo)
    plain = LibraryFactory(code="brugge")
    BrandKit.objects.create(library=None, colour="#0b6e4f")
    worn_before = {
        library.pk: brand_for(Library.objects.get(pk=library.pk))
        for library in (coloured, uploaded, plain)
    }
    before = [("members", "0008_member_last_loan_on"), ("mail", "0009_mail_image")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("members", "Library")
        settings_then = {
            library.pk: (library.brand_colour, library.logo_url) for library in old.objects.all()
        }
        images_then = executor.loader.project_state(before).apps.get_model("mail", "MailImage")
        assert images_then.objects.filter(pk=logo.pk).exists()
    finally:  # the tests after this one find the database as it is now
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert settings_then[coloured.pk] == ("#b3261e", "https://gent.be/logo.png")
    assert settings_then[uploaded.pk] == ("#0b6e4f", worn_before[uploaded.pk].logo_url)
    assert settings_then[plain.pk] == ("#0b6e4f", "")
    worn_after = brand_for(Library.objects.get(pk=coloured.pk))
    assert (worn_after.colour, worn_after.logo_url) == ("#b3261e", "https://gent.be/logo.png")


def test_the_database_keeps_one_network_kit_and_one_kit_per_library():
    library = LibraryFactory()
    BrandKit.objects.create(library=None, colour="#111111")
    BrandKit.objects.create(library=library, colour="#222222")

    for duplicate in (None, library):
        with pytest.raises(IntegrityError), transaction.atomic():
            BrandKit.objects.create(library=duplicate, colour="#333333")
