"""Amounts typed as people write them (mife/core/champs.py: ``lire_montant``, ``ChampMontant``),
used by every amount field of the forms, and the lot's « montant HT retenu » pre-filled from
the lot's amount."""

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.urls import reverse

from marches.forms import CalculForm, ClauseForm, LotForm, MarcheForm
from marches.models import Clause, Lot, Marche
from mife.core.champs import ChampMontant, lire_montant
from tests.factories import ClauseFactory, DonneurOrdreFactory, LotFactory, MarcheFactory
from tests.test_marches_edition import _champs, _doc, _donnees_lot, _erreurs, _lignes

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("texte", "attendu"),
    [
        ("1 250 000", Decimal("1250000")),
        ("1 250 000,50 €", Decimal("1250000.50")),
        ("1 250 000.50", Decimal("1250000.50")),
        (f"1{NBSP}250{NBSP}000,50{NBSP}€", Decimal("1250000.50")),
        (f"1{NNBSP}250{NNBSP}000,50", Decimal("1250000.50")),
        ("1 250 000 EUR", Decimal("1250000")),
        ("1250000,5 eur", Decimal("1250000.5")),
        ("1.250.000,50", Decimal("1250000.50")),
        ("1,250,000.50", Decimal("1250000.50")),
        ("12,5", Decimal("12.5")),
        ("0", Decimal("0")),
    ],
)
def test_lire_montant(texte, attendu):
    assert lire_montant(texte) == attendu


@pytest.mark.parametrize(
    "texte", ["", "€", "12abc", "1,2,3", "12 € 50", "1.250,50,3", "--5", "€12"]
)
def test_lire_montant_refuse(texte):
    with pytest.raises(ValueError):
        lire_montant(texte)


class FormulaireMontant(forms.Form):
    montant = ChampMontant(label="Montant HT", max_digits=14, decimal_places=2, min_value=0)


def test_champ_montant_nomme_le_champ_fautif():
    form = FormulaireMontant({"montant": "12 abc €"})
    assert not form.is_valid()
    (message,) = form.errors["montant"]
    assert message.startswith("« 12 abc € » n'est pas un montant.")
    assert "1 250 000,50 €" in message


def test_champ_montant_bornes_et_widget():
    assert FormulaireMontant({"montant": "1 250 000,50 €"}).is_valid()
    trop = FormulaireMontant({"montant": "1 000 000 000 000 000"})
    assert not trop.is_valid() and "chiffres" in trop.errors["montant"][0]
    negatif = FormulaireMontant({"montant": "-5"})
    assert not negatif.is_valid() and "supérieure ou égale à 0" in negatif.errors["montant"][0]
    html = str(FormulaireMontant()["montant"])
    assert 'type="text"' in html and 'inputmode="decimal"' in html and "step" not in html
    # Shown back the French way, and read again as typed.
    affiche = FormulaireMontant(initial={"montant": Decimal("1250000.5")})["montant"].value()
    champ = FormulaireMontant.base_fields["montant"]
    assert champ.prepare_value(Decimal("1250000.5")) == f"1{NBSP}250{NBSP}000,50"
    assert affiche == f"1{NBSP}250{NBSP}000,50"
    relu = FormulaireMontant({"montant": affiche})
    assert relu.is_valid() and relu.cleaned_data["montant"] == Decimal("1250000.50")


def test_tous_les_montants_des_formulaires_utilisent_le_champ():
    montants = {
        MarcheForm: ["montant_ht"],
        LotForm: ["montant_ht"],
        ClauseForm: ["montant_base", "cout_horaire", "penalite_horaire"],
        CalculForm: ["montant_base", "cout_horaire"],
    }
    for formulaire, champs in montants.items():
        for nom in champs:
            assert isinstance(formulaire.base_fields[nom], ChampMontant), (formulaire, nom)


@pytest.mark.django_db
def test_marche_enregistre_un_montant_avec_espaces_et_euros(client_for):
    client = client_for("facilitateur")
    donneur = DonneurOrdreFactory()
    data = {
        "donneur_ordre": donneur.pk,
        "reference": "2026-BEL-001",
        "objet": "Réhabilitation",
        "nature": "travaux",
        "procedure": "adaptee",
        "montant_ht": f"1{NNBSP}250{NNBSP}000,50 €",
    }
    assert client.post(reverse("marches:marche_creer"), data).status_code == 302
    assert Marche.objects.get(reference="2026-BEL-001").montant_ht == Decimal("1250000.50")


