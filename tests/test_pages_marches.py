"""The contract lists (reusable list pattern) and detail pages of the marches app."""

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from marches.models import NatureMarche
from mife import roles
from mife.core.mois import ajouter_mois
from tests.factories import (
    ClauseFactory,
    DeclarationMensuelleFactory,
    DonneurOrdreFactory,
    EntrepriseFactory,
    LigneDeclarationFactory,
    LotFactory,
    MarcheFactory,
    OperationFactory,
)

pytestmark = pytest.mark.django_db


def _xlsx(response):
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    wb = load_workbook(BytesIO(b"".join(response.streaming_content)))
    return list(wb.active.iter_rows(values_only=True))


def _lot_avec_heures(heures: list[str], statut="validee", **kwargs):
    clause = ClauseFactory(heures_requises=Decimal("100"), **kwargs)
    lot = clause.lot
    declaration = DeclarationMensuelleFactory(lot=lot, statut=statut)
    for h in heures:
        LigneDeclarationFactory(declaration=declaration, heures=Decimal(h))
    return lot


class TestListeLots:
    def test_heures_realisees_ne_comptent_que_les_validees(self, client_for):
        lot = _lot_avec_heures(["12.5", "30"])
        validee = lot.declarations.get()
        mois_suivant = ajouter_mois(validee.mois, 1)
        brouillon = DeclarationMensuelleFactory(lot=lot, statut="brouillon", mois=mois_suivant)
        LigneDeclarationFactory(declaration=brouillon, heures=Decimal("99"))
        client = client_for(roles.SUIVI)
        texte = client.get(reverse("marches:lot_liste")).content.decode()
        assert "42,5 h" in texte
        assert "100 h" in texte
        assert "42,5 %" in texte
        assert "141,5 h" not in texte

    def test_filtres_et_recherche(self, client_for):
        belfort = DonneurOrdreFactory(nom="Ville de Belfort")
        delle = DonneurOrdreFactory(nom="Ville de Delle")
        ClauseFactory(lot__intitule="Gros œuvre école", lot__marche__donneur_ordre=belfort)
        ClauseFactory(lot__intitule="Voirie rue de Delle", lot__marche__donneur_ordre=delle)
        client = client_for(roles.DIRECTION)
        url = reverse("marches:lot_liste")
        texte = client.get(url, {"donneur_ordre": belfort.pk}).content.decode()
        assert "Gros œuvre école" in texte and "Voirie rue de Delle" not in texte
        texte = client.get(url, {"q": "voirie"}).content.decode()
        assert "Voirie rue de Delle" in texte and "Gros œuvre école" not in texte

    def test_filtre_statut(self, client_for):
        aujourdhui = dt.date.today()
        LotFactory(
            intitule="Lot futur",
            marche__date_notification=aujourdhui,
            date_debut=aujourdhui + dt.timedelta(days=60),
        )
        LotFactory(
            intitule="Lot fini",
            marche__date_notification=aujourdhui - dt.timedelta(days=900),
            date_debut=aujourdhui - dt.timedelta(days=800),
            date_fin=aujourdhui - dt.timedelta(days=10),
        )
        client = client_for(roles.FACILITATEUR)
        url = reverse("marches:lot_liste")
        texte = client.get(url, {"statut": "a_venir"}).content.decode()
        assert "Lot futur" in texte and "Lot fini" not in texte
        texte = client.get(url, {"statut": "termine"}).content.decode()
        assert "Lot fini" in texte and "Lot futur" not in texte

    def test_filtre_invalide_affiche_une_erreur(self, client_for):
        client = client_for(roles.FACILITATEUR)
        response = client.get(reverse("marches:lot_liste"), {"donneur_ordre": "abc"})
        assert response.status_code == 200
        assert "Un filtre est invalide" in response.content.decode()

    def test_tri_par_colonne_et_tri_inconnu_ignore(self, client_for):
        ClauseFactory(lot__intitule="AAA premier", heures_requises=Decimal("10"))
        ClauseFactory(lot__intitule="ZZZ dernier", heures_requises=Decimal("900"))
        client = client_for(roles.FACILITATEUR)
        url = reverse("marches:lot_liste")
        texte = client.get(url, {"tri": "-clause__heures_requises"}).content.decode()
        assert texte.index("ZZZ dernier") < texte.index("AAA premier")
        texte = client.get(url, {"tri": "clause__heures_requises"}).content.decode()
        assert texte.index("AAA premier") < texte.index("ZZZ dernier")
        assert client.get(url, {"tri": "participant__nom"}).status_code == 200

    def test_export_excel_exactement_les_lignes_filtrees(self, client_for):
        belfort = DonneurOrdreFactory(nom="Ville de Belfort")
        _lot_avec_heures(["12.5", "30"], lot__marche__donneur_ordre=belfort)
        ClauseFactory(lot__intitule="Hors filtre")
        client = client_for(roles.DIRECTION)
        response = client.get(
            reverse("marches:lot_liste"), {"donneur_ordre": belfort.pk, "export": "xlsx"}
        )
        lignes = _xlsx(response)
        assert lignes[0][:4] == ("Lot", "Donneur d'ordre", "Titulaire", "Clause")
        assert len(lignes) == 2
        entete = lignes[0]
        ligne = dict(zip(entete, lignes[1], strict=True))
        assert ligne["Donneur d'ordre"] == "Ville de Belfort"
        assert ligne["Heures réalisées"] == 42.5
        assert ligne["Heures requises"] == 100
        assert isinstance(ligne["Début"], dt.datetime)

    def test_pagination(self, client_for):
        for _ in range(27):
            ClauseFactory()
        client = client_for(roles.FACILITATEUR)
        url = reverse("marches:lot_liste")
        assert "Page 1 sur 2" in client.get(url).content.decode()
        assert "Page 2 sur 2" in client.get(url, {"page": 2}).content.decode()

    @pytest.mark.parametrize("nombre", [3, 30])
    def test_nombre_de_requetes_constant(self, client_for, django_assert_max_num_queries, nombre):
        for _ in range(nombre):
            _lot_avec_heures(["10"])
        client = client_for(roles.FACILITATEUR)
        with django_assert_max_num_queries(12):
            response = client.get(reverse("marches:lot_liste"))
        assert response.status_code == 200

    def test_anonyme_et_sans_droit(self, client, client_for):
        url = reverse("marches:lot_liste")
        assert client.get(url).status_code == 302
        assert client_for(None).get(url).status_code == 403


