"""Repérage des marchés: the qualification queue of contracts found in the DECP."""

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from entreprises.models import Entreprise
from marches import decp, qualification, services
from marches.models import (
    Clause,
    FamilleCPV,
    Lot,
    Marche,
    NatureMarche,
    Operation,
    Qualification,
    ReferenceCalcul,
    SeuilsQualification,
)
from mife import roles, selectors
from tests.factories import LotFactory, MarcheFactory

pytestmark = pytest.mark.django_db

DECP = Path(__file__).parent / "data" / "decp"
FICHIER_V2 = DECP / "decp_v2_gip_maximilien_excerpt.json"
FICHIER_2019 = DECP / "decp_2019_bfc_belfort_excerpt.json"


def _v2(*considerations_par_marche, date="2030-01-01") -> bytes:
    """The real v2 excerpt, its records given these social considerations (copies in memory:
    no real record publishes a clause sociale, see the README) and a future end."""
    donnees = json.loads(FICHIER_V2.read_text(encoding="utf-8"))
    marches = donnees["marches"]["marche"]
    for marche, considerations in zip(marches, considerations_par_marche, strict=False):
        marche["considerationsSociales"] = {"considerationSociale": list(considerations)}
    for marche in marches:
        marche["dateNotification"] = date
    return json.dumps(copy.deepcopy(donnees)).encode()


def test_les_chiffres_d_accueil_ne_bougent_pas_quand_on_importe(make_user):
    LotFactory()  # one running lot, one active company
    facilitateur, direction = make_user(roles.FACILITATEUR), make_user(roles.DIRECTION, "d")
    avant = (
        selectors.accueil_facilitateur(facilitateur)["nb_lots_en_cours"],
        selectors.accueil_direction(direction)["nb_lots_en_cours"],
        selectors.accueil_direction(direction)["nb_entreprises"],
    )

    decp.importer(FICHIER_2019.read_bytes())  # 174 contracts, their titulaires
    decp.importer(_v2(["Clause sociale"]))  # 3 running contracts, to qualify

    assert Marche.objects.count() == 1 + 174 + 3
    apres = (
        selectors.accueil_facilitateur(facilitateur)["nb_lots_en_cours"],
        selectors.accueil_direction(direction)["nb_lots_en_cours"],
        selectors.accueil_direction(direction)["nb_entreprises"],
    )
    assert apres == avant
    # Contracts already ended are archived, never « en cours »; the rest wait to be qualified.
    assert not Marche.objects.filter(decp_id__gt="", qualification=Qualification.SUIVI).exists()
    assert Marche.objects.filter(qualification=Qualification.ARCHIVE).count() > 100
    v2 = Marche.objects.filter(decp_id__startswith="D2F")
    assert {m.qualification for m in v2} == {Qualification.A_QUALIFIER}


def test_la_file_classe_la_clause_sociale_publiee_en_premier(client_for):
    decp.importer(_v2([], ["Critère social"], ["Clause sociale"]))
    client = client_for(roles.FACILITATEUR)

    response = client.get(reverse("marches:file_qualification"))

    lignes = list(response.context["object_list"])
    assert [m.decp_id for m in lignes] == ["D2F2021S0392902", "D2F2023S0302702", "D2F2019S0000102"]
    assert lignes[0].raisons_qualification[0] == "Clause sociale publiée"
    assert "Critère social publié" in lignes[1].raisons_qualification
    assert lignes[0].score_qualification > lignes[1].score_qualification


def test_raisons_famille_cpv_seuils_et_acheteur_partenaire():
    decp.importer(_v2())
    marche = Marche.objects.get(decp_id="D2F2019S0000102")  # 4 M€, 72 months, CPV 72…
    assert any(r.startswith("Montant d'au moins") for r in marche.raisons_qualification)
    assert "Durée d'au moins 12 mois" in marche.raisons_qualification
    assert not any(r.startswith("Famille CPV") for r in marche.raisons_qualification)

    # The admin edits the lists: the queue is re-ranked.
    FamilleCPV.objects.create(prefixe=marche.code_cpv[:2], libelle="Informatique")
    SeuilsQualification.objects.update_or_create(pk=1, defaults={"montant_min": 10**8})
    LotFactory(marche__donneur_ordre=marche.donneur_ordre)  # the buyer is already a partner
    qualification.evaluer()

    marche.refresh_from_db()
    assert "Famille CPV : Informatique" in marche.raisons_qualification
    assert "Acheteur déjà partenaire" in marche.raisons_qualification
    assert not any(r.startswith("Montant d'au moins") for r in marche.raisons_qualification)


