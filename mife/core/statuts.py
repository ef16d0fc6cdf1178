"""The colour of every status badge, defined once for the whole application.

A badge is written ``{% statut code libelle %}`` (``mife/templatetags/fr.py``): the code
chooses the colour here, the text always says the status (the colour is never the only
signal). ``static/css/app.css`` only defines the colours themselves (``.couleur-vert``…),
chosen for a WCAG AA contrast. A code absent from this table gets the neutral grey.

The same code means the same thing everywhere (« en_cours » is blue for a lot, a mission or
a background task), so one table keyed by code serves every app.
"""

GRIS = "gris"  # waiting, not started
BLEU = "bleu"  # handed in, waiting for someone else
BLEU_FONCE = "bleu-fonce"  # in progress
VERT = "vert"  # done, granted
ROUGE = "rouge"  # refused, failed
ORANGE = "orange"  # late, needs an action
ATTENUE = "attenue"  # no longer current
GRIS_FONCE = "gris-fonce"  # finished

COULEURS: dict[str, str] = {
    # declarations, attestations, the month board, reminders
    "brouillon": GRIS,
    "soumise": BLEU,
    "validee": VERT,
    "emise": VERT,
    "envoyee": VERT,
    "rejetee": ROUGE,
    "echec": ROUGE,
    "remplacee": ATTENUE,
    "non_recue": ATTENUE,
    # lots, missions, follow-up actions of an exchange
    "a_venir": GRIS,
    "en_cours": BLEU_FONCE,
    "a_faire": BLEU_FONCE,
    "en_retard": ORANGE,
    "termine": GRIS_FONCE,
    "faite": GRIS_FONCE,
    "aucune": ATTENUE,
    # markets imported from open data
    "a_qualifier": ORANGE,
    "suivi": BLEU_FONCE,
    "ecarte": ATTENUE,
    "archive": ATTENUE,
    "archivee": ATTENUE,
    # recruitment needs and proposals
    "ouvert": BLEU_FONCE,
    "pourvu": VERT,
    "annule": ATTENUE,
    "propose": BLEU,
    "entretien": BLEU_FONCE,
    "retenu": VERT,
    "non_retenu": ROUGE,
    # label: dossiers, jury decisions and opinions, labels
    "en_preparation": GRIS,
    "depose": BLEU_FONCE,
    "incomplet": ORANGE,
    "recevable": BLEU_FONCE,
    "inscrit": BLEU_FONCE,
    "presente": BLEU_FONCE,
    "labellise": VERT,
    "ajourne": ORANGE,
    "refuse": ROUGE,
    "favorable": VERT,
    "reserve": ORANGE,
    "defavorable": ROUGE,
    "valide": VERT,
    "expire": ATTENUE,
    # jury sessions
    "planifiee": BLEU_FONCE,
    "tenue": GRIS_FONCE,
    "cloturee": GRIS_FONCE,
    "annulee": ATTENUE,
    # background work (attestation batches, DECP imports, annual reports)
    "en_attente": GRIS,
    "terminee": VERT,
}


def couleur(code: str) -> str:
    """The colour name of a status code (neutral grey when the code is unknown)."""
    return COULEURS.get(str(code or ""), GRIS)
