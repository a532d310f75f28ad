"""The staff preview: the home page with draft rules and notices, for staff only.

A separate URL rather than a switch on the public pages, so that those stay
cookie-free and cacheable: nothing here reads or sets anything the public
pages look at. The answer is private and never cached.
"""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from recognition.snapshot import current_rules
from recognition.views import render_home


@require_safe
@never_cache
@staff_member_required
def preview(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("recognition.view_recognitionrule"):  # as the admin asks (staff in no group)
        raise PermissionDenied
    response = render_home(request, current_rules(include_drafts=True), preview=True)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
