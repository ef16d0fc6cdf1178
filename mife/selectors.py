"""Figures of the home pages. Each role's home reads the apps' selectors (DESIGN.md §3)."""

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from entreprises.models import Entreprise
from heures import selectors as heures_selectors
from heures.models import DeclarationMensuelle, Participant, StatutDeclaration
from label import selectors as label_selectors
from label.models import (
    DossierLabel,
    EvenementAnimation,
    Label,
    SessionJury,
    StatutDossier,
    StatutSession,
)
from marches.models import Echange, Lot, Marche, Qualification
from mife import roles
from mife.core.models import Parametres


def accueil_facilitateur(user) -> dict:
    aujourdhui = timezone.localdate()
    marge = Parametres.get().marge_retard
    mes_lots = heures_selectors.annoter_avancement(
        Lot.objects.actifs_le(aujourdhui)
        .filter(facilitateur=user)
        .select_related("marche__donneur_ordre", "titulaire", "clause")
        .order_by("date_fin"),
        aujourdhui,
        marge,
    )
    return {
        "mes_lots": list(mes_lots[:10]),
        "nb_mes_lots": mes_lots.count(),
        "nb_lots_en_cours": Lot.objects.actifs_le(aujourdhui).count(),
        "nb_lots_en_retard": heures_selectors.lots_en_retard(
            Lot.objects.all(), aujourdhui, marge
        ).count(),
        "nb_brouillons": DeclarationMensuelle.objects.filter(
            statut=StatutDeclaration.BROUILLON
        ).count(),
        "nb_rejetees": DeclarationMensuelle.objects.filter(
            statut=StatutDeclaration.REJETEE
        ).count(),
        "nb_participants": Participant.objects.filter(anonymise_le__isnull=True).count(),
        **marches_a_qualifier(),
        **prochaines_actions(user, aujourdhui),
    }


# Next actions agreed with companies, shown on the facilitator's home this many days ahead.
HORIZON_ACTIONS_JOURS = 7


def marches_a_qualifier() -> dict:
    """Contracts found in the DECP waiting to be qualified (the new ones: last 7 days)."""
    return Marche.objects.filter(qualification=Qualification.A_QUALIFIER).aggregate(
        nb_marches_a_qualifier=Count("pk"),
        nb_nouveaux_a_qualifier=Count(
            "pk", filter=Q(cree_le__gte=timezone.now() - timedelta(days=7))
        ),
    )


def prochaines_actions(user, aujourdhui) -> dict:
    """Next actions not done, due within the horizon (or late), that the user wrote or that
    concern a lot the user follows."""
    actions = (
        Echange.objects.actions_dues(aujourdhui + timedelta(days=HORIZON_ACTIONS_JOURS))
        .suivis_par(user)
        .select_related("entreprise", "lot__marche")
        .order_by("echeance", "pk")
    )
    return {
        "prochaines_actions": list(actions[:20]),
        "nb_prochaines_actions": actions.count(),
        "horizon_actions": HORIZON_ACTIONS_JOURS,
    }


def accueil_suivi(user) -> dict:
    a_valider = heures_selectors.declarations_a_valider().select_related(
        "entreprise", "lot__marche"
    )
    return {
        "declarations_a_valider": list(a_valider.order_by("soumise_le")[:10]),
        "nb_a_valider": a_valider.count(),
        "nb_rejetees": DeclarationMensuelle.objects.filter(
            statut=StatutDeclaration.REJETEE
        ).count(),
        "nb_brouillons": DeclarationMensuelle.objects.filter(
            statut=StatutDeclaration.BROUILLON
        ).count(),
        "nb_a_reemettre": heures_selectors.attestations_a_reemettre().count(),
    }


def accueil_animateur(user) -> dict:
    aujourdhui = timezone.localdate()
    comptes = dict(DossierLabel.objects.values_list("statut").annotate(n=Count("pk")).order_by())
    a_renouveler = label_selectors.labels_a_renouveler(aujourdhui)
    return {
        "aujourdhui": aujourdhui,
        "dossiers_par_statut": [
            {"code": code, "libelle": libelle, "n": comptes.get(code, 0)}
            for code, libelle in StatutDossier.choices
        ],
        "dossiers_a_instruire": list(
            DossierLabel.objects.filter(statut=StatutDossier.DEPOSE)
            .select_related("entreprise")
            .order_by("date_depot", "pk")[:10]
        ),
        "prochaine_session": SessionJury.objects.filter(
            statut=StatutSession.PLANIFIEE, date__gte=timezone.now()
        )
        .annotate(nb_dossiers=Count("passages"))
        .order_by("date")
        .first(),
        "labels_expirant": list(
            a_renouveler.select_related("entreprise")
            .annotate(nb_renouvellements=Count("dossier__renouvellements"))
            .order_by("date_expiration")
        ),
        "delai_renouvellement": label_selectors.DELAI_RENOUVELLEMENT_MOIS,
        "nb_labels_valides": Label.objects.valides_le(aujourdhui).count(),
        "prochains_evenements": list(
            EvenementAnimation.objects.filter(date__gte=timezone.now()).order_by("date")[:3]
        ),
    }


def accueil_direction(user) -> dict:
    annee = timezone.localdate().year
    parametres = Parametres.get()
    heures = heures_selectors.heures_annee(annee)
    return {
        "annee": annee,
        "heures_annee": heures,
        "etp_annee": heures_selectors.etp(heures, parametres),
        "participants_annee": heures_selectors.participants_avec_heures(annee),
        "nb_lots_en_cours": Lot.objects.actifs_le(timezone.localdate()).count(),
        "nb_entreprises": Entreprise.objects.filter(active=True).count(),
        "nb_labels_valides": Label.objects.valides_le(timezone.localdate()).count(),
    }


def accueil_admin(user) -> dict:
    from django.contrib.auth import get_user_model

    return {
        "nb_utilisateurs": get_user_model().objects.filter(is_active=True).count(),
        "parametres": Parametres.get(),
    }


ACCUEILS = {
    roles.FACILITATEUR: ("mife/accueil_facilitateur.html", accueil_facilitateur),
    roles.SUIVI: ("mife/accueil_suivi.html", accueil_suivi),
    roles.ANIMATEUR: ("mife/accueil_animateur.html", accueil_animateur),
    roles.DIRECTION: ("mife/accueil_direction.html", accueil_direction),
    roles.ADMIN: ("mife/accueil_admin.html", accueil_admin),
}
