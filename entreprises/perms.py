"""Who may do what with companies and their contacts (used by views and templates)."""


def peut_voir(user) -> bool:
    return user.has_perm("entreprises.view_entreprise")


def peut_voir_contacts(user) -> bool:
    return user.has_perm("entreprises.view_contact")


def peut_modifier(user) -> bool:
    return user.has_perm("entreprises.change_entreprise")


def peut_modifier_contacts(user) -> bool:
    return user.has_perm("entreprises.change_contact") and user.has_perm("entreprises.add_contact")


def peut_supprimer_contacts(user) -> bool:
    return user.has_perm("entreprises.delete_contact")
