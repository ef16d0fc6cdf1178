"""What is left of a person once deleted or anonymised: history rows, admin log, free text.

Deleting a participant (admin) or anonymising it (retention period over) must not leave its
identity elsewhere (docs/donnees-personnelles.md):

- the **history rows** (django-simple-history) of the participant get the pseudonymous
  identity, those of its criteria lose their justification;
- the **free texts** attached to it — job title (``poste``) and derogation reason of its
  missions, comments of the declaration lines of those missions, comments of the
  propositions made for it — are replaced by a neutral text, live and in their history;
- the **reasons of the declarations** holding a line of its missions (rejection,
  correction) cover other people too: only its name is replaced there, live and in their
  history, by « Participant anonymisé n° … »;
- the **admin log** (``django.contrib.admin.models.LogEntry``) entries about it, its
  missions, criteria and propositions, or whose text names it, are rewritten without the
  name (``object_repr`` and ``change_message``).

``effacer_traces`` does it for one participant (live or already deleted); it runs after
each deletion (signal ``post_delete``, same transaction) and in ``anonymiser``.
``participants_supprimes_a_nettoyer`` finds the deleted participants whose traces still
hold something, so that ``anonymiser_participants`` also cleans what was deleted before this
rule existed. The statistics do not change: no date, code, hour or link is touched.
"""

import datetime as dt
import json
import re
from dataclasses import dataclass

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, F, Q, Value, When

from heures.models import (
    ANONYMISE,
    CritereParticipant,
    DeclarationMensuelle,
    LigneDeclaration,
    Mission,
    Participant,
    Proposition,
)

NOM_ANONYME = "ANONYME"
TEXTE_EFFACE = "[effacé : données personnelles]"
CHAMPS_IDENTITE = ("nom", "prenom", "date_naissance", "telephone", "email", "notes", "code_postal")


@dataclass
class RapportTraces:
    textes: int = 0  # live rows whose free text was replaced
    historique_textes: int = 0  # historical rows whose free text was replaced
    historique_participant: int = 0
    historique_criteres: int = 0
    journal_admin: int = 0

    def __iadd__(self, autre: "RapportTraces") -> "RapportTraces":
        for champ in self.__dataclass_fields__:
            setattr(self, champ, getattr(self, champ) + getattr(autre, champ))
        return self


def libelle_anonyme(pk: int) -> str:
    return f"{ANONYMISE} n° {pk}"


def identite_pseudonyme(pk: int, annee_naissance: int) -> dict:
    """The pseudonymous identity (same as the live record once anonymised)."""
    return {
        "nom": NOM_ANONYME,
        "prenom": f"P-{pk:06d}",
        "date_naissance": dt.date(annee_naissance, 1, 1),
        "telephone": "",
        "email": "",
        "notes": "",
        "code_postal": "",
    }


def identites(pk: int, participant: Participant | None = None) -> set[tuple[str, str]]:
    """Every (name, first name) the person had, live and in its history (not the pseudonym)."""
    noms = set(
        Participant.history.filter(id=pk).exclude(nom=NOM_ANONYME).values_list("nom", "prenom")
    )
    if participant is not None and participant.nom != NOM_ANONYME:
        noms.add((participant.nom, participant.prenom))
    return {(nom, prenom) for nom, prenom in noms if nom}


# --- free text -----------------------------------------------------------------------------


def _a_effacer(*champs: str) -> Q:
    """Rows where one of ``champs`` holds text that is not yet the neutral text."""
    condition = Q()
    for champ in champs:
        condition |= ~Q(**{champ: ""}) & ~Q(**{champ: TEXTE_EFFACE})
    return condition


def _neutre(champ: str) -> Case:
    return Case(When(**{champ: ""}, then=Value("")), default=Value(TEXTE_EFFACE))


def _effacer(queryset, champs: tuple[str, ...], dry_run: bool, versionne: bool = False) -> int:
    lignes = queryset.filter(_a_effacer(*champs))
    if dry_run:
        return lignes.count()
    valeurs = {champ: _neutre(champ) for champ in champs}
    if versionne:
        valeurs["version"] = F("version") + 1  # a form opened before cannot write it back
    return lignes.update(**valeurs)


def _missions(pk: int) -> set[int]:
    """The missions of participant ``pk``, live or deleted (from their history)."""
    missions = set(Mission.objects.filter(participant_id=pk).values_list("pk", flat=True))
    return missions | set(Mission.history.filter(participant_id=pk).values_list("id", flat=True))


