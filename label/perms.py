"""Who may do what in the Empl'itudes label area (used by views and templates).

The animator edits everything of the label; the direction and the facilitators read; the
administrator alone may change a label's dates (with a reason). The workflow's transitions
name their own permission (``label.services.workflow.TRANSITIONS``).
"""


def peut_voir_dossiers(user) -> bool:
    return user.has_perm("label.view_dossierlabel")


def peut_modifier_dossier(user) -> bool:
    return user.has_perm("label.change_dossierlabel")


def peut_creer_dossier(user) -> bool:
    return user.has_perm("label.add_dossierlabel") and user.has_perm(
        "label.add_diagnosticeligibilite"
    )


def peut_voir_diagnostics(user) -> bool:
    return user.has_perm("label.view_diagnosticeligibilite")


def peut_faire_diagnostic(user) -> bool:
    return user.has_perm("label.add_diagnosticeligibilite")


def peut_gerer_liens(user) -> bool:
    return user.has_perm("label.add_lienentreprise") and user.has_perm(
        "label.change_lienentreprise"
    )


def peut_voir_sessions(user) -> bool:
    return user.has_perm("label.view_sessionjury")


def peut_gerer_sessions(user) -> bool:
    return user.has_perm("label.change_sessionjury") and user.has_perm("label.add_sessionjury")


def peut_decider(user) -> bool:
    return user.has_perm("label.decider_dossierlabel")


def peut_voir_membres(user) -> bool:
    return user.has_perm("label.view_membrejury")


def peut_gerer_membres(user) -> bool:
    return user.has_perm("label.change_membrejury") and user.has_perm("label.add_membrejury")


def peut_voir_labels(user) -> bool:
    return user.has_perm("label.view_label")


def peut_renouveler(user) -> bool:
    return user.has_perm("label.add_dossierlabel")


def peut_modifier_dates_label(user) -> bool:
    return user.has_perm("label.modifier_dates_label")


def peut_voir_evenements(user) -> bool:
    return user.has_perm("label.view_evenementanimation")


def peut_gerer_evenements(user) -> bool:
    return user.has_perm("label.change_evenementanimation") and user.has_perm(
        "label.add_evenementanimation"
    )
