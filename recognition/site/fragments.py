"""Parts of a page rendered once and kept: the cards of a results page, the rules on the routes and
certificate pages, the pickers' choices, and the parts many cards share (conditions, next steps:
`kept()` in the Jinja2 templates, recognition.site.jinja).

In a rule book of thousands of rules a results page holds dozens of cards,
and each costs about half a millisecond to render. A card is the same on every
page that shows it: its presenter object (guide.Card) holds everything its
template reads, so equal cards render to equal HTML. The same holds for a rule
shown as a step of a route (presenters.RuleView). Each is kept keyed on the
object itself (and the address prefix its links are made with): a lookup
compares the whole object, never a digest of it. Bounded in bytes
(FRAGMENT_CACHE_MB).
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.template import engines
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe

from recognition.http.memo import bounded_by_bytes
from recognition.rules.book import CertificateInfo, RuleBook
from recognition.site import guide
from recognition.site.presenters import RuleView


def kept_bytes(key: tuple[str, str, str, object], html: str) -> int:
    """What a kept part holds: its HTML, and the objects of its key that the rule book does not hold already.

    Those objects hold at most 1.42 times the HTML's bytes (a conditions list; a card about half, 0.67 at most),
    measured object by object over 1,943 parts of world M's pages: counted as 1.5 times. Counting them by their
    repr instead cost a fifth of rendering a card.
    """
    return int(sys.getsizeof(html) * 2.5)


@bounded_by_bytes(lambda: int(settings.FRAGMENT_CACHE_MB * 1024 * 1024), size=kept_bytes)
def kept_fragments(key: tuple[str, str, str, object]) -> SafeString:
    _prefix, template, name, shown = key
    return render_part(template, {name: shown})


def render_part(template: str, context: dict) -> SafeString:
    return mark_safe(engines["jinja2"].env.get_template(template).render(context))


def fragment(template: str, name: str, shown: object) -> SafeString:
    """`template` rendered with `shown` as `name`, and nothing else: it must read nothing else.

    The prefix is in the key: the links are reversed under it, and a request may bring another (SCRIPT_NAME).
    """
    return kept_fragments((get_script_prefix(), template, name, shown))


def card_html(card: guide.Card) -> SafeString:
    return fragment("_card.html", "card", card)


def rule_html(view: RuleView) -> SafeString:
    return fragment("_recognition.html", "view", view)


def choices(template: str, book: RuleBook, certificates, chosen: str | tuple[str, ...] | None) -> SafeString:
    """Each certificate's choice (`template`: a checkbox or a radio button), ticked for those `chosen`."""
    picked = {chosen} if isinstance(chosen, str) else set(chosen or ())
    return mark_safe("".join(choice(template, book, cert, cert.slug in picked) for cert in certificates))


def choice(template: str, book: RuleBook, cert: CertificateInfo, checked: bool) -> str:
    key = ("choice", template, cert.slug, checked)
    return book.keep(key, lambda: render_part(template, {"cert": cert, "checked": checked}))


def region_options(book: RuleBook, region: str | None) -> str:
    """The region picker's options, `region` selected: once per book and region (the book's own codes only)."""
    context = {"provinces": book.provinces.values(), "region": region}
    return book.keep(("region-options", region), lambda: render_part("_region_options.html", context))
