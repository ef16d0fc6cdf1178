"""Labels: awarded on the jury's decision for 3 years, dates changed only with a reason,
renewal reminded 6 months ahead, renewal dossier pre-filled from the last one."""

import secrets
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from label import selectors
from label.models import (
    DUREE_LABEL_ANNEES,
    ActionLabel,
    DossierLabel,
    Label,
    NatureJournal,
    StatutDossier,
)
from label.services.workflow import journaliser
from mife.core import formats
from mife.core.concurrence import ConflitDeVersion, enregistrer_versionne
from mife.core.models import Parametres


def ajouter_annees(jour: date, annees: int) -> date:
    try:
        return jour.replace(year=jour.year + annees)
    except ValueError:  # 29 February
        return jour.replace(year=jour.year + annees, day=28)


def prochain_numero(annee: int) -> str:
    """``EMP-2026-007``: the next number of the year (unique in the database)."""
    prefixe = f"EMP-{annee}-"
    derniers = Label.objects.filter(numero__startswith=prefixe).values_list("numero", flat=True)
    rang = max(
        (int(n.rsplit("-", 1)[1]) for n in derniers if n.rsplit("-", 1)[1].isdigit()), default=0
    )
    return f"{prefixe}{rang + 1:03d}"


@transaction.atomic
def attribuer(dossier: DossierLabel, date_obtention: date, user) -> Label:
    """The label of a dossier « labellisé », valid 3 years from the session's day."""
    if dossier.statut != StatutDossier.LABELLISE:
        raise ValidationError("Seul un dossier labellisé donne lieu à un label.")
    if Label.objects.filter(dossier=dossier).exists():
        raise ValidationError("Ce dossier a déjà son label.")
    for _ in range(3):  # a concurrent award may take the same number: try the next one
        label = Label(
            entreprise_id=dossier.entreprise_id,
            dossier=dossier,
            numero=prochain_numero(date_obtention.year),
            code_verification=secrets.token_urlsafe(12),
            date_obtention=date_obtention,
            date_expiration=ajouter_annees(date_obtention, DUREE_LABEL_ANNEES),
        )
        try:
            with transaction.atomic():
                enregistrer_versionne(label, 0, user=user)
        except IntegrityError:
            continue
        journaliser(
            dossier,
            f"Label {label.numero} attribué du {formats.date_fr(label.date_obtention)} au "
            f"{formats.date_fr(label.date_expiration)}",
            nature=NatureJournal.TRANSITION,
            user=user,
        )
        return label
    raise ValidationError("Numérotation du label impossible : réessayez.")


@transaction.atomic
def modifier_dates(
    label: Label, date_obtention, date_expiration, motif: str, version_lue: int | None, user
) -> Label:
    """Change a label's dates (administrator only: checked by the view), with a reason kept
    in the label's history."""
    actuel = (
        Label.objects.select_for_update(of=("self",)).select_related("modifie_par").get(pk=label.pk)
    )
    if version_lue is not None and actuel.version != version_lue:
        raise ConflitDeVersion(actuel)
    erreurs = {}
    if not (motif or "").strip():
        erreurs["motif"] = ["Indiquez le motif de la modification : il est conservé."]
    if date_obtention is None:
        erreurs["date_obtention"] = ["Indiquez la date d'obtention."]
    if date_expiration is None:
        erreurs["date_expiration"] = ["Indiquez la date de fin du label."]
    if date_obtention and date_expiration and date_expiration <= date_obtention:
        erreurs["date_expiration"] = [
            "Le label ne peut pas se terminer avant d'avoir commencé : la date de fin doit "
            "suivre la date d'obtention."
        ]
    if erreurs:
        raise ValidationError(erreurs)
    avant = (actuel.date_obtention, actuel.date_expiration)
    actuel.date_obtention, actuel.date_expiration = date_obtention, date_expiration
    actuel._change_reason = motif.strip()
    enregistrer_versionne(actuel, actuel.version, user=user)
    journaliser(
        actuel.dossier,
        f"Dates du label {actuel.numero} modifiées : du {formats.date_fr(avant[0])} au "
        f"{formats.date_fr(avant[1])} → du {formats.date_fr(date_obtention)} au "
        f"{formats.date_fr(date_expiration)}",
        user=user,
        commentaire=motif.strip(),
    )
    return actuel


