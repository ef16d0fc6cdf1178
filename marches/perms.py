"""Who may do what in the contracts area (used by views and templates)."""


def peut_voir_donneurs_ordre(user) -> bool:
    return user.has_perm("marches.view_donneurordre")


def peut_modifier_donneur_ordre(user) -> bool:
    return user.has_perm("marches.change_donneurordre")


def peut_voir_operations(user) -> bool:
    return user.has_perm("marches.view_operation")


def peut_creer_operation(user) -> bool:
    return user.has_perm("marches.add_operation")


def peut_modifier_operation(user) -> bool:
    return user.has_perm("marches.change_operation")


def peut_voir_marches(user) -> bool:
    return user.has_perm("marches.view_marche")


def peut_creer_marche(user) -> bool:
    return user.has_perm("marches.add_marche")


def peut_modifier_marche(user) -> bool:
    return user.has_perm("marches.change_marche")


def peut_voir_lots(user) -> bool:
    return user.has_perm("marches.view_lot")


def peut_creer_lot(user) -> bool:
    return user.has_perm("marches.add_lot")


def peut_modifier_lot(user) -> bool:
    return user.has_perm("marches.change_lot")


def peut_voir_echanges(user) -> bool:
    return user.has_perm("marches.view_echange")


def peut_noter_echange(user) -> bool:
    return user.has_perm("marches.add_echange")


def peut_modifier_echange(user) -> bool:
    return user.has_perm("marches.change_echange")


def peut_importer_decp(user) -> bool:
    return user.has_perm("marches.importer_decp")


def peut_qualifier_marche(user) -> bool:
    """Follow (opération, lot, clause) or set aside a contract found in the DECP."""
    return user.has_perm("marches.change_marche") and user.has_perm("marches.add_lot")
