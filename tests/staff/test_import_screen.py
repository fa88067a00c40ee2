"""The import screen: a complete membership (snapshot) that looks like the wrong file is
refused with its figures, never forced; a file over the upload limit is refused on the form."""

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from patronflow.staff.uploads import BoundedUpload
from tests.factories import MemberFactory


def upload(client, name: str, content: bytes, **fields):
    return client.post(
        reverse("staff:imports"),
        {"kind": "members", "file": SimpleUploadedFile(name, content, "text/csv"), **fields},
    )


def members_csv(ids) -> bytes:
    rows = "".join(f"{i};Lid;2020-01-01\n" for i in ids)
    return f"member_id;first_name;registered_on\n{rows}".encode()


def test_a_snapshot_that_would_end_too_many_memberships_is_refused_with_its_figures(
    staff_client, library
):
    for n in range(8):
        MemberFactory(library=library, external_id=f"G{n}")

    page = upload(
        staff_client, "leden.csv", members_csv(f"G{n}" for n in range(1, 8)), snapshot="on"
    ).content.decode()

    assert (
        "als volledig ledenbestand zou dit bestand 1 van de 8 lopende lidmaatschappen van de "
        "bibliotheek beëindigen (12,5%; hooguit 10% mag eindigen), en 7 van de 7 lidnummers "
        "erin zijn leden van deze bibliotheek (100%; minstens 50% zou dat moeten zijn)"
    ) in page
    assert not library.members.exclude(membership_ends_on=None).exists()


def test_another_librarys_snapshot_is_refused_in_english_too(staff_client, library):
    for n in range(1200):
        MemberFactory(library=library, external_id=f"G{n}")
    staff_client.post(reverse("staff:language"), {"language": "en", "next": "/staff/"})

    page = upload(
        staff_client, "brugge.csv", members_csv(f"B{n}" for n in range(3)), snapshot="on"
    ).content.decode()

    assert (
        "this file would end 1,200 of the library&#x27;s 1,200 running memberships (100%"
    ) in page
    assert "and 0 of its 3 member ids are members of this library (0%" in page
    assert library.members.count() == 1200


def test_a_snapshot_within_the_share_ends_the_memberships_it_leaves_out(staff_client, library):
    for n in range(20):
        MemberFactory(library=library, external_id=f"G{n}")

    page = upload(
        staff_client, "leden.csv", members_csv(f"G{n}" for n in range(1, 20)), snapshot="on"
    ).content.decode()

    assert "Lidmaatschappen beëindigd (niet in het bestand)</dt><dd>1</dd>" in page
    assert library.members.get(external_id="G0").membership_ends_on is not None


def test_a_file_over_the_upload_limit_is_refused_on_the_form(staff_client, library):
    row = b"M2;Lid;2020-01-01\n"
    content = members_csv(["M1"]) + row * ((settings.STAFF_UPLOAD_MAX_BYTES + 2**20) // len(row))

    page = upload(staff_client, "groot.csv", content).content.decode().replace("\xa0", " ")

    assert "Dit bestand is 51,0 MB; hooguit 50,0 MB kan worden opgeladen." in page
    assert not library.members.exists()


def test_an_upload_stores_no_more_than_the_limit_and_keeps_its_real_size():
    handler = BoundedUpload()
    handler.new_file("file", "groot.csv", "text/csv", None)
    chunk = b"x" * (1 << 20)
    chunks = settings.STAFF_UPLOAD_MAX_BYTES // len(chunk) + 5
    for number in range(chunks):
        handler.receive_data_chunk(chunk, number * len(chunk))

    stored = handler.file_complete(chunks * len(chunk))

    assert stored.size == chunks * len(chunk)
    assert len(stored.read()) == settings.STAFF_UPLOAD_MAX_BYTES
    stored.close()
