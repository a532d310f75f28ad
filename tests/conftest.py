import pytest
from django.core.management import call_command

from recognition import snapshot


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database holds the notice, loaded from fixtures/ as `make run` does."""
    with django_db_blocker.unblock():
        call_command("load_notice", verbosity=0)


@pytest.fixture
def book(db):
    """The published rules, read from the database."""
    return snapshot.current_rules()
