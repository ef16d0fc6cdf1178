"""Creating and editing buyers, operations, contracts and lots with their clause (marches app).

The pages are driven like a browser: a GET renders the form, the fields are read back from
the HTML (``_champs``), changed, and POSTed. Checked: the hours calculator runs on the server,
French errors appear next to each invalid field and nothing is saved, typed values are kept,
a stale version is refused with who/when, and only facilitators and admins may edit.
"""

import datetime as dt
import re
from decimal import Decimal

import lxml.html
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from marches import services
from marches.models import Clause, DonneurOrdre, Lot, Marche, Operation, ReferenceCalcul
from mife import roles
from tests.factories import (
    ClauseFactory,
    DonneurOrdreFactory,
    EntrepriseFactory,
    LotFactory,
    MarcheFactory,
    OperationFactory,
    UserFactory,
    siret,
)

pytestmark = pytest.mark.django_db

NOTIFICATION = dt.date(2025, 1, 15)
SIRET_BELFORT = "21900010600019"  # valid check digits


# --- helpers -------------------------------------------------------------------------------


def _doc(response):
    return lxml.html.fromstring(response.content.decode())


def _texte(response) -> str:
    """The page text with whitespace collapsed (non-breaking spaces included)."""
    return " ".join(_doc(response).text_content().split())


def _valeur_element(element):
    """What a browser submits for one field (``None``: nothing sent, as an unchecked box)."""
    if element.tag == "select":
        choisies = [o.get("value", o.text_content()) for o in element.xpath(".//option[@selected]")]
        if element.get("multiple") is not None:
            return choisies
        return choisies[0] if choisies else element.xpath(".//option")[0].get("value", "")
    if element.tag == "textarea":
        texte = element.text or ""
        return texte[1:] if texte.startswith("\n") else texte  # HTML drops the first newline
    if element.get("type") in ("checkbox", "radio"):
        return element.get("value", "on") if element.get("checked") is not None else None
    return element.get("value", "")


def _champs(response) -> dict:
    """What the browser would POST from the edit form as rendered (lists for multi-values)."""
    formulaire = _doc(response).xpath('//form[contains(@class, "formulaire-edition")]')[0]
    data: dict = {}
    for element in formulaire.xpath(".//input[@name] | .//select[@name] | .//textarea[@name]"):
        if element.get("type") in ("submit", "button", "file"):
            continue
        valeur = _valeur_element(element)
        if valeur is not None:
            data[element.get("name")] = valeur
    return data


def _valeur(response, nom: str):
    """The value a field shows in the rendered form (selected option(s) for a select)."""
    return _valeur_element(_doc(response).xpath(f'//*[@name="{nom}"]')[0])


def _erreurs(response, nom: str) -> str:
    """The error text shown next to the field ``nom`` (crispy: div#id_<nom>_error)."""
    blocs = _doc(response).xpath(f'//*[@id="id_{nom}_error"]')
    return " ".join(" ".join(b.text_content().split()) for b in blocs)


def _champs_en_erreur(response) -> set[str]:
    return {
        e.get("id")[3 : -len("_error")]
        for e in _doc(response).xpath('//*[contains(@class, "invalid-feedback")][@id]')
    }


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _lignes():
    """Row counts of everything an edit page may write."""
    modeles = (DonneurOrdre, Operation, Marche, Lot, Clause)
    comptes = {m.__name__: m.objects.count() for m in modeles}
    comptes |= {f"historique {m.__name__}": m.history.count() for m in modeles}
    comptes["cotraitants"] = Lot.cotraitants.through.objects.count()
    comptes["sous-traitants"] = Lot.sous_traitants.through.objects.count()
    return comptes


@pytest.fixture
def facilitateur(client_for):
    return client_for(roles.FACILITATEUR, first_name="Camille", last_name="Martin")


@pytest.fixture
def marche():
    return MarcheFactory(
        reference="2025-BEL-007",
        nature="travaux",
        date_notification=NOTIFICATION,
        donneur_ordre__nom="Ville de Belfort",
    )


def _donnees_lot(client, marche, **changements) -> dict:
    """The new-lot form as rendered, filled with the issue's example (833 h)."""
    page = client.get(reverse("marches:lot_creer", args=[marche.pk]))
    assert page.status_code == 200
    data = _champs(page)
    data.update(
        numero="2",
        intitule="Gros œuvre",
        montant_ht="1000000",
        date_debut="2025-02-01",
        date_fin="2026-01-31",
        montant_base="1000000",
        heures_requises="",
    )
    data.update(changements)
    return data


def _lot_existant(marche, **clause) -> Lot:
    valeurs = {
        "lot__marche": marche,
        "lot__numero": "2",
        "lot__intitule": "Gros œuvre",
        "lot__montant_ht": Decimal("1000000"),
        "lot__date_debut": dt.date(2025, 2, 1),
        "lot__date_fin": dt.date(2026, 1, 31),
        "montant_base": Decimal("1000000"),
        "penalite_horaire": None,
    }
    valeurs.update(clause)
    return ClauseFactory(**valeurs).lot


# --- 1. happy paths ------------------------------------------------------------------------


