"""A Content-Security-Policy on every response: scripts and styles from our own origin only.

Django 5.2 has no CSP setting of its own (6.0 will); this is the whole of it. A view that
needs another policy (the mail preview, with the mail's inline styles) sets its own header.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
