"""The open-data API may be read by other sites' pages.

Its answers are public and the same for everyone (they read no cookie and
carry no credential), so a GET or HEAD to /api/v1/ says
`Access-Control-Allow-Origin: *`, without `Allow-Credentials`: a browser
then lets any page read them, never with the visitor's cookies. Nothing else
gets the header: the pages, the admin and the staff preview stay same-origin.
The middleware sits inside the answer store, so the header is kept with each
answer and served again with it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

API_PREFIX = "/api/v1/"


class PublicAPICorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method in ("GET", "HEAD") and request.path_info.startswith(API_PREFIX):
            response["Access-Control-Allow-Origin"] = "*"
        return response