class TestDonneurOrdre:
    def test_creer_puis_modifier(self, facilitateur):
        page = facilitateur.get(reverse("marches:donneur_creer"))
        assert page.status_code == 200
        data = _champs(page)
        data.update(
            nom="Ville de Belfort",
            type="commune",
            siret=SIRET_BELFORT,
            commune="Belfort",
            code_postal="90000",
            contact_email="marches@mairie-belfort.fr",
        )
        response = facilitateur.post(reverse("marches:donneur_creer"), data)
        donneur = DonneurOrdre.objects.get()
        assert response.status_code == 302
        assert response["Location"] == donneur.get_absolute_url()
        assert _messages(response) == ["Donneur d'ordre « Ville de Belfort » enregistré."]
        assert (donneur.siret, donneur.commune) == (SIRET_BELFORT, "Belfort")
        assert (donneur.version, donneur.modifie_par) == (1, facilitateur.user)

        url = reverse("marches:donneur_modifier", args=[donneur.pk])
        page = facilitateur.get(url)
        data = _champs(page)
        assert data["version_lue"] == "1"
        assert data["nom"] == "Ville de Belfort"
        data["nom"] = "Ville de Belfort — services techniques"
        response = facilitateur.post(url, data, follow=True)
        donneur.refresh_from_db()
        assert donneur.nom == "Ville de Belfort — services techniques"
        assert (donneur.version, donneur.modifie_par) == (2, facilitateur.user)
        texte = _texte(response)
        assert "Donneur d'ordre « Ville de Belfort — services techniques » enregistré." in texte
        assert "Modification le" in texte and "par Camille Martin" in texte
        assert "Nom : « Ville de Belfort » → « Ville de Belfort — services techniques »" in texte

    def test_siret_avec_espaces_normalise(self, facilitateur):
        data = {"nom": "Mairie", "type": "commune", "siret": "219 000 106 00019"}
        facilitateur.post(reverse("marches:donneur_creer"), data)
        assert DonneurOrdre.objects.get().siret == SIRET_BELFORT


class TestOperation:
    def test_creer_depuis_le_donneur_puis_modifier(self, facilitateur):
        donneur = DonneurOrdreFactory(nom="Ville de Belfort")
        url = reverse("marches:operation_creer") + f"?donneur_ordre={donneur.pk}"
        page = facilitateur.get(url)
        assert _valeur(page, "donneur_ordre") == str(donneur.pk)
        data = _champs(page)
        data.update(
            nom="Rénovation du groupe scolaire Jean-Jaurès",
            commune="Belfort",
            renouvellement_urbain="on",
            date_debut="2025-01-01",
            date_fin="2027-06-30",
        )
        response = facilitateur.post(url, data)
        operation = Operation.objects.get()
        assert response["Location"] == operation.get_absolute_url()
        assert _messages(response) == [
            "Opération « Rénovation du groupe scolaire Jean-Jaurès » enregistrée."
        ]
        assert operation.donneur_ordre == donneur
        assert operation.renouvellement_urbain is True
        assert (operation.version, operation.modifie_par) == (1, facilitateur.user)

        url = reverse("marches:operation_modifier", args=[operation.pk])
        page = facilitateur.get(url)
        # The edit form shows the stored buyer (not the empty ?donneur_ordre= of a creation).
        assert _valeur(page, "donneur_ordre") == str(donneur.pk)
        data = _champs(page)
        data["date_fin"] = "2027-12-31"
        response = facilitateur.post(url, data, follow=True)
        assert response.redirect_chain[-1][0] == operation.get_absolute_url()
        operation.refresh_from_db()
        assert (operation.date_fin, operation.version) == (dt.date(2027, 12, 31), 2)
        assert operation.donneur_ordre == donneur
        assert "Fin prévue : « 30/06/2027 » → « 31/12/2027 »" in _texte(response)


