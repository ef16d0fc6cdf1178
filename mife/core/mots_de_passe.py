"""Refused passwords: common French ones, and the project's and organisation's own names.

Django's ``CommonPasswordValidator`` knows English passwords; this validator adds the list
shipped in ``mots_de_passe_refuses.txt`` (comparison without case, accents or separators, and
also after removing digits and signs: « Azerty2024!! » is « azerty ») and refuses any
password *containing* a name of the project or of the organisation (``mots_interdits``
option, plus the words of the organisation's name in *Paramètres*).
"""

import re
import unicodedata
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError

LISTE = Path(__file__).with_name("mots_de_passe_refuses.txt")
MOTS_INTERDITS = ("mife", "belfort", "clauses", "emplitudes")
# Words of an organisation's name too common to be refused inside a password.
MOTS_COURANTS = {
    "association",
    "centre",
    "emploi",
    "formation",
    "information",
    "locale",
    "maison",
    "mission",
    "service",
    "territoire",
}


def normaliser(texte: str) -> str:
    """Lower case, accents removed."""
    decompose = unicodedata.normalize("NFKD", texte.casefold())
    return "".join(c for c in decompose if not unicodedata.combining(c))


@cache
def _liste(chemin: Path) -> frozenset[str]:
    lignes = chemin.read_text(encoding="utf-8").splitlines()
    return frozenset(
        normaliser(ligne.strip()) for ligne in lignes if ligne.strip() and ligne[0] != "#"
    )


def _mots_de_la_structure() -> set[str]:
    from mife.core.models import Parametres

    nom = normaliser(Parametres.get().nom_structure)
    mots = {m for m in re.findall(r"[a-z]+", nom) if len(m) >= 4 and m not in MOTS_COURANTS}
    entier = re.sub(r"[^a-z0-9]", "", nom)
    return mots | ({entier} if entier else set())


class MotsDePasseRefusesValidator:
    def __init__(self, mots_interdits=MOTS_INTERDITS, chemin=LISTE):
        self.mots_interdits = {normaliser(m) for m in mots_interdits}
        self.chemin = Path(chemin)

    def validate(self, password, user=None):
        texte = normaliser(password.strip())
        formes = {
            texte,
            re.sub(r"[^a-z0-9]", "", texte),  # without separators
            re.sub(r"[^a-z]", "", texte),  # letters only
        }
        if formes & _liste(self.chemin):
            raise ValidationError(
                "Ce mot de passe figure dans la liste des mots de passe trop courants ou trop "
                "faciles à deviner : choisissez-en un autre (une phrase de plusieurs mots, par "
                "exemple).",
                code="mot_de_passe_refuse",
            )
        compact = re.sub(r"[^a-z0-9]", "", texte)
        for mot in sorted(self.mots_interdits | _mots_de_la_structure()):
            if mot and mot in compact:
                raise ValidationError(
                    "Ce mot de passe contient « %(mot)s », le nom du projet ou de la structure : "
                    "c'est le premier essai d'un attaquant. Choisissez-en un autre.",
                    code="mot_de_passe_nom_structure",
                    params={"mot": mot},
                )

    def get_help_text(self):
        return (
            "Votre mot de passe ne peut pas être un mot de passe courant (azerty, motdepasse…) "
            "ni contenir le nom du projet ou de la structure."
        )
