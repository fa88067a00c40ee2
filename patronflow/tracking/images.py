"""Mail images, served to mail programs without a login: the random key in the address is
the only way to one (mail/images.py), so counting through ids finds nothing. An image's
bytes under a key never change, so mail programs and their proxies may keep them for a year."""

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseNotModified
from django.views.decorators.http import require_safe

from patronflow.mail.images import CONTENT_TYPES, EXTENSIONS
from patronflow.mail.models import MailImage

CACHE_CONTROL = "public, max-age=31536000, immutable"


@require_safe
def image(request: HttpRequest, key: str, extension: str, rendition: str = "") -> HttpResponse:
    thumbnail = rendition == "-thumb"
    found = (
        MailImage.objects.filter(key=key)
        .only("format", "thumbnail" if thumbnail else "data")
        .first()
    )
    if found is None or EXTENSIONS[found.format] != extension:
        return HttpResponseNotFound(headers={"X-Content-Type-Options": "nosniff"})
    etag = f'"{key}{rendition}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        body = bytes(found.thumbnail if thumbnail else found.data)
        response = HttpResponse(body, content_type=CONTENT_TYPES[found.format])
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