class TestMarche:
    def test_creer_avec_cpv_normalise_puis_modifier(self, facilitateur):
        operation = OperationFactory(donneur_ordre__nom="Ville de Belfort")
        url = reverse("marches:marche_creer") + f"?operation={operation.pk}"
        page = facilitateur.get(url)
        assert _valeur(page, "operation") == str(operation.pk)
        assert _valeur(page, "donneur_ordre") == str(operation.donneur_ordre_id)
        data = _champs(page)
        data.update(
            reference="2025-BEL-007",
            objet="Réhabilitation de l'école Jean-Jaurès",
            nature="travaux",
            procedure="adaptee",
            date_notification="2025-01-15",
            duree_mois="18",
            montant_ht="2500000",
            code_cpv="45214200",
        )
        response = facilitateur.post(url, data)
        marche = Marche.objects.get()
        assert response["Location"] == marche.get_absolute_url()
        assert marche.code_cpv == "45214200"  # typed without its key: not invented
        assert marche.montant_ht == Decimal("2500000")
        assert (marche.operation, marche.donneur_ordre) == (operation, operation.donneur_ordre)
        assert (marche.version, marche.modifie_par) == (1, facilitateur.user)
        assert _messages(response) == [f"Marché « {marche} » enregistré."]

        url = reverse("marches:marche_modifier", args=[marche.pk])
        page = facilitateur.get(url)
        assert _valeur(page, "donneur_ordre") == str(operation.donneur_ordre_id)
        assert _valeur(page, "code_cpv") == "45214200"
        data = _champs(page)
        data["montant_ht"] = "2600000.50"
        response = facilitateur.post(url, data, follow=True)
        marche.refresh_from_db()
        assert marche.montant_ht == Decimal("2600000.50")
        assert (marche.version, marche.modifie_par) == (2, facilitateur.user)
        texte = _texte(response)
        assert "2 600 000,50 €" in texte
        assert "Montant HT (€) : « 2 500 000,00 € » → « 2 600 000,50 € »" in texte

    def test_notification_apres_le_debut_d_un_lot_refusee(self, facilitateur, marche):
        _lot_existant(marche)  # starts on 01/02/2025
        url = reverse("marches:marche_modifier", args=[marche.pk])
        data = _champs(facilitateur.get(url))
        data.update(date_notification="2025-03-01", code_cpv="4521420-2")
        response = facilitateur.post(url, data)
        assert _erreurs(response, "date_notification") == (
            "Le lot n° 2 commence le 01/02/2025, avant cette date de notification."
        )
        assert "8 chiffres attendus" in _erreurs(response, "code_cpv")  # both at once
        marche.refresh_from_db()
        assert (marche.date_notification, marche.version) == (NOTIFICATION, 1)
        data.update(date_notification="2025-02-01", code_cpv="45214200-2")
        assert facilitateur.post(url, data).status_code == 302

    def test_operation_d_un_autre_donneur_refusee(self, facilitateur):
        autre = OperationFactory()
        donneur = DonneurOrdreFactory()
        data = {
            "donneur_ordre": donneur.pk,
            "operation": autre.pk,
            "reference": "X-1",
            "objet": "Objet",
            "nature": "travaux",
            "procedure": "adaptee",
        }
        response = facilitateur.post(reverse("marches:marche_creer"), data)
        assert "appartient à un autre donneur d'ordre" in _erreurs(response, "operation")
        assert not Marche.objects.exists()


