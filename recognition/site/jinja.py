"""The Jinja2 environment for the parts a results page repeats dozens of times: cards, rules, conditions and next
steps (templates/jinja2/, rendered through recognition.site.fragments).

Django's engine renders each card in about half a millisecond, most of a fresh page in a large rule book; Jinja2
compiles a template to Python and renders the same card several times faster. These templates read only their one
object and compose no words: the sentences come from the presenters, as on every other page.
"""

from functools import lru_cache

from django.template.defaultfilters import date
from django.urls import get_script_prefix, reverse
from jinja2 import Environment, StrictUndefined

from recognition.site import fragments


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
    env.globals.update(url=url, kept=kept)
    env.filters["date"] = date  # Django's own: the same formats as every other page
    return env