@pytest.mark.django_db
def test_montant_illisible_refuse_sans_rien_enregistrer(client_for):
    client = client_for("facilitateur")
    marche = MarcheFactory(nature="travaux", date_notification=dt.date(2025, 1, 15))
    avant = _lignes()
    data = _donnees_lot(client, marche, montant_ht="1 250 000 euros et 12")
    reponse = client.post(reverse("marches:lot_creer", args=[marche.pk]), data)
    assert reponse.status_code == 200
    assert "« 1 250 000 euros et 12 » n'est pas un montant." in _erreurs(reponse, "montant_ht")
    # The summary at the top names the field, with a link to it.
    resume = _doc(reponse).xpath('//div[starts-with(@id, "resume-erreurs")]')[0].text_content()
    assert "Montant HT (€) : « 1 250 000 euros et 12 » n'est pas un montant." in " ".join(
        resume.split()
    )
    assert _lignes() == avant


@pytest.mark.django_db
def test_montant_retenu_prerempli_depuis_le_lot(client_for):
    client = client_for("facilitateur")
    clause = ClauseFactory(lot__montant_ht=Decimal("480000"), montant_base=None)
    url = reverse("marches:lot_modifier", args=[clause.lot.pk])
    champs = _champs(client.get(url))
    assert champs["montant_base"] == f"480{NBSP}000,00"
    assert champs["montant_ht"] == f"480{NBSP}000,00"
    # A clause with its own amount keeps it.
    autre = ClauseFactory(lot__montant_ht=Decimal("480000"), montant_base=Decimal("300000"))
    champs = _champs(client.get(reverse("marches:lot_modifier", args=[autre.lot.pk])))
    assert champs["montant_base"] == f"300{NBSP}000,00"


@pytest.mark.django_db
def test_montant_retenu_vide_prend_le_montant_du_lot(client_for):
    client = client_for("facilitateur")
    marche = MarcheFactory(nature="travaux", date_notification=dt.date(2025, 1, 15))
    data = _donnees_lot(client, marche, montant_ht="1 000 000 €", montant_base="")
    reponse = client.post(reverse("marches:lot_creer", args=[marche.pk]), data)
    assert reponse.status_code == 302
    clause = Clause.objects.get(lot__marche=marche)
    assert clause.montant_base == Decimal("1000000")
    assert clause.heures_calculees > 0
    assert Lot.objects.get(marche=marche).montant_ht == Decimal("1000000")


@pytest.mark.django_db
def test_sans_droit_pas_de_formulaire_de_lot(client_for):
    lot = LotFactory()
    client = client_for("direction")
    assert client.get(reverse("marches:lot_modifier", args=[lot.pk])).status_code == 403
    reponse = client.post(reverse("marches:lot_modifier", args=[lot.pk]), {"montant_ht": "1 €"})
    assert reponse.status_code == 403
    lot.refresh_from_db()
    assert lot.montant_ht != Decimal("1")


def test_le_calculateur_lit_les_montants_saisis():
    form = CalculForm(
        {
            "montant_base": "1 000 000 €",
            "part_main_oeuvre": "50",
            "taux_insertion": "5",
            "cout_horaire": "30,00 €",
        }
    )
    assert form.is_valid(), form.errors
    assert form.heures() == Clause.calculer_heures(
        Decimal("1000000"), Decimal("50"), Decimal("5"), Decimal("30")
    )


def test_montants_de_l_administration():
    from django.contrib import admin

    from marches.models import ReferenceCalcul, SeuilsQualification

    seuils = admin.site._registry[SeuilsQualification]
    champ = SeuilsQualification._meta.get_field("montant_min")
    assert isinstance(seuils.formfield_for_dbfield(champ, request=None), ChampMontant)
    references = admin.site._registry[ReferenceCalcul]
    cout = references.formfield_for_dbfield(
        ReferenceCalcul._meta.get_field("cout_horaire"), request=None
    )
    taux = references.formfield_for_dbfield(
        ReferenceCalcul._meta.get_field("taux_insertion"), request=None
    )
    assert isinstance(cout, ChampMontant) and not isinstance(taux, ChampMontant)