class TestLot:
    def test_formulaire_propose_les_valeurs_de_reference_de_la_nature(self, facilitateur, marche):
        page = facilitateur.get(reverse("marches:lot_creer", args=[marche.pk]))
        assert _valeur(page, "part_main_oeuvre") == "50.00"
        assert _valeur(page, "taux_insertion") == "5.00"
        assert _valeur(page, "cout_horaire") == "30,00"  # an amount, shown the French way
        assert _valeur(page, "facilitateur") == str(facilitateur.user.pk)
        # The calculator is on the form and reads the four inputs.
        doc = _doc(page)
        assert doc.xpath(f'//*[@hx-get="{reverse("marches:calcul_heures")}"]')
        for nom in ("montant_base", "part_main_oeuvre", "taux_insertion", "cout_horaire"):
            assert "calcul" in doc.xpath(f'//input[@name="{nom}"]')[0].get("class").split()

        # The administrator changes the reference of the kind: new lots propose it.
        ReferenceCalcul.objects.filter(nature="travaux").update(taux_insertion=Decimal("7"))
        page = facilitateur.get(reverse("marches:lot_creer", args=[marche.pk]))
        assert _valeur(page, "taux_insertion") == "7.00"

    def test_creer_un_lot_heures_calculees_sur_le_serveur(self, facilitateur, marche):
        titulaire, co1, co2, sous = EntrepriseFactory.create_batch(4)
        data = _donnees_lot(
            facilitateur,
            marche,
            titulaire=str(titulaire.pk),
            cotraitants=[str(co1.pk), str(co2.pk)],
            sous_traitants=[str(sous.pk)],
            penalite_horaire="25",
            heures_calculees="99999",  # not a field: the server computes it
        )
        response = facilitateur.post(reverse("marches:lot_creer", args=[marche.pk]), data)
        lot = Lot.objects.get()
        assert response.status_code == 302
        assert response["Location"] == lot.get_absolute_url()
        assert _messages(response) == ["Lot enregistré : 833 h d'insertion requises."]
        assert (lot.marche, lot.numero, lot.intitule) == (marche, "2", "Gros œuvre")
        assert lot.titulaire == titulaire
        assert set(lot.cotraitants.all()) == {co1, co2}
        assert list(lot.sous_traitants.all()) == [sous]
        assert (lot.version, lot.modifie_par, lot.facilitateur) == (
            1,
            facilitateur.user,
            facilitateur.user,
        )
        clause = lot.clause
        assert clause.type == "L2112-2"
        # The calculator inputs are stored with the lot.
        assert (clause.montant_base, clause.part_main_oeuvre) == (Decimal("1000000"), 50)
        assert (clause.taux_insertion, clause.cout_horaire) == (5, 30)
        assert clause.heures_calculees == Decimal("833")
        assert clause.heures_requises == Decimal("833")
        assert clause.penalite_horaire == Decimal("25")
        assert clause.modifie_par == facilitateur.user
        # Creation, then the co-contractors and subcontractors: all traced to their author.
        assert {h.history_user for h in lot.history.all()} == {facilitateur.user}
        assert lot.history.earliest().history_type == "+"

    def test_ajustement_motive_garde_les_deux_chiffres(self, facilitateur, marche):
        data = _donnees_lot(
            facilitateur,
            marche,
            heures_requises="900",
            motif_derogation="Phasage du chantier : tranche optionnelle affermie.",
        )
        response = facilitateur.post(reverse("marches:lot_creer", args=[marche.pk]), data)
        assert _messages(response) == ["Lot enregistré : 900 h d'insertion requises."]
        clause = Lot.objects.get().clause
        assert (clause.heures_requises, clause.heures_calculees) == (900, 833)
        assert clause.est_ajustee

        texte = _texte(facilitateur.get(response["Location"]))
        assert "Heures requises 900 h" in texte
        assert "Heures calculées 833 h" in texte
        assert "Motif de l'ajustement Phasage du chantier : tranche optionnelle affermie." in texte
        assert "0 h réalisées (déclarations validées) sur 900 h requises" in texte

    def test_heures_saisies_sans_calcul(self, facilitateur, marche):
        data = _donnees_lot(
            facilitateur,
            marche,
            montant_base="",
            part_main_oeuvre="",
            taux_insertion="",
            cout_horaire="",
            heures_requises="350",
            type="L2113-13",
        )
        facilitateur.post(reverse("marches:lot_creer", args=[marche.pk]), data)
        clause = Lot.objects.get().clause
        assert (clause.heures_requises, clause.heures_calculees, clause.type) == (
            350,
            0,
            "L2113-13",
        )
        assert clause.motif_derogation == ""

    def test_critere_d_attribution_avec_ponderation(self, facilitateur, marche):
        data = _donnees_lot(facilitateur, marche, type="L2152-7", ponderation_critere="15")
        facilitateur.post(reverse("marches:lot_creer", args=[marche.pk]), data)
        clause = Lot.objects.get().clause
        assert (clause.type, clause.ponderation_critere) == ("L2152-7", Decimal("15"))

    def test_modifier_un_lot_et_sa_clause(self, facilitateur, marche):
        co1, co2 = EntrepriseFactory.create_batch(2)
        lot = _lot_existant(marche, lot__cotraitants=[co1])
        url = reverse("marches:lot_modifier", args=[lot.pk])
        page = facilitateur.get(url)
        data = _champs(page)
        assert data["version_lue"] == "1"
        assert data["intitule"] == "Gros œuvre"
        assert data["cotraitants"] == [str(co1.pk)]
        # Not adjusted: the hours field is left empty so that it follows the calculator.
        assert data["heures_requises"] == ""
        data.update(intitule="Gros œuvre et VRD", taux_insertion="6", cotraitants=[str(co2.pk)])
        response = facilitateur.post(url, data, follow=True)
        assert response.redirect_chain[-1][0] == lot.get_absolute_url()
        lot.refresh_from_db()
        clause = Clause.objects.get(lot=lot)
        assert lot.intitule == "Gros œuvre et VRD"
        assert list(lot.cotraitants.all()) == [co2]
        assert (lot.version, lot.modifie_par) == (2, facilitateur.user)
        assert (clause.heures_calculees, clause.heures_requises) == (1000, 1000)
        assert (clause.version, clause.modifie_par) == (2, facilitateur.user)
        texte = _texte(response)
        assert "Lot enregistré : 1 000 h d'insertion requises." in texte
        assert "Modification le" in texte and "par Camille Martin" in texte
        assert "Intitulé : « Gros œuvre » → « Gros œuvre et VRD »" in texte
        assert f"Cotraitants : « {co1} » → « — »" in texte  # co1 removed…
        assert f"Cotraitants : « — » → « {co2} »" in texte  # …co2 added
        assert "Facilitateur·rice référent·e :" not in texte  # untouched fields not listed
        # The clause's changes are part of the lot's history too.
        assert "Heures d'insertion requises : « 833 » → « 1 000 »" in texte

    def test_modifier_un_lot_ajuste_garde_l_ajustement(self, facilitateur, marche):
        lot = _lot_existant(
            marche, heures_requises=Decimal("900"), motif_derogation="Phasage du chantier."
        )
        url = reverse("marches:lot_modifier", args=[lot.pk])
        page = facilitateur.get(url)
        data = _champs(page)
        assert data["heures_requises"] == "900.00"
        assert data["motif_derogation"] == "Phasage du chantier."
        data["intitule"] = "Gros œuvre — bâtiment A"
        facilitateur.post(url, data)
        clause = Clause.objects.get(lot=lot)
        assert (clause.heures_requises, clause.heures_calculees) == (900, 833)

    def test_facilitateur_et_entreprises_desactives_ne_sont_pas_perdus(self, facilitateur, marche):
        parti = UserFactory(role=roles.FACILITATEUR, is_active=False)
        fermee, sous_fermee = EntrepriseFactory.create_batch(2, active=False)
        lot = _lot_existant(
            marche,
            lot__facilitateur=parti,
            lot__titulaire=fermee,
            lot__sous_traitants=[sous_fermee],
        )
        url = reverse("marches:lot_modifier", args=[lot.pk])
        page = facilitateur.get(url)
        assert _valeur(page, "facilitateur") == str(parti.pk)
        assert _valeur(page, "titulaire") == str(fermee.pk)
        assert _valeur(page, "sous_traitants") == [str(sous_fermee.pk)]
        data = _champs(page)
        data["intitule"] = "Gros œuvre — bâtiment B"
        assert facilitateur.post(url, data).status_code == 302
        lot.refresh_from_db()
        assert (lot.intitule, lot.facilitateur, lot.titulaire) == (
            "Gros œuvre — bâtiment B",
            parti,
            fermee,
        )
        assert list(lot.sous_traitants.all()) == [sous_fermee]
        # A new lot only proposes active ones.
        page = facilitateur.get(reverse("marches:lot_creer", args=[marche.pk]))
        options = _doc(page).xpath('//select[@name="titulaire"]/option/@value')
        assert str(fermee.pk) not in options
        options = _doc(page).xpath('//select[@name="facilitateur"]/option/@value')
        assert str(parti.pk) not in options and str(facilitateur.user.pk) in options

    def test_lot_importe_sans_clause_recoit_sa_clause(self, facilitateur, marche):
        lot = LotFactory(marche=marche, date_debut=dt.date(2025, 2, 1))
        url = reverse("marches:lot_modifier", args=[lot.pk])
        page = facilitateur.get(url)
        assert _valeur(page, "part_main_oeuvre") == "50.00"
        data = _champs(page)
        data.update(montant_base="600000")
        response = facilitateur.post(url, data)
        assert response.status_code == 302
        assert Clause.objects.get(lot=lot).heures_requises == 500