def test_famille_cpv_modifiee_dans_l_admin_reclasse_la_file(client_for):
    decp.importer(_v2())
    admin = client_for(roles.ADMIN, is_staff=True)
    response = admin.post(
        reverse("admin:marches_famillecpv_add"), {"prefixe": "72", "libelle": "Informatique"}
    )
    assert response.status_code == 302
    marche = Marche.objects.get(decp_id="D2F2019S0000102")
    assert "Famille CPV : Informatique" in marche.raisons_qualification


def test_suivre_cree_operation_lot_et_clause_calcul_prerempli(client_for):
    decp.importer(_v2(["Clause sociale"]))
    marche = Marche.objects.get(decp_id="D2F2019S0000102")
    client = client_for(roles.FACILITATEUR)
    url = reverse("marches:marche_qualifier", args=[marche.pk])
    assert "Suivre ce marché" in client.get(url).content.decode()

    response = client.post(url, {"suivre": "1", "operation": ""})

    lot = Lot.objects.get(marche=marche)
    assert response.status_code == 302 and response["Location"] == reverse(
        "marches:lot_modifier", args=[lot.pk]
    )
    marche.refresh_from_db()
    assert marche.qualification == Qualification.SUIVI
    assert marche.operation.nom == marche.objet[:250]
    assert (lot.numero, lot.montant_ht, lot.facilitateur) == ("1", marche.montant_ht, client.user)
    assert lot.titulaire.identifiant == "37890194600483"
    assert lot.titulaire.active is True  # now counts among the active companies
    reference = ReferenceCalcul.objects.get(nature=NatureMarche.SERVICES)
    clause = lot.clause
    assert clause.montant_base == Decimal("4087520.83")
    assert clause.heures_calculees == Clause.calculer_heures(
        marche.montant_ht,
        reference.part_main_oeuvre,
        reference.taux_insertion,
        reference.cout_horaire,
    )
    assert clause.heures_requises == clause.heures_calculees > 0
    # It is no longer in the queue, and cannot be accepted twice.
    assert marche not in client.get(reverse("marches:file_qualification")).context["object_list"]
    with pytest.raises(ValidationError):
        services.accepter_marche(marche, client.user)


def test_suivre_en_le_rattachant_a_une_operation_existante(make_user):
    decp.importer(_v2())
    marche = Marche.objects.get(decp_id="D2F2019S0000102")
    operation = Operation.objects.create(donneur_ordre=marche.donneur_ordre, nom="Existante")
    autre = Operation.objects.create(donneur_ordre=MarcheFactory().donneur_ordre, nom="Autre")
    user = make_user(roles.FACILITATEUR)

    with pytest.raises(ValidationError, match="autre donneur d'ordre"):
        services.accepter_marche(marche, user, autre)
    assert not Lot.objects.filter(marche=marche).exists()

    services.accepter_marche(marche, user, operation)
    marche.refresh_from_db()
    assert marche.operation == operation


def test_ecarter_avec_un_motif(client_for):
    decp.importer(_v2())
    marche = Marche.objects.get(decp_id="D2F2019S0000102")
    client = client_for(roles.FACILITATEUR)
    url = reverse("marches:marche_qualifier", args=[marche.pk])

    response = client.post(url, {"ecarter": "1", "motif": ""})
    assert "Indiquez pourquoi ce marché est écarté." in response.content.decode()
    marche.refresh_from_db()
    assert marche.qualification == Qualification.A_QUALIFIER

    response = client.post(url, {"ecarter": "1", "motif": "Maintenance informatique"})
    assert response.status_code == 302
    marche.refresh_from_db()
    assert (marche.qualification, marche.motif_ecart) == (
        Qualification.ECARTE,
        "Maintenance informatique",
    )
    assert not Lot.objects.exists()


@pytest.mark.parametrize("role", [roles.SUIVI, roles.DIRECTION, roles.ANIMATEUR])
def test_qualifier_interdit_sans_droit(client_for, role):
    decp.importer(_v2())
    marche = Marche.objects.first()
    client = client_for(role)
    url = reverse("marches:marche_qualifier", args=[marche.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"ecarter": "1", "motif": "x"}).status_code == 403
    marche.refresh_from_db()
    assert marche.qualification == Qualification.A_QUALIFIER


def test_fiche_marche_montre_les_trois_considerations_et_la_qualification(client_for):
    decp.importer(_v2(["Clause sociale", "Marché réservé"]))
    marche = Marche.objects.get(decp_id="D2F2019S0000102")
    assert (marche.clause_sociale, marche.critere_social, marche.marche_reserve) == (
        True,
        False,
        True,
    )
    texte = client_for(roles.FACILITATEUR).get(marche.get_absolute_url()).content.decode()
    assert "Clause sociale publiée" in texte
    assert "Qualifier (suivre ou écarter)" in texte
    assert "À qualifier" in texte