# --- renewal -----------------------------------------------------------------------------------


@dataclass
class BilanRappels:
    envoyes: list[Label] = field(default_factory=list)
    sans_adresse: list[Label] = field(default_factory=list)

    def __str__(self) -> str:
        texte = f"{len(self.envoyes)} rappel(s) de renouvellement envoyé(s)"
        if self.sans_adresse:
            texte += ", sans adresse : " + ", ".join(str(x.entreprise) for x in self.sans_adresse)
        return texte + "."


def labels_a_rappeler(jour: date):
    """Labels expiring within the renewal delay, not yet reminded, without a renewal started."""
    return (
        selectors.labels_a_renouveler(jour)
        .filter(relance_renouvellement_le__isnull=True)
        .exclude(dossier__renouvellements__isnull=False)
        .select_related("entreprise", "dossier__animateur")
        .prefetch_related("entreprise__contacts")
        .order_by("date_expiration", "pk")
    )


def rappeler_renouvellements(jour: date | None = None, *, dry_run: bool = False) -> BilanRappels:
    """E-mail each company whose label expires within 6 months (and its animator, in copy);
    each label is reminded once."""
    from label.services.sessions import adresses_entreprise

    jour = jour or timezone.localdate()
    bilan = BilanRappels()
    nom_structure = Parametres.get().nom_structure
    for label in labels_a_rappeler(jour):
        adresses = adresses_entreprise(label.entreprise)
        if not adresses:
            bilan.sans_adresse.append(label)
            continue
        if not dry_run:
            texte = render_to_string(
                "label/email_renouvellement.txt",
                {
                    "label": label,
                    "expire_le": formats.date_fr(label.date_expiration),
                    "nom_structure": nom_structure,
                    "animateur": label.dossier.animateur,
                },
            )
            sujet, _, corps = texte.strip().partition("\n")
            copie = label.dossier.animateur.email if label.dossier.animateur else ""
            send_mail(
                sujet.strip(),
                corps.strip() + "\n",
                settings.DEFAULT_FROM_EMAIL,
                adresses + ([copie] if copie else []),
            )
            Label.objects.filter(pk=label.pk).update(relance_renouvellement_le=timezone.now())
        bilan.envoyes.append(label)
    return bilan


CHAMPS_REPRIS = ("bonnes_pratiques", "plan_amelioration", "diagnostic")


@transaction.atomic
def preparer_renouvellement(label: Label, user) -> DossierLabel:
    """A new dossier « en préparation » pre-filled from the label's dossier: its actions (to
    update: dates, quantities and evidence start empty), good practice and plan."""
    from label.services.dossiers import _verifier_pas_de_dossier_en_cours

    precedent = label.dossier
    annee = timezone.localdate().year
    _verifier_pas_de_dossier_en_cours(label.entreprise, annee)
    dossier = DossierLabel(
        entreprise=label.entreprise,
        annee=annee,
        renouvellement=True,
        statut=StatutDossier.EN_PREPARATION,
        animateur=user,
        dossier_precedent=precedent,
        **{champ: getattr(precedent, champ) for champ in CHAMPS_REPRIS},
    )
    enregistrer_versionne(dossier, 0, user=user)
    for action in precedent.actions.order_by("axe", "intitule", "pk"):
        ActionLabel.objects.create(
            dossier=dossier,
            axe=action.axe,
            theme=action.theme,
            intitule=action.intitule,
            description=action.description,
            indicateur=action.indicateur,
            modifie_par=user,
        )
    journaliser(
        dossier,
        f"Renouvellement du label {label.numero} (expire le "
        f"{formats.date_fr(label.date_expiration)}) : dossier repris de {precedent.annee}",
        nature=NatureJournal.TRANSITION,
        user=user,
        apres=StatutDossier.EN_PREPARATION,
    )
    return dossier