# --- 2. bad input --------------------------------------------------------------------------


class TestSaisiesInvalides:
    def test_donneur_siret_invalide(self, facilitateur):
        avant = _lignes()
        data = {"nom": "Ville de Belfort", "type": "commune", "siret": "21900010600018"}
        response = facilitateur.post(reverse("marches:donneur_creer"), data)
        assert response.status_code == 200
        assert "SIRET invalide : 14 chiffres attendus" in _erreurs(response, "siret")
        assert _champs_en_erreur(response) == {"siret"}
        assert _valeur(response, "siret") == "21900010600018"
        assert _valeur(response, "nom") == "Ville de Belfort"
        assert "rien n'a été enregistré" in _texte(response)
        assert _lignes() == avant

    def test_donneur_siret_deja_utilise(self, facilitateur):
        existant = DonneurOrdreFactory(nom="Ville de Belfort", siret=siret(7, 2))
        avant = _lignes()
        data = {"nom": "Doublon", "type": "commune", "siret": existant.siret}
        response = facilitateur.post(reverse("marches:donneur_creer"), data)
        assert "Ville de Belfort" in _erreurs(response, "siret")
        assert "déjà" in _erreurs(response, "siret")
        assert _lignes() == avant

    def test_operation_fin_avant_debut(self, facilitateur):
        donneur = DonneurOrdreFactory()
        avant = _lignes()
        data = {
            "donneur_ordre": donneur.pk,
            "nom": "Quartier des Résidences",
            "date_debut": "2026-01-01",
            "date_fin": "2025-01-01",
        }
        response = facilitateur.post(reverse("marches:operation_creer"), data)
        assert _erreurs(response, "date_fin") == "La fin prévue précède le début."
        assert _champs_en_erreur(response) == {"date_fin"}
        assert _valeur(response, "nom") == "Quartier des Résidences"
        assert _valeur(response, "date_fin") == "2025-01-01"
        assert _lignes() == avant

    @pytest.mark.parametrize(
        ("champ", "valeur", "message"),
        [
            ("montant_ht", "-1", "Assurez-vous que cette valeur est supérieure ou égale à 0."),
            ("code_cpv", "4521420A-2", "Code CPV invalide : 8 chiffres attendus"),
            ("code_cpv", "4521", "Code CPV invalide : 8 chiffres attendus"),
            ("duree_mois", "-3", "Assurez-vous que cette valeur est supérieure ou égale à 0."),
            ("date_notification", "31/02/2025", "Saisissez une date valide."),
        ],
    )
    def test_marche_champ_invalide(self, facilitateur, champ, valeur, message):
        donneur = DonneurOrdreFactory()
        avant = _lignes()
        data = {
            "donneur_ordre": donneur.pk,
            "reference": "2025-BEL-007",
            "objet": "Réhabilitation de l'école",
            "nature": "travaux",
            "procedure": "adaptee",
            champ: valeur,
        }
        response = facilitateur.post(reverse("marches:marche_creer"), data)
        assert response.status_code == 200
        assert message in _erreurs(response, champ)
        assert _champs_en_erreur(response) == {champ}
        assert _valeur(response, champ) == valeur
        assert _valeur(response, "reference") == "2025-BEL-007"
        assert _lignes() == avant

    def test_marche_reference_deja_utilisee_chez_ce_donneur(self, facilitateur):
        existant = MarcheFactory(reference="2025-BEL-007")
        avant = _lignes()
        data = {
            "donneur_ordre": existant.donneur_ordre_id,
            "reference": "2025-BEL-007",
            "objet": "Autre objet",
            "nature": "travaux",
            "procedure": "adaptee",
        }
        response = facilitateur.post(reverse("marches:marche_creer"), data)
        assert "2025-BEL-007" in _erreurs(response, "reference")
        assert "existe déjà" in _erreurs(response, "reference")
        assert _lignes() == avant
        # The same reference at another buyer is fine.
        data["donneur_ordre"] = DonneurOrdreFactory().pk
        assert facilitateur.post(reverse("marches:marche_creer"), data).status_code == 302

    @pytest.mark.parametrize(
        ("changements", "champ", "message"),
        [
            ({"montant_ht": "-1"}, "montant_ht", "supérieure ou égale à 0"),
            ({"montant_base": "-1"}, "montant_base", "supérieure ou égale à 0"),
            ({"heures_requises": "-5"}, "heures_requises", "supérieure ou égale à 0"),
            ({"taux_insertion": "120"}, "taux_insertion", "inférieure ou égale à 100"),
            ({"cout_horaire": "0"}, "cout_horaire", "supérieure ou égale à 0.01"),
            (
                {"date_debut": "2025-06-01", "date_fin": "2025-05-31"},
                "date_fin",
                "La fin d'exécution précède le début.",
            ),
            (
                {"date_debut": "2025-01-14"},
                "date_debut",
                "Le lot ne peut pas commencer avant la notification du marché.",
            ),
            (
                {"heures_requises": "900"},
                "motif_derogation",
                "Les heures requises (900 h) diffèrent du calcul (833 h) : indiquez le motif",
            ),
            (
                {"type": "L2152-7", "ponderation_critere": ""},
                "ponderation_critere",
                "Un critère d'attribution doit indiquer sa pondération.",
            ),
            (
                {
                    "montant_base": "",
                    "part_main_oeuvre": "",
                    "taux_insertion": "",
                    "cout_horaire": "",
                },
                "heures_requises",
                "Indiquez les heures requises, ou les éléments du calcul",
            ),
            ({"intitule": ""}, "intitule", "Ce champ est obligatoire."),
            (
                {
                    "montant_base": "999999999999.99",
                    "part_main_oeuvre": "100",
                    "taux_insertion": "100",
                    "cout_horaire": "0.01",
                },
                "heures_requises",
                "Le calcul donne 99 999 999 999 999 h : vérifiez le montant",
            ),
        ],
    )
    def test_lot_champ_invalide(self, facilitateur, marche, changements, champ, message):
        avant = _lignes()
        data = _donnees_lot(facilitateur, marche, intitule="Électricité — courants forts")
        data.update(changements)
        response = facilitateur.post(reverse("marches:lot_creer", args=[marche.pk]), data)
        assert response.status_code == 200
        assert message in _erreurs(response, champ)
        assert _champs_en_erreur(response) == {champ}
        # One message per problem, and the summary at the top links to the field.
        assert len(_doc(response).xpath(f'//*[@id="id_{champ}_error"]//strong')) == 1
        assert _doc(response).xpath(
            f'//div[starts-with(@id, "resume-erreurs")]//a[@href="#id_{champ}"]'
        )
        assert _lignes() == avant
        # Nothing typed is lost.
        for nom, valeur in data.items():
            if nom not in ("csrfmiddlewaretoken", "titulaire", "facilitateur"):
                assert _valeur(response, nom) == valeur, nom

    def test_lot_numero_deja_pris_dans_le_marche(self, facilitateur, marche):
        _lot_existant(marche)  # lot n° 2
        avant = _lignes()
        data = _donnees_lot(facilitateur, marche, numero=" 2 ")
        response = facilitateur.post(reverse("marches:lot_creer", args=[marche.pk]), data)
        assert _erreurs(response, "numero") == "Le lot n° 2 existe déjà dans ce marché."
        assert _lignes() == avant
        # The same number in another contract is fine.
        autre = MarcheFactory(date_notification=NOTIFICATION)
        data = _donnees_lot(facilitateur, autre)
        assert (
            facilitateur.post(reverse("marches:lot_creer", args=[autre.pk]), data).status_code
            == 302
        )

    def test_lot_modifie_vers_un_numero_pris(self, facilitateur, marche):
        _lot_existant(marche)
        lot = LotFactory(marche=marche, numero="3", date_debut=dt.date(2025, 2, 1))
        ClauseFactory(lot=lot)
        url = reverse("marches:lot_modifier", args=[lot.pk])
        data = _champs(facilitateur.get(url))
        data["numero"] = "2"
        response = facilitateur.post(url, data)
        assert "existe déjà" in _erreurs(response, "numero")
        lot.refresh_from_db()
        assert (lot.numero, lot.version) == ("3", 1)

    def test_plusieurs_erreurs_a_la_fois(self, facilitateur, marche):
        data = _donnees_lot(
            facilitateur, marche, montant_ht="-1", date_fin="2025-01-01", type="L2152-7"
        )
        response = facilitateur.post(reverse("marches:lot_creer", args=[marche.pk]), data)
        assert _champs_en_erreur(response) == {"montant_ht", "date_fin", "ponderation_critere"}
        assert not Lot.objects.exists()


