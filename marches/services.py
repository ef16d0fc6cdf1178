"""Write-side rules of the contracts area. Views call these; nothing else saves these models."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from marches.models import Clause, DonneurOrdre, Echange, Lot, Marche, Operation, ReferenceCalcul
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
