"""The admin site: Django's, in the site's words, with a login that leads only into the staff areas.

config.apps.AdminConfig makes it `admin.site`, so every `@admin.register` lands here. It lives outside
recognition.admin, whose import registers every model admin: importing it while admin.site is being made
would register them on a site that is then thrown away.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.views.i18n import JavaScriptCatalog


def in_staff_area(url: str) -> bool:
    """Whether `url` is a path inside the admin or the staff preview, as a browser would resolve it."""
    areas = (reverse("admin:index"), reverse("preview"))
    # Browsers read a backslash as a slash and drop tabs and newlines: refuse them rather than guess.
    if not url.startswith(areas) or any(ch == "\\" or ch.isspace() or not ch.isprintable() for ch in url):
        return False
    return ".." not in unquote(urlsplit(url).path).split("/")


def staff_next_only(data: QueryDict) -> QueryDict:
    """`data` without a `next` that would lead outside the staff areas."""
    if all(in_staff_area(url) for url in data.getlist(REDIRECT_FIELD_NAME)):
        return data
    data = data.copy()
    del data[REDIRECT_FIELD_NAME]
    return data


class StaffAdminSite(admin.AdminSite):
    site_header = "证书互认查询 · 规则管理"
    site_title = "证书互认查询管理"
    index_title = "规则管理"

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """After login, `next` is followed only into the admin or the staff preview (whose pages send staff
        here with next=/preview/…). Anything else, a public page, another host or scheme, lands on the admin
        home, as a login without `next` does: staff log in to work, and a link that logs them in and then
        sends them elsewhere is one an attacker could have written."""
        request.GET = staff_next_only(request.GET)
        if request.method == "POST":
            request.POST = staff_next_only(request.POST)
        return super().login(request, extra_context)

    def i18n_javascript(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """The admin's script strings, with those Django 5.2's Chinese catalog lacks (recognition/locale)."""
        return JavaScriptCatalog.as_view(packages=["django.contrib.admin", "recognition"])(request)
