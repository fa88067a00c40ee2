"""Uploads to the staff screens (the import screen's CSV file), bounded on disk."""

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler


class BoundedUpload(TemporaryFileUploadHandler):
    """Streams a request's files to temporary files, storing at most
    settings.STAFF_UPLOAD_MAX_BYTES of them and counting, not keeping, the rest.

    Django reads a request's files before any view runs (the CSRF check reads the form), so
    an upload of any size, even before logging in, would otherwise fill the disk. The file
    keeps its real size: the import form refuses it with a message.
    """

    def __init__(self, request=None) -> None:
        super().__init__(request)
        self.stored = 0  # of all the request's files

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        room = max(settings.STAFF_UPLOAD_MAX_BYTES - self.stored, 0)
        kept = raw_data[:room]
        self.stored += len(kept)
        self.file.write(kept)
