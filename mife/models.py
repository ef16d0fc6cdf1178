"""Cross-cutting models: the user account and the team's settings (letterhead, divisors)."""

from django.contrib.auth.models import AbstractUser
from django.db import models

from mife import roles
from mife.core.models import Parametres  # noqa: F401 (registered with the mife app)


class User(AbstractUser):
    """A member of the team. Roles are Django groups (see ``mife.roles``)."""

    fonction = models.CharField("fonction", max_length=120, blank=True)
    telephone = models.CharField("téléphone", max_length=30, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def role(self) -> roles.Role | None:
        """The user's main role (the first of the roles, in the order of ``roles.ROLES``)."""
        return roles.role_of(self)