# --- 3. concurrency ------------------------------------------------------------------------


class TestConcurrence:
    def test_lot_modifie_par_quelqu_un_d_autre_entre_temps(self, facilitateur, make_user, marche):
        lot = _lot_existant(marche)
        url = reverse("marches:lot_modifier", args=[lot.pk])
        page = facilitateur.get(url)
        data = _champs(page)
        assert data["version_lue"] == "1"

        # Meanwhile, a colleague saves the lot through the service.
        dominique = make_user(
            roles.FACILITATEUR, username="dominique", first_name="Dominique", last_name="Perrin"
        )
        sien = Lot.objects.get(pk=lot.pk)
        sien.intitule = "Gros œuvre (version de Dominique)"
        clause = sien.clause
        clause.penalite_horaire = Decimal("40")
        services.enregistrer_lot(sien, clause, sien.version, dominique)
        sien.refresh_from_db()
        assert sien.version == 2

        data.update(intitule="Gros œuvre (version de Camille)", heures_requises="700")
        data["motif_derogation"] = "Tranche ferme seule."
        avant = _lignes()
        response = facilitateur.post(url, data)
        assert response.status_code == 200
        quand = date_format(timezone.localtime(sien.modifie_le), "DATETIME_FORMAT")
        texte = _texte(response)
        assert f"Enregistrement refusé : Dominique Perrin a modifié cette fiche le {quand}" in texte
        assert "rien n'a été écrasé" in texte
        assert re.search(r"le \d{1,2} \w+ \d{4} \d{2}:\d{2}", texte)
        # What Camille typed is still on the page, nothing is written.
        assert _valeur(response, "intitule") == "Gros œuvre (version de Camille)"
        assert _lignes() == avant
        lot.refresh_from_db()
        clause = Clause.objects.get(lot=lot)
        assert lot.intitule == "Gros œuvre (version de Dominique)"
        assert (lot.version, lot.modifie_par) == (2, dominique)
        assert (clause.heures_requises, clause.penalite_horaire) == (833, 40)

        # After reloading, Camille's save goes through.
        data = _champs(facilitateur.get(url))
        assert data["version_lue"] == "2"
        data["intitule"] = "Gros œuvre (version de Camille)"
        assert facilitateur.post(url, data).status_code == 302
        lot.refresh_from_db()
        assert (lot.intitule, lot.version, lot.modifie_par) == (
            "Gros œuvre (version de Camille)",
            3,
            facilitateur.user,
        )

    def test_marche_modifie_par_quelqu_un_d_autre_entre_temps(self, facilitateur, make_user):
        marche = MarcheFactory(objet="Objet initial", montant_ht=Decimal("1000"))
        url = reverse("marches:marche_modifier", args=[marche.pk])
        data = _champs(facilitateur.get(url))
        assert data["version_lue"] == "1"

        dominique = make_user(
            roles.FACILITATEUR, username="dominique", first_name="Dominique", last_name="Perrin"
        )
        sien = Marche.objects.get(pk=marche.pk)
        sien.objet = "Objet de Dominique"
        services.enregistrer(sien, sien.version, dominique)

        data.update(objet="Objet de Camille", montant_ht="2000")
        response = facilitateur.post(url, data)
        assert response.status_code == 200
        sien.refresh_from_db()
        quand = date_format(timezone.localtime(sien.modifie_le), "DATETIME_FORMAT")
        conflit = " ".join(_doc(response).xpath('//*[@id="conflit"]')[0].text_content().split())
        assert conflit.startswith(
            f"Enregistrement refusé : Dominique Perrin a modifié cette fiche le {quand}"
        )
        assert _valeur(response, "objet") == "Objet de Camille"
        marche.refresh_from_db()
        assert (marche.objet, marche.montant_ht, marche.version) == (
            "Objet de Dominique",
            Decimal("1000"),
            2,
        )
        assert marche.modifie_par == dominique

    def test_version_absente_refusee(self, facilitateur, marche):
        lot = _lot_existant(marche)
        url = reverse("marches:lot_modifier", args=[lot.pk])
        data = _champs(facilitateur.get(url))
        del data["version_lue"]
        data["intitule"] = "Sans version"
        response = facilitateur.post(url, data)
        assert "Enregistrement refusé" in _texte(response)
        lot.refresh_from_db()
        assert lot.intitule == "Gros œuvre"