class TestListeMarches:
    def test_filtre_nature_et_export(self, client_for):
        MarcheFactory(
            reference="2025-TRX-01", nature=NatureMarche.TRAVAUX, montant_ht=Decimal("1234567.89")
        )
        MarcheFactory(reference="2025-SRV-01", nature=NatureMarche.SERVICES)
        client = client_for(roles.SUIVI)
        url = reverse("marches:marche_liste")
        texte = client.get(url, {"nature": "travaux"}).content.decode()
        assert "2025-TRX-01" in texte and "2025-SRV-01" not in texte
        assert "1\xa0234\xa0567,89 €" in texte
        lignes = _xlsx(client.get(url, {"nature": "travaux", "export": "xlsx"}))
        assert len(lignes) == 2
        assert lignes[1][0] == "2025-TRX-01"
        assert lignes[1][6] == pytest.approx(1234567.89)

    @pytest.mark.parametrize("nombre", [3, 30])
    def test_nombre_de_requetes_constant(self, client_for, django_assert_max_num_queries, nombre):
        for _ in range(nombre):
            MarcheFactory()
        client = client_for(roles.FACILITATEUR)
        with django_assert_max_num_queries(12):
            assert client.get(reverse("marches:marche_liste")).status_code == 200


class TestDonneursOrdre:
    @pytest.mark.parametrize("nombre", [3, 30])
    def test_nombre_de_requetes_constant(self, client_for, django_assert_max_num_queries, nombre):
        for _ in range(nombre):
            DonneurOrdreFactory()
        client = client_for(roles.DIRECTION)
        with django_assert_max_num_queries(10):
            assert client.get(reverse("marches:donneur_liste")).status_code == 200

    def test_fiche(self, client_for):
        marche = MarcheFactory(reference="2025-042")
        client = client_for(roles.DIRECTION)
        texte = client.get(marche.donneur_ordre.get_absolute_url()).content.decode()
        assert marche.donneur_ordre.nom in texte
        assert "2025-042" in texte


class TestFiches:
    def test_fiche_lot_heures_et_historique(self, client_for):
        lot = _lot_avec_heures(["12.5", "30"])
        client = client_for(roles.FACILITATEUR)
        texte = client.get(lot.get_absolute_url()).content.decode()
        assert "Heures réalisées (validées)" in texte
        assert "42,5 h" in texte
        assert "Historique des modifications" in texte
        assert "Création" in texte

    def test_fiche_lot_direction_ne_voit_pas_les_identites(self, client_for):
        lot = _lot_avec_heures(["10"])
        mission = lot.missions.get()
        # A name no generated company or place can contain.
        mission.participant.nom = "Zébulonnière"
        mission.participant.save()
        client = client_for(roles.DIRECTION)
        texte = client.get(lot.get_absolute_url()).content.decode()
        assert mission.reference in texte
        assert mission.participant.nom not in texte
        # Aggregates only: not even the initials (docs/autorisations.md).
        assert mission.participant.initiales not in texte

    def test_fiche_marche(self, client_for):
        lot = LotFactory(intitule="Menuiseries extérieures")
        client = client_for(roles.SUIVI)
        texte = client.get(lot.marche.get_absolute_url()).content.decode()
        assert "Menuiseries extérieures" in texte
        assert lot.marche.reference in texte

    def test_id_inconnu_404(self, client_for):
        client = client_for(roles.SUIVI)
        assert client.get(reverse("marches:marche_detail", args=[424242])).status_code == 404


