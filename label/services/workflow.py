"""The life of a dossier: the allowed transitions, defined once.

    en préparation → déposé → recevable → inscrit à une session → labellisé / ajourné / refusé
                        ↘ incomplet (motif) ↗ (redéposé)            ajourné → en préparation

Each transition names the permission it needs; views and templates ask
``transitions_possibles`` which buttons to show, and every change goes through ``appliquer``
(or, for the session's moves, ``changer_statut`` called by ``label.services.sessions``), which
checks the table again and writes the journal (who, when, comment).
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from label import selectors
from label.models import DossierLabel, JournalDossier, NatureJournal, StatutDossier
from mife.core.concurrence import ConflitDeVersion, enregistrer_versionne

S = StatutDossier


@dataclass(frozen=True)
class Transition:
    code: str
    depuis: tuple[str, ...]
    vers: str
    libelle: str
    permission: str
    motif_obligatoire: bool = False
    exige_complet: bool = False
    #: Done from the session's page (agenda, decision), not with a button of the dossier.
    par_session: bool = False


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "deposer",
        (S.EN_PREPARATION, S.INCOMPLET),
        S.DEPOSE,
        "Déposer le dossier",
        "label.change_dossierlabel",
        exige_complet=True,
    ),
    Transition(
        "recevable", (S.DEPOSE,), S.RECEVABLE, "Déclarer recevable", "label.instruire_dossierlabel"
    ),
    Transition(
        "incomplet",
        (S.DEPOSE,),
        S.INCOMPLET,
        "Déclarer incomplet (retour à l'entreprise)",
        "label.instruire_dossierlabel",
        motif_obligatoire=True,
    ),
    Transition(
        "inscrire",
        (S.RECEVABLE,),
        S.INSCRIT,
        "Inscrire à une session",
        "label.change_sessionjury",
        par_session=True,
    ),
    Transition(
        "retirer",
        (S.INSCRIT,),
        S.RECEVABLE,
        "Retirer de l'ordre du jour",
        "label.change_sessionjury",
        par_session=True,
    ),
    Transition(
        "labelliser",
        (S.INSCRIT,),
        S.LABELLISE,
        "Labellisé",
        "label.decider_dossierlabel",
        par_session=True,
    ),
    Transition(
        "ajourner",
        (S.INSCRIT,),
        S.AJOURNE,
        "Ajourné",
        "label.decider_dossierlabel",
        motif_obligatoire=True,
        par_session=True,
    ),
    Transition(
        "refuser",
        (S.INSCRIT,),
        S.REFUSE,
        "Refusé",
        "label.decider_dossierlabel",
        motif_obligatoire=True,
        par_session=True,
    ),
    Transition(
        "reprendre",
        (S.AJOURNE,),
        S.EN_PREPARATION,
        "Reprendre le dossier",
        "label.change_dossierlabel",
    ),
)
PAR_CODE = {t.code: t for t in TRANSITIONS}


def transitions_possibles(dossier: DossierLabel, user=None) -> list[Transition]:
    """Transitions from the dossier's status (that ``user`` may make, when given)."""
    return [
        t
        for t in TRANSITIONS
        if dossier.statut in t.depuis and (user is None or user.has_perm(t.permission))
    ]


def boutons(dossier: DossierLabel, user) -> list[Transition]:
    """The transitions shown as buttons on the dossier's page (not the session's moves)."""
    return [t for t in transitions_possibles(dossier, user) if not t.par_session]


def journaliser(
    dossier: DossierLabel,
    description: str,
    *,
    nature: str = NatureJournal.CONTENU,
    user=None,
    contact=None,
    commentaire: str = "",
    avant: str = "",
    apres: str = "",
) -> JournalDossier:
    return JournalDossier.objects.create(
        dossier=dossier,
        le=timezone.now(),
        auteur=user if getattr(user, "is_authenticated", False) else None,
        contact=contact,
        nature=nature,
        statut_avant=avant,
        statut_apres=apres,
        description=description[:500],
        commentaire=commentaire,
    )


def _verifier(dossier: DossierLabel, transition: Transition, user, commentaire: str) -> None:
    if dossier.statut not in transition.depuis:
        raise ValidationError(
            f"« {transition.libelle} » est impossible : le dossier est "
            f"« {dossier.get_statut_display().lower()} »."
        )
    if user is not None and not user.has_perm(transition.permission):
        raise ValidationError(f"Vous n'avez pas le droit de faire « {transition.libelle} ».")
    if transition.motif_obligatoire and not commentaire.strip():
        raise ValidationError({"commentaire": "Indiquez le motif : il sera transmis et tracé."})
    if transition.exige_complet:
        completude = selectors.completude(dossier)
        if not completude.complet:
            raise ValidationError(
                "Dossier incomplet, il ne peut pas être déposé. Il manque : "
                + " ; ".join(completude.manquants)
                + "."
            )


def changer_statut(
    dossier: DossierLabel,
    code: str,
    user,
    commentaire: str = "",
    version_lue: int | None = None,
) -> DossierLabel:
    """Apply transition ``code`` (checked against the table), save and trace it.

    Call inside a transaction; ``dossier`` is re-read under lock.
    """
    transition = PAR_CODE[code]
    actuel = (
        DossierLabel.objects.select_for_update(of=("self",))
        .select_related("modifie_par")
        .get(pk=dossier.pk)
    )
    if version_lue is not None and actuel.version != version_lue:
        raise ConflitDeVersion(actuel)
    _verifier(actuel, transition, user, commentaire)
    avant = actuel.statut
    actuel.statut = transition.vers
    if transition.vers == S.DEPOSE:
        actuel.date_depot = timezone.localdate()
    actuel._history_user = user if getattr(user, "is_authenticated", False) else None
    enregistrer_versionne(
        actuel, actuel.version, user=user if getattr(user, "is_authenticated", False) else None
    )
    journaliser(
        actuel,
        f"{StatutDossier(avant).label} → {StatutDossier(transition.vers).label}",
        nature=NatureJournal.TRANSITION,
        user=user,
        commentaire=commentaire.strip(),
        avant=avant,
        apres=transition.vers,
    )
    dossier.statut, dossier.version, dossier.date_depot = (
        actuel.statut,
        actuel.version,
        actuel.date_depot,
    )
    return actuel


@transaction.atomic
def appliquer(
    dossier: DossierLabel, code: str, user, commentaire: str = "", version_lue=None
) -> DossierLabel:
    """A transition asked from the dossier's page (the session's moves are refused here)."""
    transition = PAR_CODE.get(code)
    if transition is None:
        raise ValidationError("Action inconnue : rien n'a été modifié.")
    if transition.par_session:
        raise ValidationError(f"« {transition.libelle} » se fait depuis la page de la session.")
    return changer_statut(dossier, code, user, commentaire, version_lue)
