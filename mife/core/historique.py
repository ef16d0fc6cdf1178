"""The history of a record (django-simple-history) as who / when / why / what changed: the one
place where successive versions are compared. Detail pages show it (``fiches.historique``),
the right-of-access export writes it as JSON."""

from dataclasses import dataclass
from datetime import datetime

# Bookkeeping fields that change with every save: never listed as a change.
CHAMPS_TECHNIQUES = frozenset({"version", "modifie_le", "modifie_par"})
TYPES = {"+": "Création", "~": "Modification", "-": "Suppression"}


@dataclass
class Changement:
    champ: str  # the field's verbose name
    avant: object
    apres: object
    multiple: bool = False  # a many-to-many field: ``avant`` and ``apres`` are lists

    def __str__(self) -> str:
        if self.multiple:
            return f"{self.champ} : {len(self.avant or [])} → {len(self.apres or [])} élément(s)"
        return f"{self.champ} : « {self.avant} » → « {self.apres} »"


@dataclass
class LigneHistorique:
    date: datetime
    type: str  # Création, Modification or Suppression
    auteur: str
    motif: str
    changements: list[Changement]


def lignes_historique(
    versions, modele, champs_exclus=CHAMPS_TECHNIQUES, objets_lies: bool = False
) -> list[LigneHistorique]:
    """One row per version of a record of ``modele``, ``versions`` oldest first: a modification
    lists the fields changed since the version before it (but not ``champs_exclus``).

    ``objets_lies`` gives the related records of changed foreign keys instead of their ids
    (one query per changed foreign key).
    """
    lignes = []
    precedente = None
    for version in versions:
        changements = []
        if precedente is not None and version.history_type == "~":
            delta = version.diff_against(precedente, foreign_keys_are_objs=objets_lies)
            for change in delta.changes:
                if change.field in champs_exclus:
                    continue
                champ = modele._meta.get_field(change.field)
                changements.append(
                    Changement(str(champ.verbose_name), change.old, change.new, champ.many_to_many)
                )
        lignes.append(
            LigneHistorique(
                date=version.history_date,
                type=TYPES[version.history_type],
                auteur=str(version.history_user) if version.history_user else "système",
                motif=version.history_change_reason or "",
                changements=changements,
            )
        )
        precedente = version
    return lignes
