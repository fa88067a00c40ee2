"""The import screen: a complete membership (snapshot) that looks like the wrong file is
refused with its figures, never forced; a file over the upload limit is refused on the form;
the history of imports with their rejected rows to download, for this library only; the
dashboard's latest loans import and its warning when the loans look stale."""

import csv
import datetime as dt
import io
import re
import tempfile
from html import unescape
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from patronflow.operations.imports import import_and_refresh
from patronflow.operations.models import REJECTS_DAYS, ImportRecord
from patronflow.operations.purge import purge
from patronflow.privacy.models import AuditEntry
from patronflow.staff.uploads import BoundedUpload
from tests.factories import ItemFactory, MemberFactory


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


REJECTING = (
    b"member_id;first_name;email;registered_on\n"
    b"M1;Fatima;fatima@example.org;2026-05-01\n"
    b"M2;;bart@example.org;2026-05-02\n"
)


def history_rows(page: str) -> list[str]:
    table = re.search(r'data-testid="import-history">(.*?)</table>', page, re.S)
    assert table, "no history"
    return [text(row) for row in re.findall(r"<tr>(.*?)</tr>", table[1], re.S)[1:]]


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_history_shows_who_imported_which_file_with_its_counts(staff_client, library, tmp_path):
    path = tmp_path / "nachtelijk.csv"
    path.write_bytes(REJECTING.replace(b"M2;;", b"M2;Bart;"))
    import_and_refresh(library, "members", path)

    page = upload(staff_client, "leden-juni.csv", REJECTING).content.decode()

    mine, nightly = history_rows(page)
    assert mine.startswith(f"{timezone.localdate():%-d}")
    assert " an leden-juni.csv Leden 0 0 1 1 0 " in f" {mine} "
    assert "1 rij downloaden" in mine
    assert " Opdrachtregel nachtelijk.csv Leden 2 0 0 0 0 – " in f" {nightly} "


def test_rejected_rows_download_as_csv_and_the_download_is_logged(staff_client, library):
    upload(staff_client, "leden.csv", REJECTING)
    record = ImportRecord.objects.get(library=library)

    response = staff_client.post(reverse("staff:import_rejects", args=[record.pk]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="leden-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["line", "reason", "row"] and rows[1][0] == "3"
    assert "bart@example.org" in rows[1][2]
    entry = AuditEntry.objects.get(action="exported")
    assert (entry.operator, entry.library_code) == ("staff:an", "gent")
    assert entry.counts == {"operations.importrecord (rejected rows)": 1}


def test_another_librarys_rejected_rows_are_not_found(staff_client, library, other_library):
    path = Path(tempfile.mkdtemp()) / "brugge.csv"
    path.write_bytes(REJECTING)
    import_and_refresh(other_library, "members", path)
    theirs = ImportRecord.objects.get(library=other_library)

    response = staff_client.post(reverse("staff:import_rejects", args=[theirs.pk]))

    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="exported").exists()


def test_rejected_rows_the_purge_emptied_are_gone_and_the_history_says_so(staff_client, library):
    upload(staff_client, "leden.csv", REJECTING)
    record = ImportRecord.objects.get(library=library)
    ImportRecord.objects.filter(pk=record.pk).update(
        at=timezone.now() - dt.timedelta(days=REJECTS_DAYS + 1)
    )
    purge(timezone.localdate(), operator="cron")

    page = staff_client.get(reverse("staff:imports")).content.decode()
    response = staff_client.post(reverse("staff:import_rejects", args=[record.pk]))

    assert history_rows(page)[0].endswith("verwijderd")
    assert response.status_code == 404


def test_the_dashboard_shows_the_latest_loans_import_and_warns_when_loans_are_stale(
    staff_client, library
):
    member = MemberFactory(library=library, external_id="M1")
    ItemFactory(library=library, external_id="I1")
    today = timezone.localdate()
    long_ago = today - dt.timedelta(days=20)
    loans = f"loan_id;member_id;item_id;loaned_on\nL1;{member.external_id};I1;{long_ago}\n"
    upload(staff_client, "uitleningen.csv", loans.encode(), kind="loans")

    page = text(staff_client.get(reverse("staff:dashboard")).content.decode())

    assert f"Laatste import van uitleningen: {today:%-d}" in page
    assert "De uitleningen lijken verouderd: de nieuwste uitlening is van" in page
    assert "geen uitleningen geïmporteerd in de laatste" not in page

    ImportRecord.objects.update(at=timezone.now() - dt.timedelta(days=5))
    page = text(staff_client.get(reverse("staff:dashboard")).content.decode())
    assert "geen uitleningen geïmporteerd in de laatste 3 dagen" in page
