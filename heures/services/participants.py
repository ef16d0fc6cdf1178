"""Write-side rules of participants: identity, eligibility criteria, retention, right of access.

Participants are people in difficulty and some criteria are health data (DESIGN.md §5), so
every rule about their personal data lives here, in one place:

- ``verifier_*``: what a participant or a criterion must satisfy (forms call them too);
- ``doublons_possibles``: the same person already recorded (name and birth date, ignoring
  case and accents);
- ``enregistrer_participant``: identity and criteria saved together, refusing a stale
  version (who/when) and any change to a protected criterion by a user without the right;
- ``participants_a_anonymiser`` / ``anonymiser``: the retention period
  (``Parametres.duree_conservation_annees`` years after the last mission ends) and the
  anonymisation that keeps the statistics unchanged (docs/donnees-personnelles.md), with
  the traces elsewhere (free texts, admin log: ``heures.services.traces``);
- ``nettoyer_participants_supprimes``: the traces left by participants deleted earlier;
- ``donnees_personnelles`` / ``journaliser_export``: the right of access (everything the
  app holds on one person) and its trace in the participant's history.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from heures import perms
from heures.models import CritereParticipant, LigneDeclaration, Mission, Participant
from heures.services import traces
from journal import services as journal
from journal.models import Action
from mife.core.concurrence import ConflitDeVersion, enregistrer_versionne
from mife.core.historique import CHAMPS_TECHNIQUES, LigneHistorique, lignes_historique
from mife.core.models import Parametres
from mife.core.texte import cle_recherche

AGE_MINIMUM = 16
ANNEE_MINIMUM = 1900
MOTIF_ANONYMISATION = "Anonymisation (durée de conservation dépassée)"
MOTIF_EXPORT = "Export des données (droit d'accès)"
CODE_CRITERE_AUTRE = "autre"


# --- rules -----------------------------------------------------------------------------------


def jour_entree(participant: Participant) -> dt.date:
    """The day the person entered the scheme: the day the record was created (today if new)."""
    if participant.pk and participant.cree_le:
        return timezone.localdate(participant.cree_le)
    return timezone.localdate()


def verifier_date_naissance(participant: Participant, entree: dt.date) -> None:
    """An impossible birth date (future, before 1900, under 16 on the day of entry) is refused."""
    date_naissance = participant.date_naissance
    if date_naissance is None:
        return
    aujourd_hui = timezone.localdate()
    if date_naissance > aujourd_hui:
        raise ValidationError(
            {"date_naissance": "La date de naissance est dans le futur : vérifiez la saisie."}
        )
    if date_naissance.year < ANNEE_MINIMUM:
        raise ValidationError(
            {"date_naissance": f"Date de naissance improbable (avant {ANNEE_MINIMUM})."}
        )
    if participant.age_le(entree) < AGE_MINIMUM:
        raise ValidationError(
            {
                "date_naissance": (
                    f"La personne aurait moins de {AGE_MINIMUM} ans le jour de son entrée "
                    f"({entree:%d/%m/%Y}) : un participant doit avoir {AGE_MINIMUM} ans au "
                    "moins. Vérifiez la date de naissance."
                )
            }
        )


def verifier_participant(participant: Participant) -> None:
    """The rules of the identity that the model alone does not say."""
    verifier_date_naissance(participant, jour_entree(participant))
    erreurs = {}
    if participant.date_information and participant.date_information > timezone.localdate():
        erreurs["date_information"] = "La date d'information ne peut pas être dans le futur."
    code_postal = (participant.code_postal or "").strip()
    if code_postal and not (len(code_postal) == 5 and code_postal.isdigit()):
        erreurs["code_postal"] = "Code postal invalide : 5 chiffres attendus (ex. : 90000)."
    if erreurs:
        raise ValidationError(erreurs)


def verifier_critere(validation: CritereParticipant) -> None:
    """Dates in order, not in the future; « Autre » needs a prescriber and a justification."""
    erreurs = {}
    debut, fin = validation.date_validation, validation.date_fin_validite
    if debut and debut > timezone.localdate():
        erreurs["date_validation"] = "La date de validation ne peut pas être dans le futur."
    if debut and fin and fin < debut:
        erreurs["date_fin_validite"] = (
            f"La fin de validité ({fin:%d/%m/%Y}) précède la date de validation ({debut:%d/%m/%Y})."
        )
    critere = validation.critere if validation.critere_id else None
    if critere is not None and critere.code == CODE_CRITERE_AUTRE:
        if validation.prescripteur_id is None:
            erreurs["prescripteur"] = (
                "Le critère « Autre difficulté » doit être validé par un prescripteur."
            )
        if not (validation.justification or "").strip():
            erreurs["justification"] = (
                "Le critère « Autre difficulté » doit être justifié (avis motivé du prescripteur)."
            )
    if erreurs:
        raise ValidationError(erreurs)


def doublons_possibles(
    nom: str, prenom: str, date_naissance: dt.date | None, exclure_pk: int | None = None
) -> list[Participant]:
    """Participants with the same birth date and the same name, ignoring case and accents.

    The birth date narrows the search in SQL (a handful of rows even with hundreds of
    thousands of participants); names are then compared normalised, the same way on SQLite
    and PostgreSQL. Anonymised participants have no identity left and are never proposed.
    """
    if not date_naissance or not nom or not prenom:
        return []
    cle = (cle_recherche(nom), cle_recherche(prenom))
    candidats = Participant.objects.filter(
        date_naissance=date_naissance, anonymise_le__isnull=True
    ).order_by("pk")
    if exclure_pk:
        candidats = candidats.exclude(pk=exclure_pk)
    return [p for p in candidats if (cle_recherche(p.nom), cle_recherche(p.prenom)) == cle]


# --- saving ------------------------------------------------------------------------------------


def _verifier_droits_criteres(
    user, a_enregistrer: Iterable[CritereParticipant], a_supprimer: Iterable[CritereParticipant]
) -> None:
    """A user without ``voir_donnees_sensibles`` may neither add, change nor delete a protected
    criterion, even with a crafted request (checked against the stored rows too)."""
    if perms.peut_voir_donnees_sensibles(user):
        return
    lignes = [*a_enregistrer, *a_supprimer]
    if any(ligne.critere.sensible for ligne in lignes if ligne.critere_id):
        raise PermissionDenied("Critère protégé : modification réservée aux personnes habilitées.")
    pks = [ligne.pk for ligne in lignes if ligne.pk]
    if pks and CritereParticipant.objects.filter(pk__in=pks, critere__sensible=True).exists():
        raise PermissionDenied("Critère protégé : modification réservée aux personnes habilitées.")


@transaction.atomic
def enregistrer_participant(
    participant: Participant,
    version_lue: int | None,
    user,
    criteres: Iterable[CritereParticipant] = (),
    criteres_supprimes: Iterable[CritereParticipant] = (),
) -> Participant:
    """Save the identity and the criteria together (all or nothing).

    Refuses a stale version (``ConflitDeVersion``: who/when), an impossible identity
    (``ValidationError``) and a protected criterion touched without the right
    (``PermissionDenied``). Protected criteria the user cannot see are never in
    ``criteres``/``criteres_supprimes``, so they stay untouched.
    """
    criteres, criteres_supprimes = list(criteres), list(criteres_supprimes)
    _verifier_droits_criteres(user, criteres, criteres_supprimes)
    participant.nom = " ".join((participant.nom or "").split())
    participant.prenom = " ".join((participant.prenom or "").split())
    if participant.anonymise_le:
        raise ValidationError("Ce participant a été anonymisé : sa fiche ne peut plus changer.")
    verifier_participant(participant)
    participant.full_clean()
    for validation in criteres:
        verifier_critere(validation)
    participant._history_user = user  # the author in the history, even outside a request
    enregistrer_versionne(participant, version_lue or 0, user=user)
    for validation in criteres_supprimes:
        if validation.pk:
            validation._history_user = user
            validation.delete()
    for validation in criteres:
        validation.participant = participant
        validation.modifie_par = user
        validation._history_user = user
        validation.full_clean()
        validation.save()
    return participant


# --- retention ---------------------------------------------------------------------------------


def date_limite_conservation(jour: dt.date, annees: int) -> dt.date:
    """``jour`` minus ``annees`` years (29 February → 28 February)."""
    try:
        return jour.replace(year=jour.year - annees)
    except ValueError:
        return jour.replace(year=jour.year - annees, day=28)


def participants_a_anonymiser(
    jour: dt.date | None = None, annees: int | None = None
) -> QuerySet[Participant]:
    """Participants whose retention period is over on ``jour`` (today by default).

    Rule (docs/donnees-personnelles.md): ``annees`` = ``Parametres.duree_conservation_annees``
    (5 by default);
    - with missions: every mission has ended (end date, and exit date if any) before
      ``jour`` minus ``annees`` years; a mission without an end date keeps the data;
    - without mission: the record was last modified (or created) before that date.
    Already anonymised participants are never selected again (idempotent).
    """
    jour = jour or timezone.localdate()
    if annees is None:
        annees = Parametres.get().duree_conservation_annees
    limite = date_limite_conservation(jour, annees)
    debut_limite = timezone.make_aware(dt.datetime.combine(limite, dt.time.min))
    missions = Mission.objects.filter(participant=OuterRef("pk"))
    recentes = missions.filter(
        Q(date_fin__isnull=True) | Q(date_fin__gte=limite) | Q(date_sortie__gte=limite)
    )
    return (
        Participant.objects.filter(anonymise_le__isnull=True)
        .annotate(a_mission=Exists(missions), mission_recente=Exists(recentes))
        .filter(
            Q(a_mission=True, mission_recente=False)
            | Q(a_mission=False, modifie_le__lt=debut_limite)
        )
        .order_by("pk")
    )


def identite_anonyme(participant: Participant) -> dict:
    """The stable pseudonymous identity that replaces the real one (same result each run).

    Kept for the statistics: sex, birth year, commune, QPV flag, level of qualification,
    situation at entry, criteria, missions (sortie, situation six months later), hours.
    """
    return traces.identite_pseudonyme(participant.pk, participant.date_naissance.year)


@dataclass
class RapportAnonymisation:
    participants: int = 0
    historique_participants: int = 0
    criteres: int = 0
    historique_criteres: int = 0
    effacement: traces.RapportTraces = field(default_factory=traces.RapportTraces)
    ids: list[int] = field(default_factory=list)
    refuses: list[int] = field(default_factory=list)  # changed meanwhile: next run
    supprimes: list[int] = field(default_factory=list)  # deleted earlier, traces cleaned


def anonymiser(participants: Iterable[Participant], dry_run: bool = False) -> RapportAnonymisation:
    """Replace the identity of ``participants`` by a pseudonym, in the history too.

    Each participant is saved through the optimistic lock (a form opened before is then
    refused instead of writing the identity back) with the history reason
    « Anonymisation… »; the identity fields of all its earlier historical rows are
    overwritten with the pseudonym; the free-text justification of its criteria (live and
    historical) is emptied; the free texts attached to it and the admin log entries naming
    it are rewritten (``traces.effacer_traces``). Criteria, dates and prescribers stay, so
    past statistics do not change. A participant modified while this runs is left for the
    next run.
    """
    rapport = RapportAnonymisation()
    CritereHistorique = CritereParticipant.history.model
    for participant in participants:
        if participant.anonymise_le:
            continue
        historiques = list(
            Participant.history.filter(id=participant.pk).values_list("history_id", flat=True)
        )
        criteres = CritereParticipant.objects.filter(participant=participant).exclude(
            justification=""
        )
        criteres_historiques = CritereHistorique.objects.filter(
            participant_id=participant.pk
        ).exclude(justification="")
        noms = traces.identites(participant.pk, participant)
        annee = participant.date_naissance.year
        if dry_run:
            rapport.effacement += traces.effacer_traces(
                participant.pk, noms, annee, dry_run=True, historique=False
            )
            rapport.participants += 1
            rapport.ids.append(participant.pk)
            rapport.historique_participants += len(historiques)
            rapport.criteres += criteres.count()
            rapport.historique_criteres += criteres_historiques.count()
            continue
        anonyme = identite_anonyme(participant)
        try:
            with transaction.atomic():
                for champ, valeur in anonyme.items():
                    setattr(participant, champ, valeur)
                participant.anonymise_le = timezone.now()
                participant.modifie_par = None
                participant._change_reason = MOTIF_ANONYMISATION
                enregistrer_versionne(participant, participant.version)
                rapport.historique_participants += Participant.history.filter(
                    history_id__in=historiques
                ).update(**anonyme)
                rapport.criteres += criteres.update(justification="")
                rapport.historique_criteres += criteres_historiques.update(justification="")
                rapport.effacement += traces.effacer_traces(
                    participant.pk, noms, annee, historique=False
                )
        except ConflitDeVersion:
            rapport.refuses.append(participant.pk)
            continue
        rapport.participants += 1
        rapport.ids.append(participant.pk)
    return rapport


def nettoyer_participants_supprimes(
    rapport: RapportAnonymisation | None = None, dry_run: bool = False
) -> RapportAnonymisation:
    """Participants deleted before their traces were cleaned at deletion: their history
    rows, criteria justifications, free texts and admin log entries (one transaction each)."""
    rapport = rapport or RapportAnonymisation()
    for pk in traces.participants_supprimes_a_nettoyer():
        with transaction.atomic():
            resultat = traces.nettoyer_participant_supprime(pk, dry_run)
        rapport.supprimes.append(pk)
        rapport.historique_participants += resultat.historique_participant
        rapport.historique_criteres += resultat.historique_criteres
        resultat.historique_participant = resultat.historique_criteres = 0
        rapport.effacement += resultat
    return rapport


# --- right of access ---------------------------------------------------------------------------


def peut_exporter(user) -> bool:
    """The access export shows everything, protected criteria included: both rights needed."""
    return perms.peut_exporter_donnees_personnelles(user) and perms.peut_voir_donnees_sensibles(
        user
    )


def journaliser_export(participant: Participant, user, request=None) -> None:
    """Trace the export in the participant's history, without touching the record itself
    (its modification date drives the retention period), and in the access log."""
    Participant.history.bulk_history_create(
        [participant], update=True, default_user=user, default_change_reason=MOTIF_EXPORT
    )
    if request is not None:
        journal.acces(
            request,
            Action.EXPORT_DROIT_ACCES,
            participant_id=participant.pk,
            objet=f"Données du participant n° {participant.pk} (droit d'accès)",
        )


def _iso(valeur):
    if valeur is None:
        return None
    if isinstance(valeur, dt.datetime):
        return (
            timezone.localtime(valeur).isoformat()
            if timezone.is_aware(valeur)
            else (valeur.isoformat())
        )
    return valeur.isoformat()


def _nombre(valeur):
    """Hours as a decimal string with two decimals (« 105.50 »), the same on every database."""
    return None if valeur is None else str(Decimal(valeur).quantize(Decimal("0.01")))


def _valeur_json(valeur):
    if valeur is None or isinstance(valeur, bool | int | str):
        return valeur
    if isinstance(valeur, dt.date):
        return _iso(valeur)
    return str(valeur)


def _historique_json(ligne: LigneHistorique) -> dict:
    return {
        "date": _iso(ligne.date),
        "type": "Export des données" if ligne.motif == MOTIF_EXPORT else ligne.type,
        "auteur": ligne.auteur,
        "motif": ligne.motif,
        "changements": [
            {"champ": c.champ, "avant": _valeur_json(c.avant), "apres": _valeur_json(c.apres)}
            for c in ligne.changements
        ],
    }


def donnees_personnelles(participant: Participant, user=None) -> dict:
    """Everything the app holds on one participant (right of access, RGPD art. 15).

    Plain JSON types: dates as ISO strings, hours as decimal strings.
    """
    from heures import selectors as heures_selectors

    p = participant
    parametres = Parametres.get()
    criteres = list(
        CritereParticipant.objects.filter(participant=p)
        .select_related("critere", "prescripteur")
        .order_by("critere__ordre", "date_validation")
    )
    missions = list(
        heures_selectors.annoter_heures_validees_missions(
            Mission.objects.filter(participant=p).select_related(
                "lot__marche__donneur_ordre", "employeur"
            )
        ).order_by("date_debut", "pk")
    )
    lignes = list(
        LigneDeclaration.objects.filter(mission__participant=p)
        .select_related("declaration__entreprise", "mission")
        .order_by("declaration__mois", "mission__reference", "declaration__numero_version")
    )
    historique_participant = (
        Participant.history.filter(id=p.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    CritereHistorique = CritereParticipant.history.model
    historique_criteres = list(
        CritereHistorique.objects.filter(participant_id=p.pk)
        .select_related("history_user", "critere")
        .order_by("history_date", "history_id")
    )
    return {
        "document": "Données personnelles détenues sur un participant (droit d'accès, RGPD "
        "art. 15)",
        "responsable_du_traitement": parametres.nom_structure,
        "genere_le": _iso(timezone.now()),
        "genere_par": str(user) if user else None,
        "duree_conservation_annees": parametres.duree_conservation_annees,
        "participant": {
            "id": p.pk,
            "nom": p.nom,
            "prenom": p.prenom,
            "sexe": p.get_sexe_display(),
            "date_naissance": _iso(p.date_naissance),
            "commune": p.commune,
            "code_postal": p.code_postal,
            "resident_qpv": p.resident_qpv,
            "niveau_qualification": p.get_niveau_qualification_display(),
            "situation_entree": p.get_situation_entree_display(),
            "telephone": p.telephone,
            "email": p.email,
            "date_information_rgpd": _iso(p.date_information),
            "notes": p.notes,
            "cree_le": _iso(p.cree_le),
            "modifie_le": _iso(p.modifie_le),
            "anonymise_le": _iso(p.anonymise_le),
        },
        "criteres": [
            {
                "code": c.critere.code,
                "critere": c.critere.libelle,
                "donnee_sensible": c.critere.sensible,
                "date_validation": _iso(c.date_validation),
                "date_fin_validite": _iso(c.date_fin_validite),
                "justification": c.justification,
                "prescripteur": None
                if c.prescripteur is None
                else {
                    "nom": c.prescripteur.nom,
                    "type": c.prescripteur.get_type_display(),
                    "commune": c.prescripteur.commune,
                },
            }
            for c in criteres
        ],
        "missions": [
            {
                "reference": m.reference,
                "lot": str(m.lot),
                "marche": m.lot.marche.reference,
                "donneur_ordre": m.lot.marche.donneur_ordre.nom,
                "employeur": str(m.employeur),
                "modalite": m.get_modalite_display(),
                "type_contrat": m.get_type_contrat_display(),
                "poste": m.poste,
                "date_debut": _iso(m.date_debut),
                "date_fin": _iso(m.date_fin),
                "heures_prevues": _nombre(m.heures_prevues),
                "heures_validees": _nombre(m.heures_validees),
                "sortie": m.get_sortie_display(),
                "date_sortie": _iso(m.date_sortie),
                "situation_six_mois": m.get_situation_six_mois_display(),
                "motif_derogation_eligibilite": m.motif_derogation_eligibilite,
            }
            for m in missions
        ],
        "heures_declarees": [
            {
                "mission": ligne.mission.reference,
                "mois": ligne.declaration.mois.strftime("%Y-%m"),
                "entreprise": str(ligne.declaration.entreprise),
                "version_declaration": ligne.declaration.numero_version,
                "statut_declaration": ligne.declaration.get_statut_display(),
                "heures": _nombre(ligne.heures),
                "commentaire": ligne.commentaire,
            }
            for ligne in lignes
        ],
        "heures_validees_total": _nombre(heures_selectors.heures_participant(p)),
        "historique": [
            _historique_json(ligne)
            for ligne in lignes_historique(historique_participant, Participant, objets_lies=True)
        ],
        "historique_criteres": _historique_criteres(historique_criteres),
    }


def _historique_criteres(versions) -> list[dict]:
    """History of the criteria rows: each row diffed against its own previous version."""
    par_ligne: dict[int, list] = {}
    for version in versions:
        par_ligne.setdefault(version.id, []).append(version)
    lignes = []
    for versions_ligne in par_ligne.values():
        for ligne, version in zip(
            lignes_historique(
                versions_ligne,
                CritereParticipant,
                CHAMPS_TECHNIQUES | {"cree_le"},
                objets_lies=True,
            ),
            versions_ligne,
            strict=True,
        ):
            lignes.append({**_historique_json(ligne), "critere": version.critere.libelle})
    return sorted(lignes, key=lambda ligne: ligne["date"])
