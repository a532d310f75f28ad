"""Random query strings, headers and form posts at every public URL and the API: never a server error.

Bounded to 1,200 requests (under 10 seconds on two cores); set
FUZZ_EXAMPLES to explore more. In CI the examples are derandomised, so a run
there is reproducible; locally each run explores new ones. No example database
is written (nothing on disk).
"""

import os
from urllib.parse import quote, unquote_to_bytes

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

SLUGS = [
    "low-voltage-electrician",
    "high-voltage-electrician",
    "building-electrician",
    "fusion-welding-cutting",
    "building-welder",
    "special-equipment-welder",
]
PATHS = [
    "/",
    "/routes/",
    "/matrix/",
    "/matrix.csv",
    "/notice/",
    "/notices/",
    "/notices/rstf-2026-1/",
    "/api/",
    "/certificates/",
    *[f"/certificates/{slug}/" for slug in SLUGS],
    "/api/v1/lookup",
    "/api/v1/routes",
    "/api/v1/matrix",
    "/healthz",
]
PARAMS = ["held", "target", "region", "held[]", "page", "format", "q", ""]
MARKER = "<x-fuzz>"  # if it comes back unescaped in HTML, input reached a page raw

fuzz = hypothesis_settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "400")),
    deadline=None,
    database=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

latin1_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=120)
values = st.one_of(
    st.sampled_from([*SLUGS, "11", "65", "66", "99", "", " ", "true", MARKER]),
    st.text(max_size=80),
    st.text(max_size=20).map(lambda text: MARKER + text),
)


@st.composite
def query_strings(draw) -> str:
    pairs = draw(st.lists(st.tuples(st.one_of(st.sampled_from(PARAMS), st.text(max_size=10)), values), max_size=8))
    encoded = "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in pairs)
    raw = draw(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=60))
    junk_bytes = "".join(f"%{byte:02X}" for byte in draw(st.binary(max_size=12)))
    return draw(st.sampled_from([encoded, raw, junk_bytes, f"{encoded}&{raw}{junk_bytes}"]))


paths = st.one_of(
    st.sampled_from(PATHS),
    st.from_regex(r"/certificates/[-a-zA-Z0-9_]{0,70}/", fullmatch=True),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="?#"), max_size=40).map(
        lambda text: "/" + text
    ),
)

headers = st.dictionaries(
    st.sampled_from(
        [
            "HX-Request",
            "HX-History-Restore-Request",
            "HX-Current-URL",
            "HX-Target",
            "HX-Trigger",
            "Accept",
            "Accept-Language",
            "Accept-Encoding",
            "If-None-Match",
            "If-Match",
            "If-Modified-Since",
            "Cookie",
            "Referer",
            "User-Agent",
            "X-Forwarded-For",
            "X-Forwarded-Proto",
            "X-Requested-With",
            "Range",
            "Host",
        ]
    ),
    st.one_of(st.sampled_from(["true", "false", "", "*", '"x"', "testserver", "https"]), latin1_text),
    max_size=6,
)


# One client each for the whole run: a new one would load the middleware (and
# whitenoise would scan the static files) again for every example.
CLIENTS = {False: Client(), True: Client(enforce_csrf_checks=True)}


def client(enforce_csrf: bool = False) -> Client:
    client = CLIENTS[enforce_csrf]
    client.cookies.clear()
    return client


def check(response) -> None:
    assert response.status_code < 500, response.status_code
    if response.get("Content-Type", "").startswith("text/html") and not response.streaming:
        assert MARKER not in response.content.decode("utf-8", "replace"), "user input reached HTML unescaped"


@pytest.mark.django_db
@fuzz
@given(path=paths, query=query_strings())
def test_random_query_strings_never_cause_a_server_error(path, query):
    # The path as a server hands it over (decoded, as Django's test client does), not through the client's
    # URL parser, which reads a path starting with // (such as "//[") as a host.
    path_info = unquote_to_bytes(path).decode("iso-8859-1")
    check(client().generic("GET", "/", QUERY_STRING=query, PATH_INFO=path_info))


@pytest.mark.django_db
@fuzz
@given(path=st.sampled_from(PATHS), query=query_strings(), extra=headers)
def test_random_headers_never_cause_a_server_error(path, query, extra):
    check(client().generic("GET", path, QUERY_STRING=query, headers=extra))


@pytest.mark.django_db
@fuzz
@given(
    path=st.sampled_from(PATHS),
    method=st.sampled_from(["POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
    form=st.dictionaries(st.one_of(st.sampled_from(PARAMS + ["csrfmiddlewaretoken"]), st.text(max_size=10)), values),
    enforce_csrf=st.booleans(),
    extra=headers,
)
def test_random_form_posts_never_cause_a_server_error(path, method, form, enforce_csrf, extra):
    response = client(enforce_csrf).generic(
        method,
        path,
        data="&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in form.items()),
        content_type="application/x-www-form-urlencoded",
        headers=extra,
    )
    check(response)
    assert response.status_code in {400, 403, 405}, response.status_code
