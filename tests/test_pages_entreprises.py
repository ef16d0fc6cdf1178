"""Pages of the companies area: list and detail (read-only)."""

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from entreprises.models import TypeStructure
from heures.models import StatutDeclaration
from label.models import StatutDossier
from tests import factories as f

pytestmark = pytest.mark.django_db

SIRET_BATIR = f.siret(90_001)
SIRET_TREMPLIN = f.siret(90_002)


def lignes_xlsx(response) -> list[tuple]:
    assert response.status_code == 200
    classeur = load_workbook(BytesIO(b"".join(response.streaming_content)))
    return list(classeur.active.iter_rows(values_only=True))


@pytest.fixture
def entreprises():
    batir = f.EntrepriseFactory(
        raison_sociale="Bâtir Ensemble",
        identifiant=SIRET_BATIR,
        commune="Belfort",
        type_structure=TypeStructure.CLASSIQUE,
    )
    insertion = f.EntrepriseFactory(
        raison_sociale="Tremplin Intérim",
        identifiant=SIRET_TREMPLIN,
        commune="Montbéliard",
        type_structure=TypeStructure.ETTI,
    )
    ancienne = f.EntrepriseFactory(raison_sociale="Ancienne Maçonnerie", active=False)
    f.LotFactory(titulaire=batir)
    f.LotFactory(titulaire=batir)
    return batir, insertion, ancienne


def test_liste_entreprises(client_for, entreprises):
    client = client_for("suivi")
    response = client.get(reverse("entreprises:liste"))
    assert response.status_code == 200
    contenu = response.content.decode()
    assert "Bâtir Ensemble" in contenu and "Tremplin Intérim" in contenu
    assert SIRET_BATIR in contenu
    assert "Entreprise classique" in contenu and "(ETTI)" in contenu
    assert "Montbéliard" in contenu
    assert entreprises[0].get_absolute_url() in contenu
    lignes = {e.raison_sociale: e for e in response.context["object_list"]}
    assert lignes["Bâtir Ensemble"].nb_lots_titulaire == 2
    assert lignes["Tremplin Intérim"].nb_lots_titulaire == 0


@pytest.mark.parametrize(
    "params, attendues",
    [
        ({"q": "bâtir"}, ["Bâtir Ensemble"]),
        ({"q": SIRET_TREMPLIN[:9]}, ["Tremplin Intérim"]),
        ({"type_structure": TypeStructure.ETTI}, ["Tremplin Intérim"]),
        ({"commune": "montb"}, ["Tremplin Intérim"]),
        ({"active": "false"}, ["Ancienne Maçonnerie"]),
        ({"active": "true"}, ["Bâtir Ensemble", "Tremplin Intérim"]),
    ],
)
def test_filtres_entreprises(client_for, entreprises, params, attendues):
    client = client_for("animateur")
    response = client.get(reverse("entreprises:liste"), params)
    assert [e.raison_sociale for e in response.context["object_list"]] == attendues


def test_tri_entreprises_par_nombre_de_lots(client_for, entreprises):
    client = client_for("facilitateur")
    response = client.get(reverse("entreprises:liste"), {"tri": "-nb_lots_titulaire"})
    assert response.context["object_list"][0].raison_sociale == "Bâtir Ensemble"


def test_export_entreprises(client_for, entreprises):
    client = client_for("direction")
    lignes = lignes_xlsx(
        client.get(reverse("entreprises:liste"), {"active": "true", "export": "xlsx"})
    )
    assert lignes[0] == (
        "Raison sociale",
        "Identifiant",
        "Type",
        "Commune",
        "Lots (titulaire)",
        "Active",
    )
    assert lignes[1:] == [
        ("Bâtir Ensemble", SIRET_BATIR, "Entreprise classique", "Belfort", 2, "Oui"),
        (
            "Tremplin Intérim",
            SIRET_TREMPLIN,
            TypeStructure.ETTI.label,
            "Montbéliard",
            0,
            "Oui",
        ),
    ]


def test_entreprises_interdites_sans_role(client_for, entreprises):
    client = client_for(None)
    assert client.get(reverse("entreprises:liste")).status_code == 403
    assert client.get(entreprises[0].get_absolute_url()).status_code == 403