# --- 4. permissions ------------------------------------------------------------------------


@pytest.fixture
def urls_edition():
    lot = ClauseFactory().lot
    marche = lot.marche
    return [
        reverse("marches:donneur_creer"),
        reverse("marches:donneur_modifier", args=[marche.donneur_ordre_id]),
        reverse("marches:operation_creer"),
        reverse("marches:operation_modifier", args=[marche.operation_id]),
        reverse("marches:marche_creer"),
        reverse("marches:marche_modifier", args=[marche.pk]),
        reverse("marches:lot_creer", args=[marche.pk]),
        reverse("marches:lot_modifier", args=[lot.pk]),
        reverse("marches:import_decp"),
    ]


class TestPermissions:
    @pytest.mark.parametrize("role", [roles.SUIVI, roles.DIRECTION, roles.ANIMATEUR, None])
    def test_roles_sans_droit_de_saisie_403(self, client_for, urls_edition, role):
        client = client_for(role)
        avant = _lignes()
        for url in urls_edition:
            assert client.get(url).status_code == 403, url
            donnees = {"nom": "Intrus", "intitule": "Intrus", "objet": "Intrus", "version_lue": 1}
            assert client.post(url, donnees).status_code == 403, url
        assert _lignes() == avant

    def test_suivi_ne_peut_pas_modifier_un_lot(self, client_for, marche):
        lot = _lot_existant(marche)
        url = reverse("marches:lot_modifier", args=[lot.pk])
        data = _champs(client_for(roles.FACILITATEUR, username="camille").get(url))
        data["intitule"] = "Modifié par le suivi"
        suivi = client_for(roles.SUIVI)
        assert suivi.post(url, data).status_code == 403
        lot.refresh_from_db()
        assert (lot.intitule, lot.version) == ("Gros œuvre", 1)

    def test_anonyme_redirige_vers_la_connexion(self, client, urls_edition):
        for url in [*urls_edition, reverse("marches:calcul_heures")]:
            for response in (client.get(url), client.post(url, {"nom": "Intrus"})):
                assert response.status_code == 302, url
                assert response["Location"].startswith(reverse("login") + "?next="), url
        assert not DonneurOrdre.objects.filter(nom="Intrus").exists()

    @pytest.mark.parametrize("role", [roles.FACILITATEUR, roles.ADMIN])
    def test_facilitateur_et_admin_autorises(self, client_for, urls_edition, role):
        client = client_for(role)
        for url in urls_edition:
            assert client.get(url).status_code == 200, url

    def test_admin_cree_un_lot(self, client_for, marche):
        admin = client_for(roles.ADMIN)
        data = _donnees_lot(admin, marche)
        assert admin.post(reverse("marches:lot_creer", args=[marche.pk]), data).status_code == 302
        assert Lot.objects.get().modifie_par == admin.user

    def test_boutons_de_modification_selon_le_role(self, client_for, marche):
        lot = _lot_existant(marche)
        modifier = reverse("marches:lot_modifier", args=[lot.pk])
        assert (
            modifier in client_for(roles.FACILITATEUR).get(lot.get_absolute_url()).content.decode()
        )
        assert modifier not in client_for(roles.SUIVI).get(lot.get_absolute_url()).content.decode()

    def test_objet_inconnu_404(self, client_for):
        client = client_for(roles.FACILITATEUR)
        assert client.get(reverse("marches:lot_modifier", args=[4242])).status_code == 404
        assert client.get(reverse("marches:lot_creer", args=[4242])).status_code == 404
        assert client.get(reverse("marches:marche_modifier", args=[4242])).status_code == 404


