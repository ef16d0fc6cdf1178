"""Issue 15: choices of a company, a lot, a contract, a mission or a participant are searched
as the user types (``mife/core/autocomplete.py``, ``mife/choix.py``): pages no longer hold an
<option> per row, the endpoints search without accents within the user's rights, 20 results a
page, and the forms still validate the chosen id on the server."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from entreprises.models import Entreprise
from heures.models import DeclarationMensuelle
from mife import roles
from tests import factories as f

pytestmark = pytest.mark.django_db
MOIS = dt.date(2026, 3, 1)


def _json(client, famille: str, **params):
    reponse = client.get(reverse("choix", args=[famille]), params)
    assert reponse.status_code == 200, reponse.status_code
    return reponse.json()


def _options(html: str, nom: str) -> list[str]:
    """Values of the <option>s of the select named ``nom``."""
    select = re.search(rf'<select name="{nom}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"pas de liste « {nom} »"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


@pytest.fixture
def mission():
    lot = f.ClauseFactory(
        heures_requises=Decimal("300"),
        lot__date_debut=dt.date(2026, 1, 5),
        lot__date_fin=dt.date(2027, 6, 30),
        lot__marche__date_notification=dt.date(2025, 12, 1),
        lot__titulaire__raison_sociale="Générale du Bâtiment",
    ).lot
    return f.MissionFactory(
        lot=lot,
        employeur=lot.titulaire,
        date_debut=dt.date(2026, 2, 1),
        date_fin=dt.date(2026, 12, 31),
    )


class TestPointsDAcces:
    def test_entreprises_sans_accents_et_par_siret(self, client_for):
        generale = f.EntrepriseFactory(
            raison_sociale="Société Générale", identifiant="73282932000074"
        )
        f.EntrepriseFactory(raison_sociale="Autre chose")
        client = client_for(roles.FACILITATEUR)
        donnees = _json(client, "entreprises", q="genera")
        assert [r["id"] for r in donnees["resultats"]] == [generale.pk]
        assert donnees["resultats"][0]["libelle"] == "Société Générale"
        assert donnees["suite"] is False
        assert _json(client, "entreprises", q="732 829 320")["resultats"][0]["id"] == generale.pk

    def test_pagination_cote_serveur(self, client_for):
        Entreprise.objects.bulk_create(
            f.EntrepriseFactory.build(raison_sociale=f"Générale {i:02d}") for i in range(45)
        )
        client = client_for(roles.FACILITATEUR)
        page1 = _json(client, "entreprises", q="generale")
        assert len(page1["resultats"]) == 20 and page1["suite"] is True
        assert page1["resultats"][0]["libelle"] == "Générale 00"
        page3 = _json(client, "entreprises", q="generale", page="3")
        assert [r["libelle"] for r in page3["resultats"]] == [
            f"Générale {i}" for i in range(40, 45)
        ]
        assert page3["suite"] is False
        # a page that is not a number is the first one
        assert _json(client, "entreprises", q="generale", page="x")["page"] == 1

    def test_entreprises_actives_et_employeurs(self, client_for, mission):
        f.EntrepriseFactory(raison_sociale="Générale inactive", active=False)
        f.EntrepriseFactory(raison_sociale="Générale sans mission")
        client = client_for(roles.FACILITATEUR)
        actives = _json(client, "entreprises", q="generale", actives="1")["resultats"]
        assert "Générale inactive" not in [r["libelle"] for r in actives]
        employeurs = _json(client, "entreprises", q="generale", employeurs="1")["resultats"]
        assert [r["id"] for r in employeurs] == [mission.employeur_id]

    def test_lots_de_l_entreprise_choisie(self, client_for, mission):
        autre = f.LotFactory(intitule="Peinture")
        cotraite = f.LotFactory(intitule="Plâtrerie du préau", cotraitants=[mission.employeur])
        client = client_for(roles.FACILITATEUR)
        tous = {r["id"] for r in _json(client, "lots")["resultats"]}
        assert {mission.lot_id, autre.pk, cotraite.pk} <= tous
        siens = _json(client, "lots", entreprise=str(mission.employeur_id))["resultats"]
        assert {r["id"] for r in siens} == {mission.lot_id, cotraite.pk}
        assert [r["id"] for r in _json(client, "lots", q="platrerie PREAU")["resultats"]] == [
            cotraite.pk
        ]

    def test_marches_missions_participants(self, client_for, mission):
        f.ParticipantFactory(nom="Ühlmann", prenom="Zoé")
        f.ParticipantFactory(nom="Ühlmann", prenom="Anonyme", anonymise_le=timezone.now())
        client = client_for(roles.FACILITATEUR)
        participants = _json(client, "participants", q="uhlmann")["resultats"]
        assert [r["libelle"] for r in participants] == ["ÜHLMANN Zoé"]
        ref = mission.lot.marche.reference
        assert _json(client, "marches", q=ref)["resultats"][0]["id"] == mission.lot.marche_id
        missions = _json(client, "missions", q=mission.reference)["resultats"]
        assert [r["id"] for r in missions] == [mission.pk]

    def test_donneurs_et_operations_de_l_acheteur_choisi(self, client_for):
        ville = f.DonneurOrdreFactory(nom="Ville de Délle", siret="21900039800015")
        f.DonneurOrdreFactory(nom="Autre acheteur")
        quartier = f.OperationFactory(nom="Quartier des Résidences", donneur_ordre=ville)
        ailleurs = f.OperationFactory(nom="Résidence ailleurs")
        client = client_for(roles.DIRECTION)  # the indicators' and bilan's filters
        donneurs = _json(client, "donneurs", q="delle")["resultats"]
        assert [r["libelle"] for r in donneurs] == ["Ville de Délle"]
        assert donneurs[0]["detail"].startswith("21900039800015")
        assert _json(client, "donneurs", q="219 000 398")["resultats"][0]["id"] == ville.pk
        residences = _json(client, "operations", q="residence")["resultats"]
        assert {r["id"] for r in residences} == {quartier.pk, ailleurs.pk}
        siennes = _json(client, "operations", q="residence", donneur_ordre=str(ville.pk))
        assert [r["id"] for r in siennes["resultats"]] == [quartier.pk]

    @pytest.mark.parametrize(
        ("role", "famille", "code"),
        [
            (roles.DIRECTION, "donneurs", 200),
            (roles.SUIVI, "operations", 200),
            (None, "donneurs", 403),
            (roles.DIRECTION, "participants", 403),
            (roles.DIRECTION, "missions", 403),
            (roles.ANIMATEUR, "participants", 403),
            (roles.DIRECTION, "entreprises", 200),
            (roles.ANIMATEUR, "entreprises", 200),
            (None, "entreprises", 403),
            (roles.ADMIN, "inconnue", 404),
        ],
    )
    def test_droits(self, client_for, role, famille, code):
        reponse = client_for(role).get(reverse("choix", args=[famille]), {"q": "a"})
        assert reponse.status_code == code

    def test_anonyme_renvoye_a_la_connexion(self, client):
        reponse = client.get(reverse("choix", args=["entreprises"]))
        assert reponse.status_code == 302 and "/connexion/" in reponse["Location"]

    def test_nombre_de_requetes_constant(self, client_for, django_assert_max_num_queries):
        client = client_for(roles.FACILITATEUR)
        _json(client, "lots", q="a")
        for _ in range(25):
            f.LotFactory()
        with django_assert_max_num_queries(8):
            assert len(_json(client, "lots")["resultats"]) == 20


class TestPagesSansToutesLesOptions:
    @pytest.fixture
    def trois_cents(self):
        Entreprise.objects.bulk_create(
            f.EntrepriseFactory.build(raison_sociale=f"Entreprise {i:03d}") for i in range(300)
        )

    @pytest.mark.parametrize(
        ("url", "noms"),
        [
            ("marches:marche_liste", ["donneur_ordre", "operation"]),
            ("marches:lot_liste", ["donneur_ordre", "operation"]),
            ("marches:file_qualification", ["donneur_ordre"]),
            ("indicateurs", ["donneur_ordre", "operation"]),
            ("bilan", ["donneur_ordre"]),
            ("heures:tableau_mois", ["donneur_ordre"]),
            ("marches:marche_creer", ["donneur_ordre", "operation"]),
            ("marches:operation_creer", ["donneur_ordre"]),
        ],
    )
    def test_donneurs_et_operations_sans_toutes_les_options(self, client_for, url, noms):
        for i in range(40):
            f.OperationFactory(nom=f"Opération {i:02d}")
        client = client_for(roles.ADMIN)
        html = client.get(reverse(url)).content.decode()
        for nom in noms:
            assert _options(html, nom) in ([""], []), nom

    def test_saisie_des_heures(self, client_for, trois_cents, mission):
        html = client_for(roles.FACILITATEUR).get(reverse("heures:declaration_ouvrir")).content
        html = html.decode()
        assert _options(html, "entreprise") == [""]
        assert _options(html, "lot") == [""]
        assert 'data-choix-url="/choix/entreprises/"' in html
        assert 'data-choix-depend="entreprise"' in html
        assert html.count("<option") <= 2

    def test_filtre_d_une_liste_garde_la_seule_option_choisie(
        self, client_for, trois_cents, mission, django_assert_max_num_queries
    ):
        client = client_for(roles.FACILITATEUR)
        url = reverse("marches:lot_liste")
        client.get(url, {"entreprise": mission.employeur_id})
        with django_assert_max_num_queries(30):
            html = client.get(url, {"entreprise": mission.employeur_id}).content.decode()
        assert _options(html, "entreprise") == ["", str(mission.employeur_id)]
        assert "Générale du Bâtiment</option>" in html
        assert html.count("<option") < 40  # the other selects (statut, nature…) only

    def test_edition_d_un_lot_cotraitants(self, client_for, trois_cents, mission):
        lot = mission.lot
        cotraitant = Entreprise.objects.get(raison_sociale="Entreprise 007")
        lot.cotraitants.set([cotraitant])
        html = (
            client_for(roles.FACILITATEUR)
            .get(reverse("marches:lot_modifier", args=[lot.pk]))
            .content.decode()
        )
        assert _options(html, "titulaire") == ["", str(lot.titulaire_id)]
        assert re.findall(r'<select name="cotraitants"[^>]*multiple', html), (
            "cotraitants : liste multiple"
        )
        assert _options(html, "cotraitants") == [str(cotraitant.pk)]
        assert _options(html, "sous_traitants") == []

    def test_mission(self, client_for, trois_cents, mission):
        for _ in range(5):
            f.ParticipantFactory()
        html = client_for(roles.FACILITATEUR).get(reverse("heures:mission_creer")).content.decode()
        for nom in ("participant", "lot", "employeur"):
            assert _options(html, nom) == [""], nom


class TestValidationCoteServeur:
    def test_lot_limite_aux_lots_de_l_entreprise(self, client_for, mission):
        autre_lot = f.LotFactory()
        client = client_for(roles.FACILITATEUR)
        reponse = client.post(
            reverse("heures:declaration_ouvrir"),
            {"entreprise": mission.employeur_id, "lot": autre_lot.pk, "mois": "2026-03"},
        )
        assert reponse.status_code == 200
        erreurs = reponse.context["form"].errors
        assert erreurs["lot"] == [
            "Lot : ce lot n'est pas un lot de l'entreprise choisie (titulaire, cotraitant, "
            "sous-traitant ou employeur d'une mission) ; choisissez l'un de ses lots."
        ]
        assert not DeclarationMensuelle.objects.exists()
        # the chosen values are kept, as their only options
        html = reponse.content.decode()
        assert _options(html, "lot") == ["", str(autre_lot.pk)]

    def test_identifiant_inconnu(self, client_for, mission):
        reponse = client_for(roles.FACILITATEUR).post(
            reverse("heures:declaration_ouvrir"),
            {"entreprise": "999999", "lot": "abc", "mois": "2026-03"},
        )
        erreurs = reponse.context["form"].errors
        assert erreurs["entreprise"] == [
            "Entreprise : ce choix n'existe pas ou ne vous est pas proposé ; "
            "choisissez dans la liste."
        ]
        assert erreurs["lot"][0].startswith("Lot : ce choix n'existe pas")
        assert not DeclarationMensuelle.objects.exists()

    def test_ouvrir_avec_un_lot_de_l_entreprise(self, client_for, mission):
        client = client_for(roles.FACILITATEUR)
        reponse = client.post(
            reverse("heures:declaration_ouvrir"),
            {"entreprise": mission.employeur_id, "lot": mission.lot_id, "mois": "2026-03"},
        )
        declaration = DeclarationMensuelle.objects.get()
        assert reponse["Location"] == reverse("heures:declaration_saisie", args=[declaration.pk])
        assert (declaration.entreprise, declaration.lot) == (mission.employeur, mission.lot)

    def test_employeur_inactif_refuse(self, client_for, mission):
        inactive = f.EntrepriseFactory(active=False)
        reponse = client_for(roles.FACILITATEUR).post(
            reverse("heures:mission_creer"),
            {
                "participant": mission.participant_id,
                "lot": mission.lot_id,
                "employeur": inactive.pk,
            },
        )
        assert reponse.context["form"].errors["employeur"] == [
            "Employeur : ce choix n'existe pas ou ne vous est pas proposé ; "
            "choisissez dans la liste."
        ]