def test_liste_des_marches_filtre_par_consideration(client_for):
    decp.importer(_v2(["Clause sociale"], ["Critère social"]))
    client = client_for(roles.FACILITATEUR)
    response = client.get(reverse("marches:marche_liste"), {"clause_sociale": "true"})
    assert [m.decp_id for m in response.context["object_list"]] == ["D2F2019S0000102"]
    response = client.get(reverse("marches:marche_liste"), {"critere_social": "true"})
    assert [m.decp_id for m in response.context["object_list"]] == ["D2F2023S0302702"]


@pytest.mark.parametrize("nombre", [1, 30])
def test_file_nombre_de_requetes_constant(client_for, django_assert_max_num_queries, nombre):
    for _ in range(nombre):
        MarcheFactory(qualification=Qualification.A_QUALIFIER, raisons_qualification=["x"])
    client = client_for(roles.FACILITATEUR)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("marches:file_qualification"))
    assert response.status_code == 200


def test_marche_termine_archive_a_l_import():
    decp.importer(_v2(date="2015-01-01"))
    assert set(Marche.objects.values_list("qualification", flat=True)) == {Qualification.ARCHIVE}
    assert Entreprise.objects.filter(active=True).count() == 0
    assert dt.date(2015, 1, 1) in set(Marche.objects.values_list("date_notification", flat=True))


# --- Provenance: a re-import keeps what the team typed ---------------------------------------
FLUX_V2 = DECP / "decp_v2_gip_maximilien_flux_2024-10-06.json"


def test_reimport_garde_les_modifications_de_l_equipe_et_signale_les_conflits(make_user):
    from marches.models import RapportImport

    contenu = _v2()
    decp.importer(contenu)
    user = make_user(roles.FACILITATEUR)
    marche = Marche.objects.get(decp_id="D2F2019S0000102")
    lot = services.accepter_marche(marche, user)
    marche.refresh_from_db()
    # The team corrects the objet, the nature and the lot title, and adds a co-contractor.
    marche.objet = "Maintenance du SI (objet corrigé)"
    marche.nature = NatureMarche.TRAVAUX
    services.enregistrer(marche, marche.version, user)
    lot.refresh_from_db()
    lot.intitule = "Lot unique — maintenance"
    lot.save()
    ajoutee = Entreprise.objects.create(
        type_identifiant="SIRET", identifiant="45007614600031", raison_sociale="Ajoutée"
    )
    lot.cotraitants.add(ajoutee)

    # The publisher changes the amount and the object.
    donnees = json.loads(contenu)
    premier = donnees["marches"]["marche"][0]
    premier["montant"] = 4200000
    premier["objet"] = "Objet republié"
    rapport = decp.importer(json.dumps(donnees).encode())

    marche.refresh_from_db()
    lot.refresh_from_db()
    assert marche.objet == "Maintenance du SI (objet corrigé)"
    assert marche.nature == NatureMarche.TRAVAUX
    assert lot.intitule == "Lot unique — maintenance"
    assert ajoutee in lot.cotraitants.all()  # a link added by the team stays
    # Fields the team did not change follow the published data.
    assert marche.montant_ht == lot.montant_ht == Decimal("4200000.00")
    champs = {c.champ for c in rapport.conflits}
    assert {"objet", "nature", "intitulé (lot 1)"} <= champs
    garde = RapportImport.objects.order_by("-pk").first()
    assert any("Objet republié" in c["motif"] for c in garde.conflits)


def test_modifications_appliquees_avec_historique_et_sous_traitance_importee(client_for):
    decp.importer(FLUX_V2.read_bytes())

    avenant = Marche.objects.get(decp_id="D2F0000502")
    modification = avenant.modifications.get()
    assert (modification.montant_avant, modification.montant_ht) == (
        Decimal("30000.00"),
        Decimal("50.00"),
    )
    assert modification.date_notification == dt.date(2019, 6, 25)
    assert avenant.montant_ht == Decimal("50.00")
    assert avenant.valeurs_decp["montant_ht"] == "50.00"

    maintenance = Marche.objects.get(decp_id="D2F2019S0000102")
    acte = maintenance.actes_sous_traitance.get()
    assert (acte.sous_traitant.identifiant, acte.montant_ht, acte.date_notification) == (
        "44090956244090",
        Decimal("283333.33"),
        dt.date(2018, 11, 13),
    )
    texte = client_for(roles.FACILITATEUR).get(maintenance.get_absolute_url()).content.decode()
    assert "Sous-traitance publiée" in texte and "283" in texte
    texte = client_for(roles.FACILITATEUR, username="f2").get(avenant.get_absolute_url())
    assert "Modifications publiées" in texte.content.decode()

    # Accepting the contract puts the sub-contractor on its lot.
    maintenance.qualification = Qualification.A_QUALIFIER
    maintenance.save()
    lot = services.accepter_marche(maintenance, None)
    assert list(lot.sous_traitants.all()) == [acte.sous_traitant]
