"""The Jinja2 environment of the public pages (templates/jinja2/): each page, and the parts a results page repeats
dozens of times (cards, rules, conditions and next steps), rendered once and kept by recognition.site.fragments.

Django's engine took about half a millisecond a card, and a millisecond or more for the page around the cards: most
of a fresh page. Jinja2 compiles a template to Python and renders the same HTML several times faster. The templates
compose no words: the sentences come from the presenters. A page's HTMX part is one of its blocks (`render_page`).
The staff admin and the pages that must render when the database is down stay Django templates (templates/).
"""

from functools import lru_cache

from django.template.defaultfilters import date
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from jinja2 import Environment, StrictUndefined

from recognition.site import fragments, presenters


def url(name: str, *args) -> str:
    return reversed_url(get_script_prefix(), name, args)


# The templates reverse the book's own slugs only, never what a client sends: bounded by the book.
@lru_cache(maxsize=8192)
def reversed_url(_prefix: str, name: str, args: tuple) -> str:
    return reverse(name, args=args)


def kept(template: str, **shown) -> str:
    """`template` rendered with one object, once per distinct object: for the parts many cards share."""
    ((name, value),) = shown.items()
    return fragments.fragment(template, name, value)


def environment(**options) -> Environment:
    # A name the object lacks is an error, not an empty string: the words tests would not see a blank.
    env = Environment(**{**options, "undefined": StrictUndefined})
    env.globals.update(
        url=url,
        static=static,
        kept=kept,
        card_html=fragments.card_html,
        rule_html=fragments.rule_html,
        picker_choices=fragments.choices,
        region_options=fragments.region_options,
        region_hint=presenters.region_hint,
    )
    env.filters["date"] = date  # Django's own: the same formats as every other page
    return env
