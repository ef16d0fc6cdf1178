"""Who may do what with participants, missions, declarations and attestations.

Participants are personal data: only roles with ``heures.view_participant`` see them (the
direction sees aggregates only). Health-related eligibility criteria (``sensible``) need
``heures.voir_donnees_sensibles`` on top.
"""


def peut_voir_participants(user) -> bool:
    return user.has_perm("heures.view_participant")


def peut_voir_donnees_sensibles(user) -> bool:
    return user.has_perm("heures.voir_donnees_sensibles")


def peut_voir_critere(user, critere) -> bool:
    return not critere.sensible or peut_voir_donnees_sensibles(user)


def peut_voir_missions(user) -> bool:
    return user.has_perm("heures.view_mission")


def peut_creer_mission(user) -> bool:
    return user.has_perm("heures.add_mission")


def peut_creer_besoin(user) -> bool:
    return user.has_perm("heures.add_besoinrecrutement")


def peut_voir_declarations(user) -> bool:
    return user.has_perm("heures.view_declarationmensuelle")


def peut_voir_attestations(user) -> bool:
    return user.has_perm("heures.view_attestation")


def peut_emettre_attestation(user) -> bool:
    return user.has_perm("heures.emettre_attestation")


# The attestation documents carry the participants' initials (their full names if the
# settings say so): only who may see the participants downloads them. The direction sees
# the list of attestations (company, lot, month, hours) but not the documents
# (docs/autorisations.md).
PDF_ATTESTATIONS = ("heures.view_attestation", "heures.view_participant")


def peut_telecharger_attestations(user) -> bool:
    return user.has_perms(PDF_ATTESTATIONS)


def peut_exporter_donnees_personnelles(user) -> bool:
    return user.has_perm("heures.exporter_donnees_personnelles")