class TestListeOperations:
    @pytest.mark.parametrize("nombre", [3, 30])
    def test_nombre_de_requetes_constant(self, client_for, django_assert_max_num_queries, nombre):
        for _ in range(nombre):
            MarcheFactory()  # an operation with its buyer and one contract
        client = client_for(roles.FACILITATEUR)
        with django_assert_max_num_queries(10):
            response = client.get(reverse("marches:operation_liste"))
        assert response.status_code == 200
        assert f'title="Nombre de résultats">{nombre}<' in response.content.decode()

    def test_filtres_nombre_de_marches_et_export(self, client_for):
        belfort = DonneurOrdreFactory(nom="Ville de Belfort")
        ecole = OperationFactory(
            donneur_ordre=belfort, nom="Groupe scolaire Jean-Jaurès", renouvellement_urbain=True
        )
        MarcheFactory.create_batch(2, donneur_ordre=belfort, operation=ecole)
        OperationFactory(nom="Piscine intercommunale")
        client = client_for(roles.DIRECTION)
        url = reverse("marches:operation_liste")
        texte = client.get(url, {"donneur_ordre": belfort.pk}).content.decode()
        assert "Groupe scolaire Jean-Jaurès" in texte and "Piscine" not in texte
        texte = client.get(url, {"q": "piscine"}).content.decode()
        assert "Piscine intercommunale" in texte and "Jean-Jaurès" not in texte
        texte = client.get(url, {"renouvellement_urbain": "true"}).content.decode()
        assert "Jean-Jaurès" in texte and "Piscine" not in texte
        lignes = _xlsx(client.get(url, {"donneur_ordre": belfort.pk, "export": "xlsx"}))
        assert len(lignes) == 2
        ligne = dict(zip(lignes[0], lignes[1], strict=True))
        assert (ligne["Opération"], ligne["Marchés"], ligne["Renouvellement urbain"]) == (
            "Groupe scolaire Jean-Jaurès",
            2,
            "Oui",
        )

    def test_action_nouvelle_operation_selon_le_role(self, client_for):
        creer = reverse("marches:operation_creer")
        url = reverse("marches:operation_liste")
        assert creer in client_for(roles.FACILITATEUR).get(url).content.decode()
        assert creer not in client_for(roles.SUIVI).get(url).content.decode()


class TestFiltresLots:
    def test_type_de_clause_annee_entreprise_operation_nature(self, client_for):
        titulaire = EntrepriseFactory(raison_sociale="Bâtiment Belfortain")
        a = ClauseFactory(
            type="L2152-7",
            ponderation_critere=Decimal("10"),
            lot__intitule="Lot A",
            lot__titulaire=titulaire,
            lot__marche__date_notification=dt.date(2023, 1, 1),
            lot__date_debut=dt.date(2023, 3, 1),
            lot__date_fin=dt.date(2024, 2, 28),
        ).lot
        ClauseFactory(
            type="L2112-2",
            lot__intitule="Lot B",
            lot__marche__nature=NatureMarche.SERVICES,
            lot__marche__date_notification=dt.date(2025, 1, 1),
            lot__date_debut=dt.date(2025, 3, 1),
            lot__date_fin=dt.date(2026, 2, 28),
        )
        client = client_for(roles.FACILITATEUR)
        url = reverse("marches:lot_liste")

        def intitules(**filtres):
            texte = client.get(url, filtres).content.decode()
            return {i for i in ("Lot A", "Lot B") if f"— {i}<" in texte}

        assert intitules(type_clause="L2152-7") == {"Lot A"}
        assert intitules(annee=2024) == {"Lot A"}
        assert intitules(annee=2025) == {"Lot B"}
        assert intitules(entreprise=titulaire.pk) == {"Lot A"}
        assert intitules(operation=a.marche.operation_id) == {"Lot A"}
        assert intitules(nature="services") == {"Lot B"}
        assert intitules(q=a.marche.reference.lower()) == {"Lot A"}
        assert intitules() == {"Lot A", "Lot B"}
        lignes = _xlsx(client.get(url, {"type_clause": "L2152-7", "export": "xlsx"}))
        assert [ligne[0] for ligne in lignes[1:]] == [str(a)]
