"""The rejected rows of an earlier import, to download (the imports screen lists them)."""

from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from patronflow.operations.import_history import rejects_for_download
from patronflow.operations.models import ImportRecord
from patronflow.staff.access import get_scoped, staff_view


@staff_view
@require_POST
def import_rejects(request: HttpRequest, pk: int) -> HttpResponse:
    """A POST, like a member's export: no prefetch writes the audit entry it takes. Gone
    (404) once the purge emptied the rows."""
    found = get_scoped(request, ImportRecord.objects.select_related("library"), pk=pk)
    if not found.rejects:
        raise Http404
    rows = rejects_for_download(found, actor=request.user)
    name = f"{Path(found.source).stem or found.kind}-{found.at:%Y%m%d-%H%M}.rejects.csv"
    response = HttpResponse(rows, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = content_disposition_header(True, name)
    return response
