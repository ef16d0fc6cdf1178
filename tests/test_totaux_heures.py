"""Maintained totals of hours (heures/services/totaux.py) against the one definition.

After validations, corrections (traced versions), rejections, deletions and an Excel-like line
change, every maintained figure equals the definition of heures/selectors.py; the command
``totaux_heures`` reports a drift (exit 1) and ``--corriger`` repairs it; the pages read them.
"""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from heures import selectors
from heures.models import (
    Attestation,
    DeclarationMensuelle,
    StatutDeclaration,
    TotalHeuresLot,
    TotalHeuresMois,
)
from heures.services import declarations, totaux
from marches.models import Lot
from mife import roles
from tests.factories import (
    ClauseFactory,
    DeclarationMensuelleFactory,
    EntrepriseFactory,
    LigneDeclarationFactory,
    MissionFactory,
)

pytestmark = pytest.mark.django_db
MARS, AVRIL = dt.date(2026, 3, 1), dt.date(2026, 4, 1)


@pytest.fixture
def lot():
    return ClauseFactory(
        heures_requises=Decimal("500"),
        lot__date_debut=dt.date(2026, 1, 1),
        lot__date_fin=dt.date(2027, 6, 30),
        lot__marche__date_notification=dt.date(2025, 12, 1),
    ).lot


@pytest.fixture
def cotraitant():
    return EntrepriseFactory(raison_sociale="Cotraitant")


@pytest.fixture
def missions(lot, cotraitant):
    debut, fin = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    return {
        "titulaire": MissionFactory(
            lot=lot, employeur=lot.titulaire, date_debut=debut, date_fin=fin
        ),
        "cotraitant": MissionFactory(lot=lot, employeur=cotraitant, date_debut=debut, date_fin=fin),
    }


@pytest.fixture
def saisie(make_user):
    return make_user(roles.FACILITATEUR, username="saisie")


@pytest.fixture
def suivi(make_user):
    return make_user(roles.SUIVI, username="suivi")


def _valider(entreprise, lot, mois, mission, heures, saisie, suivi):
    d = declarations.creer(entreprise, lot, mois, saisie)
    d = declarations.enregistrer_lignes(d, {mission.pk: Decimal(heures)}, d.version, saisie)
    d = declarations.soumettre(d, d.version, saisie)
    return declarations.valider(d, d.version, suivi)[0]


def _conformes(*lots):
    """Every maintained figure equals the definition of heures/selectors.py."""
    assert totaux.comparer() == []
    for lot in lots:
        annote = selectors.annoter_heures_realisees(Lot.objects.filter(pk=lot.pk)).get()
        assert annote.heures_realisees == selectors.heures_realisees_lot(lot)
    for d in DeclarationMensuelle.objects.all():
        assert d.total_declare == selectors.heures_declarees(d)


