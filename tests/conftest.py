import os

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.template import engines
from django.test.signals import template_rendered

from recognition.http import answer_store
from recognition.rules import snapshot
from recognition.site import fragments, views


@pytest.fixture(autouse=True, scope="session")
def public_pages_recorded():
    """The test client lists the templates a response rendered (`response.templates`: rendered, not served from
    the answer store), as Django's test setup does for its own engine. Public pages are Jinja2 templates,
    rendered through views.render_page."""
    render_page = views.render_page

    def recorded(request, template, context, block=None):
        html = render_page(request, template, context, block)
        page = engines["jinja2"].get_template(template)
        template_rendered.send(sender=page, template=page, context=context)
        return html

    views.render_page = recorded
    yield
    views.render_page = render_page


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database holds the notice, loaded from fixtures/ as `make run` does."""
    with django_db_blocker.unblock():
        call_command("load_notice", verbosity=0)


def forget_everything_kept() -> None:
    snapshot.clear_cache()
    answer_store.forget()
    views.qr_svg.cache_clear()
    fragments.kept_fragments.cache_clear()
    for cache in caches.all(initialized_only=True):
        cache.clear()


@pytest.fixture(autouse=True)
def fresh_caches():
    """Every test starts and ends with nothing kept in this process: the rules, rendered answers,
    QR codes and the cache backends. So a query count proves what it says whatever ran before."""
    forget_everything_kept()
    yield
    forget_everything_kept()


@pytest.fixture
def book(db):
    """The published rules, read from the database."""
    return snapshot.current_rules()


def pytest_sessionfinish(session, exitstatus):
    """In CI a skipped test is a failure: nothing may pass by being skipped."""
    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        reporter.write_line(f"CI: {skipped} test(s) skipped; in CI a skipped test is a failure.", red=True)
        session.exitstatus = 1
