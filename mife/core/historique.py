"""The history of a record (django-simple-history) as who / when / why / what changed: the one
place where successive versions are compared. Detail pages show it (``fiches.historique``), the
admin's history pages too (``admin.HistoriqueLisibleMixin``), the right-of-access export writes
it as JSON.

What is shown is what a reader understands: the field's label, a choice's label (« Validée »,
not ``validee``), a related record by its name (loaded in one query per related model, whatever
the number of versions), dates and times in local time without seconds, « — » for an empty
value.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils.text import capfirst
from simple_history.utils import get_m2m_reverse_field_name

from mife.core import formats

# Bookkeeping fields that change with every save: never listed as a change.
CHAMPS_TECHNIQUES = frozenset({"version", "modifie_le", "modifie_par"})
TYPES = {"+": "Création", "~": "Modification", "-": "Suppression"}
VIDE = "—"


@dataclass
class Changement:
    champ: str  # the field's verbose name
    avant: object
    apres: object
    multiple: bool = False  # a many-to-many field: ``avant`` and ``apres`` are lists
    avant_texte: str = field(default="", compare=False)  # ``avant`` as shown to a reader
    apres_texte: str = field(default="", compare=False)

    @property
    def libelle(self) -> str:
        """The field's label as a form shows it (capitalised)."""
        return capfirst(self.champ)

    def __str__(self) -> str:
        if self.multiple and not self.avant_texte:
            return f"{self.libelle} : {len(self.avant or [])} → {len(self.apres or [])} élément(s)"
        return f"{self.libelle} : « {self.avant_texte} » → « {self.apres_texte} »"


@dataclass
class LigneHistorique:
    date: datetime
    type: str  # Création, Modification or Suppression
    auteur: str
    motif: str
    changements: list[Changement]


def texte_valeur(champ, valeur, objets: dict | None = None) -> str:
    """A field's value as a reader reads it. ``objets``: related records by (model, pk), for
    foreign keys given as ids; a related record that no longer exists shows its number."""
    if valeur is None or valeur == "":
        return VIDE
    if champ.is_relation:
        if hasattr(valeur, "_meta"):
            return str(valeur)
        objet = (objets or {}).get((champ.related_model, valeur))
        return str(objet) if objet is not None else f"n° {valeur} (supprimé)"
    if champ.flatchoices:
        return str(dict(champ.flatchoices).get(valeur, valeur))
    if isinstance(valeur, bool):
        return "Oui" if valeur else "Non"
    if isinstance(valeur, datetime | date):
        return formats.date_fr(valeur)
    if isinstance(valeur, Decimal | float):
        if champ.name.startswith("montant"):
            return formats.montant(valeur)
        return formats.nombre(valeur, 2)
    return str(valeur)


def _valeurs_m2m(versions, modele, champs_m2m: list[str]) -> dict:
    """The related ids of each many-to-many field of each version, sorted: one query per field
    (simple-history would run two per field and per version)."""
    valeurs: dict = {}
    if not versions:
        return valeurs
    ids = [version.pk for version in versions]
    for nom in champs_m2m:
        inverse = get_m2m_reverse_field_name(modele._meta.get_field(nom))
        historique_lien = getattr(versions[0], nom).model
        lignes = (
            historique_lien.objects.filter(history__in=ids)
            .order_by(inverse)
            .values_list("history_id", f"{inverse}_id")
        )
        for version_id, lie in lignes:
            valeurs.setdefault((nom, version_id), []).append(lie)
    return valeurs


def _objets_lies(changements, modele) -> dict:
    """The related records named by ``changements`` (field, old, new) of foreign keys (ids) and
    many-to-many fields (lists of ids): one query per related model."""
    ids: dict = {}
    for nom, avant, apres in changements:
        champ = modele._meta.get_field(nom)
        if not champ.is_relation:
            continue
        valeurs = [*avant, *apres] if champ.many_to_many else [avant, apres]
        for valeur in valeurs:
            if valeur is not None and not hasattr(valeur, "_meta"):
                ids.setdefault(champ.related_model, set()).add(valeur)
    objets = {}
    for modele_lie, pks in ids.items():
        for pk, objet in modele_lie._base_manager.in_bulk(list(pks)).items():
            objets[modele_lie, pk] = objet
    return objets


def _texte_m2m(champ, valeurs, objets) -> str:
    textes = [texte_valeur(champ, valeur, objets) for valeur in valeurs]
    return ", ".join(textes) or VIDE


def lignes_historique(
    versions, modele, champs_exclus=CHAMPS_TECHNIQUES, objets_lies: bool = False
) -> list[LigneHistorique]:
    """One row per version of a record of ``modele``, ``versions`` oldest first: a modification
    lists the fields changed since the version before it (but not ``champs_exclus``).

    ``avant`` and ``apres`` are the stored values (foreign keys as ids, many-to-many fields as
    lists of ids), or with ``objets_lies`` the related records as simple-history gives them
    (one query per changed foreign key); ``avant_texte`` and ``apres_texte`` are the readable
    values. Without ``objets_lies``, the number of queries does not depend on the number of
    versions.
    """
    versions = list(versions)
    m2m = [] if objets_lies or not versions else [f.name for f in versions[0]._history_m2m_fields]
    paires = []  # (version, its changes as (field, old, new))
    precedente = None
    for version in versions:
        changes = []
        if precedente is not None and version.history_type == "~":
            delta = version.diff_against(
                precedente, excluded_fields=m2m, foreign_keys_are_objs=objets_lies
            )
            changes = [(c.field, c.old, c.new) for c in delta.changes]
        paires.append((version, precedente, changes))
        precedente = version
    if m2m and any(version.history_type == "~" for version in versions[1:]):
        valeurs = _valeurs_m2m(versions, modele, m2m)
        for version, precedente, changes in paires:
            if precedente is None or version.history_type != "~":
                continue
            for nom in m2m:
                avant = valeurs.get((nom, precedente.pk), [])
                apres = valeurs.get((nom, version.pk), [])
                if avant != apres:
                    changes.append((nom, avant, apres))
            changes.sort(key=lambda change: change[0])
    objets = (
        {}
        if objets_lies
        else _objets_lies([change for _, _, changes in paires for change in changes], modele)
    )
    lignes = []
    for version, _, changes in paires:
        changements = []
        for nom, avant, apres in changes:
            if nom in champs_exclus:
                continue
            champ = modele._meta.get_field(nom)
            if champ.many_to_many:
                textes = (
                    ("", "")
                    if objets_lies
                    else (
                        _texte_m2m(champ, avant, objets),
                        _texte_m2m(champ, apres, objets),
                    )
                )
            else:
                textes = (texte_valeur(champ, avant, objets), texte_valeur(champ, apres, objets))
            changements.append(
                Changement(str(champ.verbose_name), avant, apres, champ.many_to_many, *textes)
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
    return lignes