def effacer_textes_libres(pk: int, dry_run: bool = False) -> RapportTraces:
    """Job titles, derogation reasons and comments attached to participant ``pk``."""
    rapport = RapportTraces()
    MissionH = Mission.history.model
    PropositionH = Proposition.history.model
    LigneH = LigneDeclaration.history.model
    missions = _missions(pk)
    propositions = Proposition.objects.filter(participant_id=pk)
    rapport.textes += _effacer(
        Mission.objects.filter(pk__in=missions),
        ("poste", "motif_derogation_eligibilite"),
        dry_run,
        versionne=True,
    )
    rapport.textes += _effacer(propositions, ("commentaire",), dry_run, versionne=True)
    rapport.textes += _effacer(
        LigneDeclaration.objects.filter(mission_id__in=missions), ("commentaire",), dry_run
    )
    rapport.historique_textes += _effacer(
        MissionH.objects.filter(id__in=missions),
        ("poste", "motif_derogation_eligibilite"),
        dry_run,
    )
    rapport.historique_textes += _effacer(
        PropositionH.objects.filter(participant_id=pk), ("commentaire",), dry_run
    )
    rapport.historique_textes += _effacer(
        LigneH.objects.filter(mission_id__in=missions), ("commentaire",), dry_run
    )
    return rapport


def effacer_nom_des_declarations(
    pk: int, noms: set[tuple[str, str]], dry_run: bool = False
) -> RapportTraces:
    """The reasons (rejection, correction) of the declarations holding a line of the missions
    of participant ``pk``: a declaration covers other people too, so only the forms of its
    name (``_formes``) are replaced by « Participant anonymisé n° … », live and in history."""
    rapport = RapportTraces()
    motif = _motif_des_noms(_formes(noms))
    if motif is None:
        return rapport
    missions = _missions(pk)
    LigneH = LigneDeclaration.history.model
    declarations = set(
        LigneDeclaration.objects.filter(mission_id__in=missions).values_list(
            "declaration_id", flat=True
        )
    )
    declarations |= set(
        LigneH.objects.filter(mission_id__in=missions).values_list("declaration_id", flat=True)
    )
    if not declarations:
        return rapport
    libelle = libelle_anonyme(pk)
    champs = ("motif_rejet", "motif_correction")
    for modele, cle, compteur, versionne in (
        (DeclarationMensuelle, "pk", "textes", True),
        (DeclarationMensuelle.history.model, "id", "historique_textes", False),
    ):
        nom_pk = modele._meta.pk.name
        lignes = (
            modele.objects.filter(**{f"{cle}__in": declarations})
            .exclude(motif_rejet="", motif_correction="")
            .values(nom_pk, *champs)
        )
        for ligne in lignes:
            changes = {
                champ: nouveau
                for champ in champs
                if (nouveau := _remplacer(ligne[champ], motif, libelle)) != ligne[champ]
            }
            if not changes:
                continue
            setattr(rapport, compteur, getattr(rapport, compteur) + 1)
            if dry_run:
                continue
            if versionne:
                changes["version"] = F("version") + 1  # a form opened before cannot write it back
            modele.objects.filter(pk=ligne[nom_pk]).update(**changes)
    return rapport


# --- admin log -----------------------------------------------------------------------------


def _formes(noms: set[tuple[str, str]]) -> list[str]:
    """How an admin text names the person: « NOM Prénom » (``str``), « Nom Prénom »,
    « Prénom Nom »; longest first."""
    formes = set()
    for nom, prenom in noms:
        formes |= {f"{nom.upper()} {prenom}".strip(), f"{nom} {prenom}".strip()}
        formes.add(f"{prenom} {nom}".strip())
    return sorted((f for f in formes if len(f) >= 3), key=len, reverse=True)


def _motif_des_noms(formes: list[str]) -> re.Pattern | None:
    """The forms of the name as whole words only: « Bo Li » must not rewrite « Combo
    Lingerie »."""
    if not formes:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(f) for f in formes) + r")(?!\w)", re.I)


def _remplacer(texte: str, motif: re.Pattern | None, libelle: str) -> str:
    return motif.sub(libelle, texte) if motif is not None and texte else texte


def _remplacer_message(message: str, motif: re.Pattern | None, libelle: str) -> str:
    """``change_message`` is JSON written with ``ensure_ascii``: rewrite its strings."""
    if motif is None or not message:
        return message
    try:
        donnees = json.loads(message)
    except ValueError:
        return _remplacer(message, motif, libelle)

    def parcourir(valeur):
        if isinstance(valeur, str):
            return _remplacer(valeur, motif, libelle)
        if isinstance(valeur, list):
            return [parcourir(v) for v in valeur]
        if isinstance(valeur, dict):
            return {k: parcourir(v) for k, v in valeur.items()}
        return valeur

    nouveau = parcourir(donnees)
    return message if nouveau == donnees else json.dumps(nouveau)


