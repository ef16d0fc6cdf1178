"""Who may do what in the Empl'itudes label area (used by views and templates)."""


def peut_voir_dossiers(user) -> bool:
    return user.has_perm("label.view_dossierlabel")


def peut_voir_sessions(user) -> bool:
    return user.has_perm("label.view_sessionjury")
