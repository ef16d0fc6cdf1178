import pytest
from django.contrib.auth.models import Group

from mife import roles


@pytest.fixture
def make_user(db, django_user_model):
    """Create a user with one of the roles of ``mife.roles`` (or none)."""

    def _make(role: str | None = None, username: str | None = None, **extra):
        username = username or f"user-{role or 'sans-role'}"
        user = django_user_model.objects.create_user(
            username=username,
            password="mot-de-passe-de-test",
            first_name=extra.pop("first_name", username.capitalize()),
            **extra,
        )
        if role:
            user.groups.add(Group.objects.get(name=roles.ROLES_PAR_CODE[role].groupe))
        return user

    return _make


@pytest.fixture
def client_for(client, make_user):
    """A test client logged in with the given role."""

    def _client(role: str | None, **extra):
        user = make_user(role, **extra)
        client.force_login(user)
        client.user = user
        return client

    return _client