def test_validations_corrections_rejets_et_suppressions(lot, missions, cotraitant, saisie, suivi):
    autre = ClauseFactory(heures_requises=Decimal("100")).lot
    titulaire = lot.titulaire
    d1 = _valider(titulaire, lot, MARS, missions["titulaire"], "80", saisie, suivi)
    _valider(cotraitant, lot, MARS, missions["cotraitant"], "20.5", saisie, suivi)
    _valider(titulaire, lot, AVRIL, missions["titulaire"], "10", saisie, suivi)
    _conformes(lot, autre)
    assert TotalHeuresLot.objects.get(lot=lot).heures == Decimal("110.50")
    assert TotalHeuresMois.objects.get(lot=lot, entreprise=titulaire, mois=MARS).heures == 80

    # correction: the validated version keeps counting until the new one is validated
    d1.refresh_from_db()
    v2 = declarations.corriger(d1, "Erreur de saisie", d1.version, saisie)
    v2.refresh_from_db()
    assert v2.total_declare == Decimal("80")  # lines copied in bulk, total still right
    v2 = declarations.enregistrer_lignes(
        v2, {missions["titulaire"].pk: Decimal("60")}, v2.version, saisie
    )
    _conformes(lot)
    assert TotalHeuresLot.objects.get(lot=lot).heures == Decimal("110.50")
    # rejected, re-entered, then validated: the replaced version stops counting
    v2 = declarations.soumettre(v2, v2.version, saisie)
    v2 = declarations.rejeter(v2, "Vérifier", v2.version, suivi)
    v2 = declarations.enregistrer_lignes(
        v2, {missions["titulaire"].pk: Decimal("65.25")}, v2.version, saisie
    )
    v2 = declarations.soumettre(v2, v2.version, saisie)
    declarations.valider(v2, v2.version, suivi)
    d1.refresh_from_db()
    assert d1.statut == StatutDeclaration.REMPLACEE
    _conformes(lot, autre)
    assert TotalHeuresLot.objects.get(lot=lot).heures == Decimal("95.75")

    # a line removed from a draft, a validated declaration deleted (admin)
    brouillon = declarations.creer(titulaire, lot, dt.date(2026, 5, 1), saisie)
    brouillon = declarations.enregistrer_lignes(
        brouillon, {missions["titulaire"].pk: Decimal("7")}, brouillon.version, saisie
    )
    brouillon = declarations.enregistrer_lignes(
        brouillon, {missions["titulaire"].pk: None}, brouillon.version, saisie
    )
    supprimee = DeclarationMensuelle.objects.get(entreprise=cotraitant, mois=MARS)
    Attestation.objects.filter(declaration=supprimee).delete()  # PROTECT: admin removes it first
    supprimee.delete()
    _conformes(lot, autre)
    assert TotalHeuresLot.objects.get(lot=lot).heures == Decimal("75.25")
    assert not TotalHeuresMois.objects.filter(entreprise=cotraitant).exists()


def test_factory_et_admin_passent_par_les_signaux(lot, missions):
    d = DeclarationMensuelleFactory(lot=lot, entreprise=lot.titulaire, mois=MARS, validee=True)
    ligne = LigneDeclarationFactory(declaration=d, mission=missions["titulaire"], heures=12)
    _conformes(lot)
    ligne.heures = Decimal("14.5")
    ligne.save()
    _conformes(lot)
    assert selectors.heures_annee(2026) == Decimal("14.50")
    assert selectors.heures_par_annee_entreprise(lot.titulaire) == [(2026, Decimal("14.50"))]


def test_commande_signale_puis_corrige(lot, missions):
    d = DeclarationMensuelleFactory(lot=lot, entreprise=lot.titulaire, mois=MARS, validee=True)
    LigneDeclarationFactory(declaration=d, mission=missions["titulaire"], heures=12)
    call_command("totaux_heures", stdout=StringIO())  # conforming: no error
    # drift: a bulk load, or a hand-made SQL change, bypasses the signals
    TotalHeuresLot.objects.filter(lot=lot).update(heures=Decimal("999"))
    DeclarationMensuelle.objects.filter(pk=d.pk).update(total_declare=Decimal("1"))
    TotalHeuresMois.objects.all().delete()
    sortie = StringIO()
    with pytest.raises(CommandError) as erreur:
        call_command("totaux_heures", stdout=sortie)
    assert erreur.value.returncode == 1
    assert "3 total(s)" in str(erreur.value)
    texte = sortie.getvalue()
    assert f"lot {lot.pk} : maintenu 999.00 h, attendu 12.00 h" in texte
    assert f"déclaration n° {d.pk} : maintenu 1.00 h, attendu 12.00 h" in texte
    assert "maintenu absent, attendu 12.00 h" in texte

    sortie = StringIO()
    call_command("totaux_heures", "--corriger", stdout=sortie)
    assert "3 différence(s) corrigée(s)" in sortie.getvalue()
    _conformes(lot)


def test_reconstruire_apres_chargement_en_masse(lot, missions):
    d = DeclarationMensuelleFactory(lot=lot, entreprise=lot.titulaire, mois=MARS, validee=True)
    LigneDeclarationFactory(declaration=d, mission=missions["titulaire"], heures=5)
    TotalHeuresMois.objects.all().delete()
    TotalHeuresLot.objects.all().delete()
    assert (
        selectors.annoter_heures_realisees(Lot.objects.filter(pk=lot.pk)).get().heures_realisees
        == 0
    )
    totaux.reconstruire()
    _conformes(lot)
