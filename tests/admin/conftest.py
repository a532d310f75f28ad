import pytest
from django.contrib.auth.models import Group


@pytest.fixture
def staff(django_user_model):
    def make(username: str, *groups: str):
        user = django_user_model.objects.create_user(username, password="not-used-force-login", is_staff=True)
        user.groups.set(Group.objects.filter(name__in=groups))
        return user

    return make


@pytest.fixture
def editor_client(client, staff):
    client.force_login(staff("editor", "规则编辑"))
    return client


@pytest.fixture
def viewer_client(client, staff):
    client.force_login(staff("viewer", "查看"))
    return client
