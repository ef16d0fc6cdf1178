"""Eligibility diagnosis, dossier, actions and improvement plan.

Content changes (actions, plan, attachments) are allowed only while the dossier is « en
préparation » or « incomplet », by the animator or by a company contact through the personal
link; each change is written to the dossier's journal with its author (user or contact).
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from label import selectors
from label.models import (
    ActionLabel,
    Axe,
    DiagnosticEligibilite,
    DossierLabel,
    NatureJournal,
    StatutDossier,
)
from label.selectors import EtatLabel
from label.services.workflow import journaliser
from mife.core import formats
from mife.core.concurrence import ConflitDeVersion, enregistrer_versionne

#: A company needs at least this many employees (the « salariés » axis needs some).
EFFECTIF_MINIMUM = 1

CHAMPS_CONTENU = (
    "bonnes_pratiques",
    "plan_amelioration",
    "engagements_annee1",
    "engagements_annee2",
    "engagements_annee3",
    "diagnostic",
)
CHAMPS_ACTION = (
    "axe",
    "theme",
    "intitule",
    "description",
    "date_debut",
    "date_fin",
    "personnes",
    "heures",
    "indicateur",
    "realisee",
)


def _utilisateur(user):
    return user if getattr(user, "is_authenticated", False) else None


def _texte(valeur) -> str:
    if valeur is None or valeur == "":
        return "—"
    if isinstance(valeur, bool):
        return "oui" if valeur else "non"
    if isinstance(valeur, date):
        return formats.date_fr(valeur)
    texte = str(valeur)
    return texte if len(texte) <= 60 else texte[:57] + "…"


def differences(avant, apres, champs) -> list[str]:
    """« intitulé : « A » → « B » » for each field that changed between two instances."""
    lignes = []
    for champ in champs:
        ancien, nouveau = getattr(avant, champ), getattr(apres, champ)
        if ancien != nouveau:
            nom = type(apres)._meta.get_field(champ).verbose_name
            lignes.append(f"{nom} : « {_texte(ancien)} » → « {_texte(nouveau)} »")
    return lignes


def verifier_modifiable(dossier: DossierLabel) -> None:
    if not dossier.modifiable:
        raise ValidationError(
            f"Le dossier est « {dossier.get_statut_display().lower()} » : son contenu ne peut "
            "plus être modifié (seulement en préparation ou quand il est déclaré incomplet)."
        )


# --- eligibility diagnosis ---------------------------------------------------------------------


def situation_label(entreprise, jour: date) -> tuple[str, bool]:
    """The company's previous label, in words, and whether it blocks a new dossier (a label
    still valid beyond the renewal delay)."""
    label = selectors.label_courant(entreprise)
    if label is None:
        return "Aucun label précédent", False
    etat = selectors.etat_label_le(label, jour)
    if etat == EtatLabel.EXPIRE:
        return f"Label expiré le {formats.date_fr(label.date_expiration)}", False
    texte = f"Label valide jusqu'au {formats.date_fr(label.date_expiration)}"
    bloque = label.date_expiration > selectors.limite_renouvellement(jour)
    return texte, bloque


@transaction.atomic
def enregistrer_diagnostic(diagnostic: DiagnosticEligibilite, user) -> DiagnosticEligibilite:
    """Record the checklist with its result, computed here (never typed)."""
    diagnostic.date = diagnostic.date or timezone.localdate()
    motifs = []
    if not diagnostic.implantee_territoire:
        motifs.append("L'entreprise n'est pas implantée sur le Territoire de Belfort.")
    if not diagnostic.engagements:
        motifs.append("L'entreprise n'accepte pas les engagements du label.")
    if diagnostic.effectif is None or diagnostic.effectif < EFFECTIF_MINIMUM:
        motifs.append(f"Effectif insuffisant : au moins {EFFECTIF_MINIMUM} salarié(e) requis.")
    texte, bloque = situation_label(diagnostic.entreprise, diagnostic.date)
    if bloque:
        motifs.append(
            f"{texte} : le renouvellement se prépare dans les "
            f"{selectors.DELAI_RENOUVELLEMENT_MOIS} mois qui précèdent l'expiration."
        )
    diagnostic.label_precedent = texte
    diagnostic.eligible = not motifs
    diagnostic.motifs = "\n".join(motifs)
    diagnostic.realise_par = _utilisateur(user)
    diagnostic.modifie_par = _utilisateur(user)
    diagnostic.full_clean()
    diagnostic.save()
    return diagnostic


def _verifier_pas_de_dossier_en_cours(entreprise, annee: int) -> None:
    en_cours = selectors.dossier_en_cours(entreprise)
    if en_cours is not None:
        raise ValidationError(
            f"{entreprise} a déjà un dossier en cours ({en_cours.annee}, "
            f"{en_cours.get_statut_display().lower()}) : une entreprise n'a qu'un dossier en "
            "cours à la fois."
        )
    if DossierLabel.objects.filter(entreprise=entreprise, annee=annee).exists():
        raise ValidationError(f"{entreprise} a déjà un dossier de labellisation pour {annee}.")


@transaction.atomic
def ouvrir_dossier(diagnostic: DiagnosticEligibilite, user) -> DossierLabel:
    """Open a dossier « en préparation » from an eligible diagnosis."""
    if not diagnostic.eligible:
        raise ValidationError(
            "Le diagnostic conclut à la non-éligibilité : aucun dossier ne peut être ouvert."
        )
    if diagnostic.dossiers.exists():
        raise ValidationError("Un dossier a déjà été ouvert à partir de ce diagnostic.")
    annee = timezone.localdate().year
    _verifier_pas_de_dossier_en_cours(diagnostic.entreprise, annee)
    dossier = DossierLabel(
        entreprise=diagnostic.entreprise,
        annee=annee,
        statut=StatutDossier.EN_PREPARATION,
        animateur=_utilisateur(user),
        diagnostic_eligibilite=diagnostic,
    )
    try:
        with transaction.atomic():
            enregistrer_versionne(dossier, 0, user=_utilisateur(user))
    except IntegrityError:  # a concurrent opening of the same company's dossier
        raise ValidationError(f"{diagnostic.entreprise} a déjà un dossier en cours.") from None
    journaliser(
        dossier,
        f"Dossier ouvert après le diagnostic d'éligibilité du {formats.date_fr(diagnostic.date)}",
        nature=NatureJournal.TRANSITION,
        user=user,
        apres=StatutDossier.EN_PREPARATION,
    )
    return dossier


# --- content: plan, good practice --------------------------------------------------------------


@transaction.atomic
def enregistrer_contenu(
    dossier: DossierLabel, version_lue: int | None, user=None, contact=None
) -> DossierLabel:
    """Save the plan and good practice (fields of ``CHAMPS_CONTENU``) under the version the
    author opened; the journal says which fields changed."""
    avant = DossierLabel.objects.select_related("modifie_par").get(pk=dossier.pk)
    if version_lue is not None and avant.version != version_lue:
        raise ConflitDeVersion(avant)
    verifier_modifiable(avant)
    changements = differences(avant, dossier, CHAMPS_CONTENU)
    enregistrer_versionne(dossier, avant.version, user=_utilisateur(user))
    if changements:
        journaliser(
            dossier,
            "Plan et bonnes pratiques modifiés : " + " ; ".join(changements),
            user=user,
            contact=contact,
        )
    return dossier


# --- actions -----------------------------------------------------------------------------------


def erreurs_action(axe, theme, date_debut, date_fin, heures) -> dict[str, str]:
    """The rules of an action beyond each field (run by the form and again on save)."""
    erreurs = {}
    if date_debut and date_fin and date_fin < date_debut:
        erreurs["date_fin"] = "La date de fin doit être postérieure ou égale à la date de début."
    if heures is not None and heures < 0:
        erreurs["heures"] = "Le nombre d'heures ne peut pas être négatif."
    if axe and axe != Axe.SALARIES and theme:
        erreurs["theme"] = "Le thème ne s'indique que pour une action de l'axe « Salariés »."
    if axe == Axe.SALARIES and not theme:
        erreurs["theme"] = "Choisissez le thème de cette action de l'axe « Salariés »."
    return erreurs


def verifier_action(action: ActionLabel) -> None:
    erreurs = erreurs_action(
        action.axe, action.theme, action.date_debut, action.date_fin, action.heures
    )
    if erreurs:
        raise ValidationError(erreurs)
    action.full_clean(exclude=["dossier"])


@transaction.atomic
def enregistrer_action(
    action: ActionLabel, version_lue: int | None, user=None, contact=None
) -> ActionLabel:
    """Create or update an action of a modifiable dossier (traced in the journal)."""
    dossier = DossierLabel.objects.select_for_update(of=("self",)).get(pk=action.dossier_id)
    verifier_modifiable(dossier)
    verifier_action(action)
    if action.pk is None:
        enregistrer_versionne(action, 0, user=_utilisateur(user))
        journaliser(
            dossier,
            f"Action « {action.intitule} » ajoutée (axe {action.get_axe_display()})",
            user=user,
            contact=contact,
        )
        return action
    avant = ActionLabel.objects.select_related("modifie_par").get(pk=action.pk)
    if avant.dossier_id != action.dossier_id:
        raise ValidationError("Cette action n'appartient pas à ce dossier.")
    if version_lue is not None and avant.version != version_lue:
        raise ConflitDeVersion(avant)
    changements = differences(avant, action, CHAMPS_ACTION)
    enregistrer_versionne(action, avant.version, user=_utilisateur(user))
    if changements:
        journaliser(
            dossier,
            f"Action « {action.intitule} » modifiée : " + " ; ".join(changements),
            user=user,
            contact=contact,
        )
    return action


@transaction.atomic
def supprimer_action(action: ActionLabel, user=None, contact=None) -> None:
    dossier = DossierLabel.objects.select_for_update(of=("self",)).get(pk=action.dossier_id)
    verifier_modifiable(dossier)
    nb_pieces = action.pieces.count()
    for piece in action.pieces.all():
        piece.fichier.delete(save=False)
    action.delete()
    journaliser(
        dossier,
        f"Action « {action.intitule} » supprimée"
        + (f" avec ses {nb_pieces} pièce(s) justificative(s)" if nb_pieces else ""),
        user=user,
        contact=contact,
    )