def nettoyer_journal_admin(pk: int, noms: set[tuple[str, str]], dry_run: bool = False) -> int:
    """Rewrite the admin log entries about participant ``pk`` (its record, criteria,
    missions, propositions) or naming it; returns how many entries changed."""
    types = ContentType.objects.get_for_models(
        Participant, Mission, Proposition, CritereParticipant
    )
    objets = {
        Participant: {pk},
        Mission: set(Mission.objects.filter(participant_id=pk).values_list("pk", flat=True))
        | set(Mission.history.filter(participant_id=pk).values_list("id", flat=True)),
        Proposition: set(Proposition.objects.filter(participant_id=pk).values_list("pk", flat=True))
        | set(Proposition.history.filter(participant_id=pk).values_list("id", flat=True)),
        CritereParticipant: set(
            CritereParticipant.history.filter(participant_id=pk).values_list("id", flat=True)
        ),
    }
    condition = Q()
    for modele, pks in objets.items():
        if pks:
            condition |= Q(content_type=types[modele], object_id__in=[str(p) for p in sorted(pks)])
    formes = _formes(noms)
    for forme in formes:
        echappee = json.dumps(forme)[1:-1]
        condition |= Q(object_repr__contains=forme) | Q(change_message__contains=forme)
        if echappee != forme:
            condition |= Q(change_message__contains=echappee)
    motif = _motif_des_noms(formes)
    libelle = libelle_anonyme(pk)
    propre = (types[Participant].pk, str(pk))
    changees = 0
    for entree in LogEntry.objects.filter(condition).only(
        "pk", "content_type_id", "object_id", "object_repr", "change_message"
    ):
        if (entree.content_type_id, entree.object_id) == propre:
            repr_ = libelle
        else:
            repr_ = _remplacer(entree.object_repr, motif, libelle)
        message = _remplacer_message(entree.change_message, motif, libelle)
        if (repr_, message) == (entree.object_repr, entree.change_message):
            continue
        changees += 1
        if not dry_run:
            LogEntry.objects.filter(pk=entree.pk).update(object_repr=repr_, change_message=message)
    return changees


# --- one participant, deleted or anonymised -------------------------------------------------


def effacer_traces(
    pk: int,
    noms: set[tuple[str, str]],
    annee_naissance: int | None,
    dry_run: bool = False,
    historique: bool = True,
) -> RapportTraces:
    """Everything above for participant ``pk``. ``historique=False`` leaves its own history
    rows (``anonymiser`` rewrites them itself, with its report)."""
    rapport = effacer_textes_libres(pk, dry_run)
    rapport += effacer_nom_des_declarations(pk, noms, dry_run)
    if historique and annee_naissance is not None:
        lignes = Participant.history.filter(id=pk).filter(
            ~Q(nom=NOM_ANONYME) | ~Q(telephone="") | ~Q(email="") | ~Q(notes="")
        )
        rapport.historique_participant = (
            lignes.count() if dry_run else lignes.update(**identite_pseudonyme(pk, annee_naissance))
        )
        criteres = CritereParticipant.history.filter(participant_id=pk).exclude(justification="")
        rapport.historique_criteres = (
            criteres.count() if dry_run else criteres.update(justification="")
        )
    rapport.journal_admin = nettoyer_journal_admin(pk, noms, dry_run)
    return rapport


def participant_supprime(sender, instance: Participant, **kwargs) -> None:
    """``post_delete`` of a participant: nothing of its identity stays behind."""
    effacer_traces(
        instance.pk,
        identites(instance.pk, instance),
        instance.date_naissance.year if instance.date_naissance else None,
    )


def participants_supprimes_a_nettoyer() -> list[int]:
    """Deleted participants whose history, free texts or criteria still hold something."""
    vivants = Participant.objects.values("pk")
    ids = set(
        Participant.history.exclude(id__in=vivants)
        .exclude(nom=NOM_ANONYME)
        .values_list("id", flat=True)
    )
    ids |= set(
        CritereParticipant.history.exclude(participant_id__in=vivants)
        .exclude(justification="")
        .values_list("participant_id", flat=True)
    )
    ids |= set(
        Mission.history.exclude(participant_id__in=vivants)
        .filter(_a_effacer("poste", "motif_derogation_eligibilite"))
        .values_list("participant_id", flat=True)
    )
    ids |= set(
        Proposition.history.exclude(participant_id__in=vivants)
        .filter(_a_effacer("commentaire"))
        .values_list("participant_id", flat=True)
    )
    return sorted(i for i in ids if i is not None)


def nettoyer_participant_supprime(pk: int, dry_run: bool = False) -> RapportTraces:
    """What a participant deleted earlier left behind (its identity from its history)."""
    derniere = Participant.history.filter(id=pk).order_by("-history_date", "-history_id").first()
    annee = derniere.date_naissance.year if derniere and derniere.date_naissance else None
    return effacer_traces(pk, identites(pk), annee, dry_run)