@pytest.fixture
def batir_complete(entreprises):
    batir, insertion, _ = entreprises
    f.ContactFactory(
        entreprise=batir,
        civilite="Mme",
        prenom="Claire",
        nom="Fontaine",
        fonction="Responsable RH",
        principal=True,
    )
    lot = f.LotFactory(titulaire=batir, intitule="Menuiseries extérieures")
    f.ClauseFactory(lot=lot, heures_requises=Decimal("833"), heures_calculees=Decimal("833"))
    f.LotFactory(intitule="Voirie et réseaux", cotraitants=[batir])
    f.LotFactory(intitule="Espaces verts", titulaire=insertion, sous_traitants=[batir])
    for mois, heures, statut in [
        (dt.date(2024, 3, 1), Decimal("100"), StatutDeclaration.VALIDEE),
        (dt.date(2025, 2, 1), Decimal("12.5"), StatutDeclaration.VALIDEE),
        (dt.date(2025, 3, 1), Decimal("40"), StatutDeclaration.SOUMISE),  # not counted
    ]:
        d = f.DeclarationMensuelleFactory(lot=lot, entreprise=batir, mois=mois, statut=statut)
        f.LigneDeclarationFactory(declaration=d, heures=heures)
    aujourdhui = timezone.localdate()
    f.LabelFactory(
        dossier=f.DossierLabelFactory(
            entreprise=batir, annee=aujourdhui.year - 1, statut=StatutDossier.LABELLISE
        ),
        date_obtention=aujourdhui - dt.timedelta(days=100),
        date_expiration=aujourdhui + dt.timedelta(days=900),
    )
    return batir, lot


def test_fiche_entreprise(client_for, batir_complete):
    batir, lot = batir_complete
    client = client_for("animateur")
    response = client.get(batir.get_absolute_url())
    assert response.status_code == 200
    contenu = response.content.decode().replace("&#x27;", "'")
    assert "<h1" in contenu and "Bâtir Ensemble" in contenu
    assert SIRET_BATIR in contenu
    assert batir.adresse in contenu and "Belfort" in contenu
    # Contacts
    assert "Mme Claire Fontaine" in contenu and "Responsable RH" in contenu
    # Lots in each role
    assert "Menuiseries extérieures" in contenu and lot.get_absolute_url() in contenu
    assert "Voirie et réseaux" in contenu
    assert "Espaces verts" in contenu and "Tremplin Intérim" in contenu
    assert "833 h" in contenu
    # Validated hours by year (the submitted 40 h are not counted)
    annees = next(t for t in response.context["tableaux"] if t.titre.startswith("Heures"))
    assert [(ligne[0][0], ligne[1][0]) for ligne in annees.lignes] == [
        ("2024", "100 h"),
        ("2025", "12,5 h"),
    ]
    assert "112,5 h" in contenu  # realised hours of the lot
    # Label
    assert "statut-labellise" in contenu
    assert "Labellisée jusqu'au" in contenu
    assert "Dossiers de labellisation" in contenu  # the animator sees the dossiers
    assert "Historique des modifications" in contenu


def test_fiche_entreprise_sans_droits_label(client_for, batir_complete):
    batir, _ = batir_complete
    client = client_for("suivi")
    contenu = client.get(batir.get_absolute_url()).content.decode().replace("&#x27;", "'")
    assert "Labellisée jusqu'au" in contenu  # the label is public
    assert "Dossiers de labellisation" not in contenu


def test_fiche_entreprise_inactive_et_introuvable(client_for, entreprises):
    _, _, ancienne = entreprises
    client = client_for("direction")
    contenu = client.get(ancienne.get_absolute_url()).content.decode()
    assert "statut-archivee" in contenu and "Inactive" in contenu
    assert "Non labellisée" in contenu
    assert "Aucune heure validée." in contenu
    assert client.get(reverse("entreprises:detail", args=[999999])).status_code == 404


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_liste_entreprises(client_for, django_assert_max_num_queries, n):
    for _ in range(n):
        f.LotFactory(titulaire=f.EntrepriseFactory())
    client = client_for("facilitateur")
    url = reverse("entreprises:liste")
    client.get(url)
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(7):
        lignes_xlsx(client.get(url, {"export": "xlsx"}))
