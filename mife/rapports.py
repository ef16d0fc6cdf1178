"""Progress reports to buyers: for a marché or an opération and a month or a quarter, the
hours required, done, expected by now and forecast, the people by profile (counts of 1–2
shown « < 3 ») and the companies with their share — as a PDF and a workbook, e-mailed to the
buyer's contact with a chosen message, logged with the figures and the files as sent.

Figures come from ``mife.indicateurs`` (period) and ``heures.selectors`` (lots' progress and
forecast): the report says what the page and the bilan say.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from heures import selectors as heures_selectors
from marches.models import Lot, Marche, Operation
from mife import bilan, indicateurs
from mife.bilan import HEURES, NOMBRE, POURCENT, Colonne, Tableau
from mife.core import formats
from mife.core.models import Parametres
from mife.core.mois import ajouter_mois, lire_mois
from mife.indicateurs import Filtres

ZERO = Decimal("0")
PERIODE_INVALIDE = (
    "Période : indiquez un mois (2026-10 ou 10/2026) ou un trimestre (T3 2026 ou 2026-T3)."
)


@dataclass(frozen=True)
class Periode:
    debut: dt.date
    fin: dt.date
    libelle: str


def lire_periode(texte: str) -> Periode:
    """A month (``2026-10``, ``10/2026``) or a quarter (``T3 2026``, ``2026-T3``)."""
    texte = (texte or "").strip().upper()
    trimestre = re.fullmatch(r"T([1-4])\s*[-/ ]?\s*(\d{4})", texte) or re.fullmatch(
        r"(\d{4})\s*[-/ ]?\s*T([1-4])", texte
    )
    if trimestre:
        groupes = trimestre.groups()
        numero, annee = (
            (int(groupes[0]), int(groupes[1]))
            if texte.startswith("T")
            else (int(groupes[1]), int(groupes[0]))
        )
        debut = dt.date(annee, 3 * numero - 2, 1)
        return Periode(debut, ajouter_mois(debut, 3) - dt.timedelta(days=1), f"T{numero} {annee}")
    try:
        debut = lire_mois(texte)
    except ValueError as erreur:
        raise ValidationError(PERIODE_INVALIDE) from erreur
    return Periode(debut, ajouter_mois(debut, 1) - dt.timedelta(days=1), formats.mois_fr(debut))


def _perimetre(marche: Marche | None, operation: Operation | None):
    if (marche is None) == (operation is None):
        raise ValidationError("Choisissez un marché ou une opération (l'un des deux).")
    donneur = marche.donneur_ordre if marche is not None else operation.donneur_ordre
    return donneur, (marche or operation)


def calculer(marche: Marche | None, operation: Operation | None, periode: Periode) -> dict:
    """The report's figures, JSON-ready (they are stored in the log as sent)."""
    donneur, objet = _perimetre(marche, operation)
    filtres = Filtres(periode.debut, periode.fin, operation=operation, marche=marche)
    r = indicateurs.calculer(filtres)
    lots = Lot.objects.filter(filtres.q_lot())
    jour = min(timezone.localdate(), periode.fin + dt.timedelta(days=1))
    previsions = heures_selectors.previsions_lots(lots, jour)
    requises = sum((p.heures_requises for p in previsions), ZERO)
    attendues = sum(
        (p.heures_requises * Decimal(str(p.lot.avancement_attendu or 0)) / 100 for p in previsions),
        ZERO,
    )
    cumul = heures_selectors.total_heures(
        heures_selectors.lignes_validees().filter(
            declaration__lot__in=lots, declaration__mois__lte=periode.fin
        )
    )

    def profil(lignes):
        return [[ligne.libelle, ligne.personnes_affichees] for ligne in lignes]

    total = r.heures or Decimal(1)
    return {
        "donneur_ordre": donneur.nom,
        "perimetre": str(objet),
        "periode": periode.libelle,
        "debut": periode.debut.isoformat(),
        "fin": periode.fin.isoformat(),
        "heures_requises": str(requises.quantize(Decimal("0.01"))),
        "heures_periode": str(r.heures),
        "heures_cumulees": str(cumul),
        "heures_attendues": str(attendues.quantize(Decimal("0.01"))),
        "prevision": str(sum((p.prevision for p in previsions), ZERO)),
        "manque_prevu": str(sum((p.manque for p in previsions), ZERO)),
        "personnes": indicateurs.masquer(r.participants),
        "sexe": profil(r.par_sexe),
        "age": profil(r.par_age),
        "niveau": profil(r.par_cite),
        "situation": profil(r.par_situation),
        "qpv": profil(r.par_qpv),
        "entreprises": [
            [
                ligne.libelle,
                str(ligne.heures),
                str((ligne.heures * 100 / total).quantize(Decimal("0.1"))),
            ]
            for ligne in r.par_entreprise
        ],
    }


