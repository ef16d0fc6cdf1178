"""Helpers of the tests about accounts: the POST data of the admin user form."""

from mife import roles


def donnees_utilisateur(user, role: str | None = "", **extra) -> dict:
    """What the admin change form of ``user`` posts (``role``: a code of ``mife.roles``)."""
    if role == "":
        actuel = roles.role_of(user)
        role = actuel.code if actuel else ""
    donnees = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "fonction": user.fonction,
        "telephone": user.telephone,
        "role": role or "",
        "date_joined_0": user.date_joined.strftime("%d/%m/%Y"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "last_login_0": "",
        "last_login_1": "",
    }
    if user.is_active:
        donnees["is_active"] = "on"
    if user.is_staff:
        donnees["is_staff"] = "on"
    donnees.update(extra)
    return donnees
