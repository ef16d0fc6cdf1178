"""Write-side rules of the contracts area. Views call these; nothing else saves these models."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from entreprises.models import Entreprise
from marches.models import (
    Clause,
    DonneurOrdre,
    Echange,
    Lot,
    Marche,
    Operation,
    Qualification,
    ReferenceCalcul,
)
from mife.core.concurrence import enregistrer_versionne
from mife.core.formats import date_fr


def enregistrer(instance, version_lue: int | None, user):
    """Save a buyer, an operation or a contract, refusing a stale version (who/when)."""
    assert isinstance(instance, DonneurOrdre | Operation | Marche)
    instance.full_clean()
    return enregistrer_versionne(instance, version_lue or 0, user=user)


def valeurs_par_defaut_calcul(marche: Marche) -> dict:
    """Calculator inputs proposed for a new lot: the reference values of the contract kind."""
    reference = ReferenceCalcul.objects.filter(nature=marche.nature).first()
    if reference is None:
        return {}
    return {
        "part_main_oeuvre": reference.part_main_oeuvre,
        "taux_insertion": reference.taux_insertion,
        "cout_horaire": reference.cout_horaire,
    }


@transaction.atomic
def enregistrer_lot(
    lot: Lot, clause: Clause, version_lue: int | None, user, cotraitants=None, sous_traitants=None
) -> Lot:
    """Save a lot and its clause together; the clause's computed hours are derived here."""
    lot.full_clean()
    enregistrer_versionne(lot, version_lue or 0, user=user)
    if cotraitants is not None:
        lot.cotraitants.set(cotraitants)
    if sous_traitants is not None:
        lot.sous_traitants.set(sous_traitants)
    clause.lot = lot
    clause.heures_calculees = Clause.calculer_heures(
        clause.montant_base, clause.part_main_oeuvre, clause.taux_insertion, clause.cout_horaire
    )
    if clause.heures_requises is None:
        clause.heures_requises = clause.heures_calculees
    clause.full_clean()
    clause.modifie_par = user
    if clause.pk:
        clause.version += 1
    clause.save()
    return lot


# --- Accompagnement des entreprises ---------------------------------------------------------


def enregistrer_echange(echange: Echange, version_lue: int | None, user) -> Echange:
    """Log or edit an exchange with a company; its author is the user who logs it."""
    if echange.pk is None:
        echange.auteur = user
    echange._history_user = user  # also outside a request (history: who)
    echange.full_clean()
    return enregistrer_versionne(echange, version_lue or 0, user=user)


def marquer_action_faite(echange: Echange, user, jour=None) -> Echange:
    """Mark the next action of an exchange as done (once: a second click changes nothing)."""
    with transaction.atomic():
        actuel = (
            Echange.objects.select_for_update(of=("self",))
            .select_related("action_faite_par")
            .get(pk=echange.pk)
        )
        if not actuel.prochaine_action:
            raise ValidationError("Cet échange n'a pas de prochaine action à marquer comme faite.")
        if actuel.action_faite_le:
            par = actuel.action_faite_par or "un autre utilisateur"
            raise ValidationError(
                f"Action déjà marquée faite le {date_fr(actuel.action_faite_le)} par {par}."
            )
        actuel.action_faite_le = jour or timezone.localdate()
        actuel.action_faite_par = user
        actuel._history_user = user
        return enregistrer_versionne(actuel, actuel.version, user=user)


# --- Repérage des marchés: the qualification queue -------------------------------------------


@transaction.atomic
def accepter_marche(marche: Marche, user, operation: Operation | None = None) -> Lot:
    """Follow a contract found in the DECP: its opération (the one given, or a new one named
    after its object), lot « 1 » with the published titulaires (the first holds it, the
    others co-contract) and a clause whose calculator is pre-filled from the amount.

    Returns the lot, whose page lets the facilitator adjust the clause.
    """
    marche = Marche.objects.select_for_update().get(pk=marche.pk)
    if marche.qualification == Qualification.SUIVI:
        raise ValidationError("Ce marché est déjà suivi.")
    if operation is not None and operation.donneur_ordre_id != marche.donneur_ordre_id:
        raise ValidationError("Cette opération appartient à un autre donneur d'ordre.")
    if operation is None:
        operation = Operation(donneur_ordre=marche.donneur_ordre, nom=marche.objet[:250])
        operation.date_debut = marche.date_notification
        operation.date_fin = marche.date_fin_prevue
        operation.modifie_par = user
        operation._history_user = user
        operation.save()
    marche.operation = operation
    marche.qualification = Qualification.SUIVI
    marche.motif_ecart = ""
    marche._history_user = user
    enregistrer_versionne(marche, marche.version, user=user)

    entreprises = Entreprise.objects.in_bulk(marche.titulaires_decp)
    titulaires = [entreprises[pk] for pk in marche.titulaires_decp if pk in entreprises]
    Entreprise.objects.filter(pk__in=[e.pk for e in titulaires], active=False).update(active=True)
    lot = marche.lots.filter(numero="1").first()
    if lot is None:
        lot = Lot(
            marche=marche,
            numero="1",
            intitule=marche.objet[: Lot._meta.get_field("intitule").max_length],
            montant_ht=marche.montant_ht,
            titulaire=titulaires[0] if titulaires else None,
            date_debut=marche.date_notification,
            date_fin=marche.date_fin_prevue,
            facilitateur=user,
        )
        clause = Clause(montant_base=marche.montant_ht, **valeurs_par_defaut_calcul(marche))
        clause.heures_requises = None
        lot._history_user = user
        sous_traitants = Entreprise.objects.filter(actes_sous_traitance__marche=marche).distinct()
        enregistrer_lot(
            lot, clause, None, user, cotraitants=titulaires[1:], sous_traitants=sous_traitants
        )
    return lot


def ecarter_marche(marche: Marche, user, motif: str) -> Marche:
    """Set aside a contract found in the DECP, with the reason (it can be taken back later)."""
    motif = (motif or "").strip()
    if not motif:
        raise ValidationError({"motif_ecart": "Indiquez pourquoi ce marché est écarté."})
    if marche.qualification == Qualification.SUIVI:
        raise ValidationError("Ce marché est suivi : il ne peut plus être écarté.")
    marche.qualification = Qualification.ECARTE
    marche.motif_ecart = motif
    marche._history_user = user
    return enregistrer_versionne(marche, marche.version, user=user)
