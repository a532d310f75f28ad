"""django-csp's middleware, with the policy from the settings built once; the security headers on every response.

django-csp 4 rebuilds the Content-Security-Policy header from the settings on
every response, which costs about a quarter of a page served from the cache
(recognition.http.conditional). The settings do not change while the process runs, so
this builds each header once. A response with a policy of its own (django-csp's
decorators) or a request that asked for a nonce goes through the library's
code unchanged.
"""

from __future__ import annotations

from functools import cache

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django_permissions_policy import PermissionsPolicyMiddleware

PER_RESPONSE = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")


@cache
def policies() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(header, value, excluded path prefixes) for the policy and the report-only policy."""
    result = []
    for header, name, report_only in (
        (HEADER, "CONTENT_SECURITY_POLICY", False),
        (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", True),
    ):
        value = build_policy(report_only=report_only)
        prefixes = tuple((getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ())
        result.append((header, value, prefixes))
    return tuple(result)


@receiver(setting_changed)
def forget_policies(setting: str, **kwargs) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY") or setting == "DEBUG":
        policies.cache_clear()


class CSPMiddleware(LibraryCSPMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(getattr(response, name, None) is not None for name in PER_RESPONSE)
            or (settings.DEBUG and response.status_code in (404, 500))
        ):
            return super().process_response(request, response)
        for (header, value, prefixes), exempt in zip(policies(), ("_csp_exempt", "_csp_exempt_ro"), strict=True):
            if (
                value
                and header not in response
                and not getattr(response, exempt, False)
                and not request.path_info.startswith(prefixes)
            ):
                response[header] = value
        # As the library does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


@cache
def permissions_policy() -> str:
    return PermissionsPolicyMiddleware.compute_header_value(
        getattr(settings, "PERMISSIONS_POLICY", {}), name="PERMISSIONS_POLICY"
    )


@receiver(setting_changed)
def forget_permissions_policy(setting: str, **kwargs) -> None:
    if setting == "PERMISSIONS_POLICY":
        permissions_policy.cache_clear()


class SecurityHeadersMiddleware:
    """The headers the inner middleware add, on every response, errors included.

    Put it first. A response made before the CSP, Permissions-Policy and
    clickjacking middleware ran never passes through them: the 400 of a Host
    not in ALLOWED_HOSTS (refused by the answer store or CommonMiddleware), a
    refused body, the 503 of a database that cannot be reached. This adds each
    of their headers that such a response lacks, as they would have. Every
    other response already has them, and costs three look-ups.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.csp = CSPMiddleware(get_response)
        self.frames = XFrameOptionsMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if HEADER not in response:
            response = self.csp.process_response(request, response)
        if "Permissions-Policy" not in response and (value := permissions_policy()):
            response["Permissions-Policy"] = value
        if "X-Frame-Options" not in response:
            response = self.frames.process_response(request, response)
        return response