# --- 5. htmx calculator --------------------------------------------------------------------


class TestCalculateur:
    URL = "marches:calcul_heures"

    def test_exemple_833_heures(self, client_for):
        client = client_for(roles.FACILITATEUR)
        response = client.get(
            reverse(self.URL),
            {
                "montant_base": "1000000",
                "part_main_oeuvre": "50",
                "taux_insertion": "5",
                "cout_horaire": "30",
            },
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200
        texte = _texte(response)
        assert "833 h" in texte
        assert "1 000 000,00 € × 50 % × 5 % ÷ 30,00 €/h" in texte
        assert _doc(response).xpath('//*[@data-heures-calculees="833"]')
        assert "<html" not in response.content.decode()  # a fragment, not a page

    def test_lecture_seule_suffit(self, client_for):
        # Computing shows nothing secret and saves nothing: any role that sees lots may.
        response = client_for(roles.SUIVI).get(
            reverse(self.URL),
            {
                "montant_base": "600000",
                "part_main_oeuvre": "60",
                "taux_insertion": "5",
                "cout_horaire": "28",
            },
        )
        assert "643 h" in _texte(response)

    def test_sans_role_403(self, client_for):
        assert client_for(None).get(reverse(self.URL)).status_code == 403

    @pytest.mark.parametrize(
        "params",
        [
            {
                "montant_base": "-1000",
                "part_main_oeuvre": "50",
                "taux_insertion": "5",
                "cout_horaire": "30",
            },
            {
                "montant_base": "abc",
                "part_main_oeuvre": "50",
                "taux_insertion": "5",
                "cout_horaire": "30",
            },
            {
                "montant_base": "1000",
                "part_main_oeuvre": "150",
                "taux_insertion": "5",
                "cout_horaire": "30",
            },
            {
                "montant_base": "1000",
                "part_main_oeuvre": "50",
                "taux_insertion": "5",
                "cout_horaire": "0",
            },
            {
                "montant_base": "1e999999",
                "part_main_oeuvre": "50",
                "taux_insertion": "5",
                "cout_horaire": "30",
            },
        ],
    )
    def test_valeurs_invalides_message_en_francais(self, client_for, params):
        response = client_for(roles.FACILITATEUR).get(reverse(self.URL), params)
        assert response.status_code == 200
        assert "Valeurs du calcul invalides : vérifiez les montants et pourcentages." in _texte(
            response
        )
        assert not _doc(response).xpath("//*[@data-heures-calculees]")

    def test_valeurs_incompletes(self, client_for):
        response = client_for(roles.FACILITATEUR).get(
            reverse(self.URL), {"montant_base": "1000000", "part_main_oeuvre": "50"}
        )
        assert response.status_code == 200
        assert "Renseignez le montant" in _texte(response)


def test_cloture_du_lot_exige_un_motif():
    from django.forms.models import model_to_dict

    from marches.forms import LotForm
    from tests.factories import ClauseFactory as _Clause

    lot = _Clause().lot
    donnees = {k: v for k, v in model_to_dict(lot).items() if v is not None}
    donnees.update(cloture_le="2026-10-31", motif_cloture="")
    form = LotForm(data=donnees, instance=lot, marche=lot.marche)
    assert not form.is_valid()
    assert form.errors["motif_cloture"] == ["Indiquez pourquoi le lot est clôturé."]
    donnees["motif_cloture"] = "Entreprise en liquidation"
    form = LotForm(data=donnees, instance=lot, marche=lot.marche)
    assert form.is_valid(), form.errors