def tableaux(chiffres: dict) -> list[Tableau]:
    d = {
        k: Decimal(v)
        for k, v in chiffres.items()
        if k.startswith(("heures_", "prevision", "manque"))
    }
    avancement = [
        ["Heures d'insertion requises (lots du périmètre)", d["heures_requises"]],
        [f"Heures validées en {chiffres['periode']}", d["heures_periode"]],
        ["Heures validées cumulées à la fin de la période", d["heures_cumulees"]],
        ["Heures attendues à cette date (rythme des lots)", d["heures_attendues"]],
        ["Prévision à la fin des lots (rythme actuel)", d["prevision"]],
        ["Manque prévu à la fin des lots", d["manque_prevu"]],
    ]
    liste = [
        Tableau("Avancement", "Avancement", [Colonne("Indicateur"), Colonne("Heures", HEURES)],
                avancement),
        Tableau("Entreprises et leur part des heures de la période", "Entreprises",
                [Colonne("Entreprise"), Colonne("Heures", HEURES), Colonne("Part (%)", POURCENT)],
                [[e, Decimal(h), Decimal(p)] for e, h, p in chiffres["entreprises"]]),
    ]  # fmt: skip
    for cle, titre in [
        ("sexe", "Participants par sexe"),
        ("age", "Participants par tranche d'âge"),
        ("niveau", "Participants par niveau (CITE)"),
        ("situation", "Participants par situation à l'entrée"),
        ("qpv", "Participants par résidence en QPV"),
    ]:
        liste.append(
            Tableau(
                titre,
                titre.replace("Participants par ", "").capitalize()[:31],
                [Colonne("Catégorie"), Colonne("Personnes", NOMBRE)],
                chiffres[cle],
                "Un effectif de 1 ou 2 personnes s'affiche « < 3 ».",
            )
        )
    return liste


def pdf(chiffres: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "mife/rapport_pdf.html",
        {
            "c": chiffres,
            "tableaux": tableaux(chiffres),
            "parametres": Parametres.get(),
            "genere_le": timezone.localtime(),
            "police": finders.find("fonts/DejaVuSans.ttf"),
            "police_grasse": finders.find("fonts/DejaVuSans-Bold.ttf"),
        },
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def classeur(chiffres: dict) -> bytes:
    titre = f"Rapport {chiffres['periode']} — {chiffres['perimetre']}"
    return bilan.ecrire_classeur(titre, tableaux(chiffres))


def destinataires(marche: Marche | None, operation: Operation | None) -> list[str]:
    """The buyer's contact address; a contact without one is named (nothing is sent)."""
    donneur, _ = _perimetre(marche, operation)
    if not donneur.contact_email:
        nom = donneur.contact_nom or "sans nom"
        raise ValidationError(
            f"Le contact de {donneur.nom} ({nom}) n'a pas d'adresse e-mail : complétez la "
            "fiche du donneur d'ordre avant l'envoi."
        )
    return [donneur.contact_email]


def envoyer(marche, operation, periode: Periode, message: str, user):
    """Build the report, e-mail it with both files to the buyer's contact, and log it (the
    log keeps the figures and the files as sent, even when sending fails)."""
    from mife.models import RapportDonneur, StatutRapport

    adresses = destinataires(marche, operation)
    if not (message or "").strip():
        raise ValidationError("Message : écrivez le message qui accompagne le rapport.")
    donneur, objet = _perimetre(marche, operation)
    chiffres = calculer(marche, operation, periode)
    contenu_pdf, contenu_xlsx = pdf(chiffres), classeur(chiffres)
    sujet = f"Clause d'insertion — rapport {periode.libelle} — {objet}"[:250]
    nom = f"rapport-{periode.debut:%Y-%m}-{'marche' if marche else 'operation'}-{objet.pk}"
    courriel = EmailMessage(sujet, message, to=adresses)
    courriel.attach(f"{nom}.pdf", contenu_pdf, "application/pdf")
    courriel.attach(
        f"{nom}.xlsx",
        contenu_xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    statut, erreur = StatutRapport.ENVOYE, ""
    try:
        courriel.send()
    except Exception as exc:  # SMTP errors: logged, shown to the user
        statut, erreur = StatutRapport.ECHEC, f"L'envoi a échoué : {exc}"
    with transaction.atomic():
        rapport = RapportDonneur(
            donneur_ordre=donneur,
            marche=marche,
            operation=operation,
            debut=periode.debut,
            fin=periode.fin,
            libelle_periode=periode.libelle,
            destinataires=", ".join(adresses),
            sujet=sujet,
            message=message,
            chiffres=chiffres,
            statut=statut,
            erreur=erreur,
            envoye_par=user,
        )
        rapport.fichier_pdf.save(f"{nom}.pdf", ContentFile(contenu_pdf), save=False)
        rapport.fichier_xlsx.save(f"{nom}.xlsx", ContentFile(contenu_xlsx), save=False)
        rapport.save()
    return rapport
