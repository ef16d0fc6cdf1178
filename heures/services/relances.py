"""Reminders by e-mail to companies that have not declared a month's hours.

Recipients: the company's contacts marked « reçoit les relances d'heures »; failing that,
the principal contact; failing that, the company's e-mail. Without any address the reminder
is logged as failed (« aucun destinataire »). Every attempt is logged as a ``Relance`` row.
A pair company × lot × month already reminded the same day is skipped (counted « ignorée »).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from entreprises.models import Contact, Entreprise
from heures.models import Relance, StatutRelance
from heures.selectors_mois import NON_RECUE, STATUTS_A_RELANCER, LigneMois, lignes_du_mois
from marches.models import Lot
from mife.core import formats, grammaire
from mife.core.models import Parametres

ENVOYEE = "envoyee"
ECHEC = "echec"
IGNOREE = "ignoree"
AUCUN_DESTINATAIRE = (
    "Aucun destinataire : ni contact « relances », ni contact principal, ni e-mail."
)


@dataclass
class Bilan:
    envoyees: int = 0
    echecs: int = 0
    ignorees: int = 0
    details: list[tuple[LigneMois, str]] = field(default_factory=list)

    def compter(self, ligne: LigneMois, resultat: str) -> None:
        self.details.append((ligne, resultat))
        if resultat == ENVOYEE:
            self.envoyees += 1
        elif resultat == ECHEC:
            self.echecs += 1
        else:
            self.ignorees += 1

    def __str__(self) -> str:
        return (
            f"{self.envoyees} relance(s) envoyée(s), {self.echecs} échec(s), "
            f"{self.ignorees} ignorée(s)"
        )


def destinataires(entreprise: Entreprise, contacts: list[Contact]) -> list[str]:
    """E-mail addresses for a reminder (see the module's docstring for the fallbacks)."""
    avec_email = [c for c in contacts if c.email]
    choisis = [c.email for c in avec_email if c.destinataire_relances]
    if not choisis:
        choisis = [c.email for c in avec_email if c.principal]
    if not choisis and entreprise.email:
        choisis = [entreprise.email]
    return list(dict.fromkeys(choisis))  # without duplicates, order kept


def composer(ligne: LigneMois, entreprise: Entreprise, lot: Lot, nom_structure: str):
    """Subject (first line of the template) and body of the reminder."""
    texte = render_to_string(
        "heures/email_relance.txt",
        {
            "mois_fr": formats.mois_fr(ligne.mois),
            "de_mois": grammaire.de_mois(ligne.mois),
            "entreprise": entreprise,
            "lot": lot,
            "donneur_ordre": ligne.donneur_ordre,
            "statut": ligne.statut_libelle.lower(),
            "motif_rejet": ligne.motif_rejet,
            "nom_structure": nom_structure,
        },
    )
    sujet, _, corps = texte.strip().partition("\n")
    return sujet.strip(), corps.strip() + "\n"


def _deja_relancees_aujourdhui(mois: date) -> set[tuple[int, int]]:
    debut = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    return set(
        Relance.objects.filter(
            mois=mois, statut=StatutRelance.ENVOYEE, cree_le__gte=debut
        ).values_list("entreprise_id", "lot_id")
    )


@dataclass
class RelancePrevue:
    """One reminder as it would be sent: the confirmation page shows exactly this."""

    ligne: LigneMois
    entreprise: Entreprise
    lot: Lot
    adresses: list[str]
    sujet: str
    corps: str
    resultat: str  # ENVOYEE: to send; ECHEC: no recipient; IGNOREE: nothing to do

    @property
    def cle(self) -> str:
        """« entreprise-lot »: how the confirmation form names this reminder."""
        return cle_paire(self.ligne.entreprise_id, self.ligne.lot_id)


def cle_paire(entreprise_id: int, lot_id: int) -> str:
    return f"{entreprise_id}-{lot_id}"


def preparer(lignes: list[LigneMois]) -> list[RelancePrevue]:
    """What ``relancer_lignes`` would do for each row, without sending nor writing anything.

    A row needs no reminder (``IGNOREE``) when its declaration is soumise or validée, or when
    the pair was already reminded for that month today. Queries: a constant few (companies,
    contacts, lots, today's reminders), whatever the number of rows.
    """
    if not lignes:
        return []
    deja = set()
    for mois in {li.mois for li in lignes}:
        deja |= {(mois, *paire) for paire in _deja_relancees_aujourdhui(mois)}
    entreprises = Entreprise.objects.in_bulk({li.entreprise_id for li in lignes})
    contacts = defaultdict(list)
    for contact in Contact.objects.filter(entreprise_id__in=entreprises).order_by("pk"):
        contacts[contact.entreprise_id].append(contact)
    lots = Lot.objects.select_related("marche").in_bulk({li.lot_id for li in lignes})
    nom_structure = Parametres.get().nom_structure

    prevues = []
    for ligne in lignes:
        cle = (ligne.mois, ligne.entreprise_id, ligne.lot_id)
        entreprise, lot = entreprises[ligne.entreprise_id], lots[ligne.lot_id]
        adresses = destinataires(entreprise, contacts[entreprise.pk])
        sujet, corps = composer(ligne, entreprise, lot, nom_structure)
        if not ligne.a_relancer or cle in deja:
            resultat = IGNOREE
        elif not adresses:
            resultat = ECHEC
        else:
            resultat = ENVOYEE
            deja.add(cle)  # the same pair twice in ``lignes``: one reminder
        prevues.append(RelancePrevue(ligne, entreprise, lot, adresses, sujet, corps, resultat))
    return prevues


def relancer_lignes(lignes: list[LigneMois], user=None, *, dry_run: bool = False) -> Bilan:
    """Send (or, with ``dry_run``, only count) the reminders of ``lignes``.

    Rows whose status needs no reminder (soumise, validée) are counted as ignored.
    Queries: those of ``preparer``, then one insert per reminder.
    """
    bilan = Bilan()
    expediteur = settings.DEFAULT_FROM_EMAIL
    for prevue in preparer(lignes):
        if prevue.resultat == IGNOREE:
            bilan.compter(prevue.ligne, IGNOREE)
            continue
        statut, erreur = StatutRelance.ENVOYEE, ""
        if prevue.resultat == ECHEC:
            statut, erreur = StatutRelance.ECHEC, AUCUN_DESTINATAIRE
        elif not dry_run:
            try:
                send_mail(
                    prevue.sujet, prevue.corps, expediteur, prevue.adresses, fail_silently=False
                )
            except Exception as exc:  # any SMTP failure is logged, not raised
                statut, erreur = StatutRelance.ECHEC, f"Échec de l'envoi : {exc}"
        if not dry_run:
            Relance.objects.create(
                entreprise=prevue.entreprise,
                lot=prevue.lot,
                mois=prevue.ligne.mois,
                destinataires=", ".join(prevue.adresses),
                sujet=prevue.sujet,
                corps=prevue.corps,
                statut=statut,
                erreur=erreur,
                envoyee_par=user,
                modifie_par=user,
            )
        bilan.compter(prevue.ligne, ENVOYEE if statut == StatutRelance.ENVOYEE else ECHEC)
    return bilan


def relancer_mois(
    mois: date, user=None, *, statuts=STATUTS_A_RELANCER, dry_run: bool = False
) -> Bilan:
    """Remind every pair of ``mois`` whose status is in ``statuts`` (others are left out)."""
    lignes = [li for li in lignes_du_mois(mois) if li.statut in statuts]
    return relancer_lignes(lignes, user, dry_run=dry_run)


def lignes_non_recues(mois: date) -> list[LigneMois]:
    return [li for li in lignes_du_mois(mois) if li.statut == NON_RECUE]


def relancer_non_recues(mois: date, user=None) -> Bilan:
    return relancer_mois(mois, user, statuts={NON_RECUE})
