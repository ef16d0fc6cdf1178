"""Who may do what in the contracts area (used by views and templates)."""


def peut_voir(user) -> bool:
    return user.has_perm("marches.view_lot")


def peut_modifier(user) -> bool:
    return user.has_perm("marches.change_lot")


def peut_importer_decp(user) -> bool:
    return user.has_perm("marches.importer_decp")
