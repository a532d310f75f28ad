"""The staff preview: the home page with draft rules and notices, for staff only.

A separate URL rather than a switch on the public pages, so that those stay
cookie-free and cacheable: nothing here reads or sets anything the public
pages look at. The answer is private and never cached.

Still to do (issue 8): the preview should cover the notice pages, the matrix
and the certificate pages as well as the home page. Those views do not take a
rule book yet (recognition/views.py is being reworked for notices over time);
once they do, each gets a URL here beside this one (/preview/notices/<slug>/,
/preview/matrix/, /preview/certificates/<slug>/), rendered with
`current_rules(include_drafts=True)` and `preview=True`, and the admin's
"在网站上预览" links point to the page that shows the row being edited.
"""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from recognition.snapshot import current_rules
from recognition.views import render_home


@require_safe
@never_cache
@staff_member_required
def preview(request: HttpRequest) -> HttpResponse:
    response = render_home(request, current_rules(include_drafts=True), preview=True)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
