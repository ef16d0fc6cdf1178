"""DECP import (``marches.decp`` and ``manage.py import_decp``), on the real sample files.

The samples live in ``tests/data/decp/`` (origin, selection and licence in its README).
"""

import copy
import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from entreprises.models import Entreprise, TypeIdentifiant
from marches import cpv, decp
from marches.models import (
    DonneurOrdre,
    Lot,
    Marche,
    ModificationMarche,
    NatureMarche,
    Procedure,
    Qualification,
    RapportImport,
    TypeDonneurOrdre,
)

pytestmark = pytest.mark.django_db

DECP = Path(__file__).parent / "data" / "decp"
FICHIER_2019 = DECP / "decp_2019_bfc_belfort_excerpt.json"
FICHIER_V2 = DECP / "decp_v2_gip_maximilien_excerpt.json"

SIRET_SDIS_90 = "28900001000032"
SIRET_ROUGEMONT = "21900089000018"
SIRET_SUD_TERRITOIRE = "24900024100029"
SIRET_GIP_MAXIMILIEN = "13001845000028"
SIRET_TITULAIRE = "45007614600031"  # a valid SIRET of the 2019 file
# Records of the whole 2019 file whose titulaire SIRET has a wrong check digit (real defects).
SIRET_FAUX_2019 = {85: "2018vPUR_2XEKk00", 90: "2018CDMvmnnl0U00", 91: "2018LV45ubO0Gd00"}
SIRET_FAUX_2019[96] = "2018DHiDpI03C-00"


def _lignes():
    """Row counts of every table the import writes to (history included)."""
    modeles = (DonneurOrdre, Marche, Lot, Entreprise)
    comptes = {m.__name__: m.objects.count() for m in modeles}
    comptes |= {f"historique {m.__name__}": m.history.count() for m in modeles}
    comptes["cotraitants"] = Lot.cotraitants.through.objects.count()
    return comptes


def _titulaires(marche) -> list[Entreprise]:
    """The published titulaires kept on an imported marché, in their order."""
    entreprises = Entreprise.objects.in_bulk(marche.titulaires_decp)
    return [entreprises[pk] for pk in marche.titulaires_decp]


def _importer(chemin, *options):
    sortie = StringIO()
    call_command("import_decp", str(chemin), *options, stdout=sortie)
    return sortie.getvalue()


def _json(chemin: Path) -> dict:
    return json.loads(chemin.read_text(encoding="utf-8"))


def _ecrire(tmp_path: Path, donnees, nom="decp.json") -> Path:
    chemin = tmp_path / nom
    texte = donnees if isinstance(donnees, str) else json.dumps(donnees, ensure_ascii=False)
    chemin.write_text(texte, encoding="utf-8")
    return chemin


def _enregistrement(decp_id="2019-0001", **changements) -> dict:
    """A valid 1.x record in Territoire de Belfort."""
    enregistrement = {
        "id": decp_id,
        "acheteur": {"id": SIRET_SDIS_90, "nom": "SDIS 90 Territoire de Belfort"},
        "nature": "Marché",
        "objet": "Entretien des espaces verts des casernes",
        "codeCPV": f"77310000-{cpv.cle_usuelle('77310000')}",
        "procedure": "Procédure adaptée",
        "lieuExecution": {"code": "90000", "typeCode": "Code postal", "nom": "Belfort"},
        "dureeMois": 12,
        "dateNotification": "2019-03-01",
        "montant": 12000,
        "titulaires": [
            {"typeIdentifiant": "SIRET", "id": SIRET_TITULAIRE, "denominationSociale": "Verts"}
        ],
        "modifications": [],
    }
    enregistrement.update(changements)
    return enregistrement


def _fichier_v2(*marches, concessions=()) -> dict:
    return {"marches": {"marche": list(marches), "contrat-concession": list(concessions)}}


def _premier_v2(**changements) -> dict:
    enregistrement = copy.deepcopy(_json(FICHIER_V2)["marches"]["marche"][0])
    enregistrement.update(changements)
    return enregistrement


# --- Real 2019 file (schema 1.x) ----------------------------------------------------------------
def test_2019_departement_90_importe_les_marches_du_territoire_de_belfort():
    sortie = _importer(FICHIER_2019, "--departement", "90")

    # The README's 18 Territoire de Belfort records are exactly those whose
    # lieuExecution.code is « 90 » (Code département, 10 SDIS 90 records) or starts with 90
    # (Code postal: 7 lots of Rougemont-le-Château, 1 record of the CC du Sud Territoire).
    assert Marche.objects.count() == 18
    # Imported records wait in the qualification queue: no lot until a facilitator accepts
    # them; these 2018-2019 contracts have all ended, so they are archived.
    assert Lot.objects.count() == 0
    assert set(Marche.objects.values_list("qualification", flat=True)) == {Qualification.ARCHIVE}
    assert set(DonneurOrdre.objects.values_list("siret", flat=True)) == {
        SIRET_SDIS_90,
        SIRET_ROUGEMONT,
        SIRET_SUD_TERRITOIRE,
    }
    assert Marche.objects.filter(donneur_ordre__siret=SIRET_SDIS_90).count() == 10
    assert Marche.objects.filter(reference__startswith="2019COEUR").count() == 7
    assert Entreprise.objects.count() == 21  # 18 titulaires + 7 cotraitants, some shared
    assert "157 ignorés" in sortie
    assert "Ignoré(s) : 157 — lieu d'exécution hors du département 90." in sortie
    assert "Import terminé (rapport n° " in sortie
    assert RapportImport.objects.get().nb_importes == 18

    sdis = DonneurOrdre.objects.get(siret=SIRET_SDIS_90)
    assert (sdis.nom, sdis.type) == ("SDIS 90 Territoire de Belfort", TypeDonneurOrdre.AUTRE)

    marche = Marche.objects.get(decp_id="201802100")
    assert marche.reference == "201802100"
    assert marche.nature == NatureMarche.TRAVAUX  # DECP nature « Marché » → CPV division 45
    assert marche.procedure == Procedure.ADAPTEE
    assert marche.date_notification == dt.date(2018, 10, 24)
    assert (marche.duree_mois, marche.montant_ht) == (1, Decimal("46984.00"))
    assert marche.code_cpv == "45233223"  # published without key: kept so, no key invented
    assert marche.lieu_execution == "90100 Thiancourt"
    assert (marche.considerations_sociales, marche.candidat_clause) == ([], False)
    assert [e.raison_sociale for e in _titulaires(marche)] == ["EUROVIA"]

    # A record with eight titulaires, kept in their order for the acceptance.
    groupement = Marche.objects.get(decp_id="2018V82Bm1EuZe00")
    assert _titulaires(groupement)[0].raison_sociale == "ABENA FRANTEX"
    assert len(_titulaires(groupement)) == 8

    # Real defects are warnings, grouped by kind: bad source encoding (U+FFFD). A CPV without
    # its check digit is normal (kept as published, without a word).
    assert "« objet » caractères illisibles" in sortie
    assert "Enregistrement n° 28 (id 2018-THBHORfk100) — champ « objet » : caract" in sortie
    assert "sans clé de contrôle" not in sortie
    assert "\ufffd" in Marche.objects.get(decp_id="2018-THBHORfk100").objet


def test_2019_deuxieme_import_ne_cree_rien_et_tout_est_inchange():
    contenu = FICHIER_2019.read_bytes()
    premier = decp.importer(contenu, "90")
    assert (premier.marches.crees, premier.donneurs.crees, premier.entreprises.crees) == (18, 3, 21)
    avant = _lignes()

    second = decp.importer(contenu, "90")

    assert second.enregistre and not second.erreurs
    assert (second.marches.crees, second.marches.mis_a_jour, second.marches.inchanges) == (0, 0, 18)
    assert (second.donneurs.crees, second.donneurs.mis_a_jour, second.donneurs.inchanges) == (
        0,
        0,
        3,
    )
    assert (second.entreprises.crees, second.entreprises.inchanges) == (0, 21)
    assert _lignes() == avant
    assert set(Marche.objects.values_list("version", flat=True)) == {1}


def test_2019_fichier_entier_siret_faux_en_avertissement_sur_l_entreprise():
    # The whole real file has 4 titulaires whose SIRET has a wrong check digit (records of
    # Dijon Métropole and Mâcon): a warning, the company is kept with its published SIRET.
    rapport = decp.importer(FICHIER_2019.read_bytes())

    assert rapport.enregistre and not rapport.ecartes
    assert rapport.nb_importes == 174  # 175 minus one duplicate (buyer, id)
    groupes = {g["genre"]: g for g in rapport.avertissements_groupes()}
    siret_faux = groupes["SIRET du titulaire à la clé de contrôle incorrecte (repris tel quel)"]
    assert siret_faux["nombre"] == 4
    assert len(siret_faux["exemples"]) == 3
    for rang, decp_id in SIRET_FAUX_2019.items():
        marche = Marche.objects.get(decp_id=decp_id)
        assert len(_titulaires(marche)[0].identifiant) == 14
        assert any(
            m.rang == rang and "clé de contrôle incorrecte, repris tel quel" in m.texte
            for m in rapport.avertissements
        )


def test_2019_fichier_entier_sans_les_siret_faux_s_importe_avec_des_avertissements(tmp_path):
    donnees = _json(FICHIER_2019)
    donnees["marches"] = [
        m for rang, m in enumerate(donnees["marches"], 1) if rang not in SIRET_FAUX_2019
    ]
    contenu = _ecrire(tmp_path, donnees).read_bytes()

    rapport = decp.importer(contenu)

    assert rapport.enregistre and not rapport.erreurs
    assert rapport.nb_enregistrements == 171
    # One (buyer, id) pair is published twice for two different contracts of the Office
    # Public de l'Habitat du Jura: the first one is kept, the second left aside.
    assert (rapport.marches.crees, rapport.marches.ignores) == (170, 1)
    assert Marche.objects.count() == 170
    assert Lot.objects.count() == 0
    assert DonneurOrdre.objects.count() == 25
    avertissements = [str(m) for m in rapport.avertissements]
    texte = "\n".join(avertissements)
    assert "même acheteur et même id que l'enregistrement n° 138" in texte
    assert (
        "« 45000000-0 » : clé de contrôle inhabituelle (le calcul usuel donne 45000000-7), "
        "code gardé tel que publié." in texte
    )
    assert "« 4543100-7 » n'est pas un code CPV (8 chiffres) : laissé vide." in texte
    assert "champ « dateNotification » : absente : date de notification laissée vide." in texte
    assert "aucun titulaire publié" in texte
    # The published modifications (avenants) are applied, with their history.
    assert ModificationMarche.objects.filter(marche__in=Marche.objects.all()).count() >= 4

    assert Marche.objects.get(decp_id="2018000800").code_cpv == "45000000-0"
    tronque = Marche.objects.get(decp_id="2019010400")
    assert (tronque.code_cpv, tronque.nature) == ("", NatureMarche.TRAVAUX)
    assert Marche.objects.get(decp_id="2018000800").date_notification == dt.date(2018, 10, 3)
    assert Marche.objects.filter(procedure=Procedure.SANS_PUBLICITE).count() == 4
    assert Marche.objects.filter(date_notification__isnull=True).count() > 0
    assert Marche.objects.get(decp_id="20197AvYx6HIfW00").titulaires_decp == []

    second = decp.importer(contenu)
    assert (second.marches.crees, second.marches.mis_a_jour, second.marches.inchanges) == (
        0,
        0,
        170,
    )


# --- Real v2 file (schema 2.0) ------------------------------------------------------------------
def test_v2_importe_ses_trois_marches_sans_consideration_sociale():
    sortie = _importer(FICHIER_V2)

    assert "Fichier DECP (schéma 2.0) : 3 enregistrement(s) lu(s), 3 importable(s)" in sortie
    assert Marche.objects.count() == 3
    for marche in Marche.objects.all():
        assert marche.considerations_sociales == ["Pas de considération sociale"]
        assert marche.candidat_clause is False
        assert marche.nature == NatureMarche.SERVICES  # CPV 72…, 79…
    acheteur = DonneurOrdre.objects.get()
    assert acheteur.nom == f"Acheteur {SIRET_GIP_MAXIMILIEN}"  # v2 gives the SIRET only
    maintenance = Marche.objects.get(decp_id="D2F2019S0000102")
    assert maintenance.procedure == Procedure.NEGOCIEE
    assert maintenance.montant_ht == Decimal("4087520.83")
    assert _titulaires(maintenance)[0].raison_sociale == "Titulaire 37890194600483"
    assert "champ « procedure » : absente : procédure « Autre » retenue." in sortie
    assert "2 × « procedure » absente : procédure « … » retenue." in sortie
    assert Marche.objects.get(decp_id="D2F2023S0302702").procedure == Procedure.AUTRE


@pytest.mark.parametrize(
    ("considerations", "candidat"),
    [
        (["Clause sociale"], True),
        (["Critère social", "Marché réservé"], True),
        (["marche reserve"], True),  # case and accents do not matter
        (["Pas de considération sociale"], False),
    ],
)
def test_v2_considerations_sociales_et_candidat_clause(tmp_path, considerations, candidat):
    enregistrement = _premier_v2(considerationsSociales={"considerationSociale": considerations})
    _importer(_ecrire(tmp_path, _fichier_v2(enregistrement)))

    marche = Marche.objects.get()
    assert marche.considerations_sociales == considerations
    assert marche.candidat_clause is candidat


def test_v2_concessions_ignorees_avec_leur_motif(tmp_path):
    concession = {"id": "CONC-1", "autoriteConcedante": {"id": SIRET_GIP_MAXIMILIEN}}
    fichier = _ecrire(tmp_path, _fichier_v2(_premier_v2(), concessions=[concession]))

    rapport = decp.importer(fichier.read_bytes())

    assert (rapport.marches.crees, rapport.marches.ignores) == (1, 1)
    assert str(rapport.ignores[0]) == (
        "Enregistrement n° 2 (id CONC-1) : contrat de concession : non importé "
        "(seuls les marchés sont suivis)."
    )


def test_un_enregistrement_modifie_dans_un_second_fichier_est_mis_a_jour(tmp_path, make_user):
    from marches import services

    _importer(FICHIER_V2)
    services.accepter_marche(Marche.objects.get(decp_id="D2F2019S0000102"), make_user())
    avant = Marche.objects.get(decp_id="D2F2019S0000102")
    donnees = _json(FICHIER_V2)
    modifie = donnees["marches"]["marche"][0]
    modifie["montant"] = 4100000
    modifie["considerationsSociales"] = {"considerationSociale": ["Clause sociale"]}
    modifie["titulaires"].append({"titulaire": {"typeIdentifiant": "SIRET", "id": SIRET_TITULAIRE}})

    sortie = _importer(_ecrire(tmp_path, donnees))

    assert "Marchés : 0 créé, 1 mis à jour, 2 inchangés." in sortie
    assert "Entreprises : 1 créée, 0 mise à jour, 4 inchangées." in sortie  # + sub-contractor
    marche = Marche.objects.get(pk=avant.pk)
    assert marche.montant_ht == Decimal("4100000.00")
    assert marche.candidat_clause is True
    assert marche.version == avant.version + 1
    assert marche.history.first().history_change_reason == "Import DECP"
    lot = marche.lots.get()
    assert lot.montant_ht == Decimal("4100000.00")
    assert [e.identifiant for e in lot.cotraitants.all()] == [SIRET_TITULAIRE]
    assert marche.clause_sociale and not marche.critere_social
    assert Marche.objects.count() == 3


def test_le_nom_publie_remplace_le_nom_provisoire_mais_pas_un_nom_saisi(tmp_path):
    _importer(FICHIER_V2)
    DonneurOrdre.objects.update(nom=f"Acheteur {SIRET_GIP_MAXIMILIEN}")
    Entreprise.objects.filter(identifiant="80124534100038").update(raison_sociale="Nom saisi")
    donnees = _json(FICHIER_V2)
    for marche in donnees["marches"]["marche"]:
        marche["acheteur"]["nom"] = "GIP Maximilien"
        marche["titulaires"][0]["titulaire"]["denominationSociale"] = "Nom publié"

    rapport = decp.importer(_ecrire(tmp_path, donnees).read_bytes())

    assert DonneurOrdre.objects.get().nom == "GIP Maximilien"
    assert rapport.donneurs.mis_a_jour == 1
    assert Entreprise.objects.get(identifiant="80124534100038").raison_sociale == "Nom saisi"
    assert Entreprise.objects.get(identifiant="37890194600483").raison_sociale == "Nom publié"
    # 2 renamed; unchanged: the third titulaire and a published sub-contractor.
    assert (rapport.entreprises.mis_a_jour, rapport.entreprises.inchanges) == (2, 2)
    assert rapport.marches.inchanges == 3


# --- Bad files: CommandError naming the record, and nothing written ------------------------------
TITULAIRE_FAUX = [{"typeIdentifiant": "SIRET", "id": "45007614600032"}]


@pytest.mark.parametrize(
    ("contenu", "attendu"),
    [
        pytest.param(
            json.dumps({"marches": [_enregistrement()]})[:-40],
            r"Le fichier n'est pas un JSON valide \(ligne 1, colonne \d+\)\.",
            id="json-tronque",
        ),
        pytest.param(
            "id;objet\n2019-0001;Espaces verts\n",
            r"Le fichier n'est pas un JSON valide \(ligne 1, colonne 1\)\.",
            id="pas-du-json",
        ),
        pytest.param(
            {"data": []},
            "Le fichier ne contient pas de liste « marches »",
            id="sans-marches",
        ),
    ],
)
def test_fichier_errone_refuse_sans_rien_ecrire(tmp_path, contenu, attendu):
    _importer(FICHIER_V2)  # some existing data, which must stay untouched
    avant = _lignes()

    with pytest.raises(CommandError, match=attendu) as erreur:
        _importer(_ecrire(tmp_path, contenu))

    assert "rien n'a été enregistré" in str(erreur.value)
    assert _lignes() == avant


DEFAUTS = [
    pytest.param(
        _enregistrement("2019-0009", id=None),
        "Enregistrement n° 2 (sans id) — champ « id » : identifiant absent",
        id="sans-id",
    ),
    pytest.param(
        _enregistrement("2019-0002", dateNotification="01/03/2019"),
        "Enregistrement n° 2 (id 2019-0002) — champ « dateNotification » : « 01/03/2019 » "
        "n'est pas une date au format AAAA-MM-JJ.",
        id="date-inconnue",
    ),
    pytest.param(
        _enregistrement("2019-0042", montant="douze mille"),
        "Enregistrement n° 2 (id 2019-0042) — champ « montant » : « douze mille » n'est "
        "pas un nombre.",
        id="montant-en-texte",
    ),
    pytest.param(
        _enregistrement("2019-0005", nature="Prestations"),
        "Enregistrement n° 2 (id 2019-0005) — champ « nature » : « Prestations » inconnue",
        id="nature-inconnue",
    ),
    pytest.param(
        _enregistrement("2019-0004", acheteur={"id": "2890000100003"}),
        "Enregistrement n° 2 (id 2019-0004) — champ « acheteur.id » : SIRET de l'acheteur "
        "« 2890000100003 » invalide : 14 chiffres attendus.",
        id="siret-acheteur-13-chiffres",
    ),
]


@pytest.mark.parametrize(("defectueux", "attendu"), DEFAUTS)
def test_enregistrement_defectueux_ecarte_et_le_reste_importe(defectueux, attendu):
    contenu = json.dumps({"marches": [_enregistrement(), defectueux, _enregistrement("2019-7")]})

    rapport = decp.importer(contenu.encode(), origine="essai")

    assert rapport.enregistre and not rapport.erreurs
    assert sorted(Marche.objects.values_list("decp_id", flat=True)) == ["2019-0001", "2019-7"]
    assert str(rapport.ecartes[0]).startswith(attendu)
    garde = RapportImport.objects.get()
    assert (garde.nb_enregistrements, garde.nb_importes, garde.nb_ecartes) == (3, 2, 1)
    assert garde.ecartes[0]["rang"] == 2
    assert garde.ecartes[0]["champ"] == rapport.ecartes[0].champ
    assert garde.origine == "essai"


@pytest.mark.parametrize(
    ("titulaire", "type_attendu", "identifiant"),
    [
        ({"typeIdentifiant": "TVA_INTRACOMMUNAUTAIRE", "id": "DE123456789"}, "TVA", "DE123456789"),
        ({"typeIdentifiant": "HORS_UE", "id": "CH-123"}, "HORS-UE", "CH-123"),
        ({"typeIdentifiant": "FRW", "id": "123"}, "FRWF", "123"),
        ({"typeIdentifiant": "siret", "id": "450 076 146"}, "SIREN", "450076146"),
        ({"typeIdentifiant": "SIRET", "id": "45007614600032"}, "SIRET", "45007614600032"),
    ],
)
def test_variantes_connues_lues_pour_leur_sens(titulaire, type_attendu, identifiant):
    contenu = json.dumps({"marches": [_enregistrement(titulaires=[titulaire])]}).encode()

    rapport = decp.importer(contenu)

    assert not rapport.ecartes
    entreprise = Entreprise.objects.get()
    assert (entreprise.type_identifiant, entreprise.identifiant) == (type_attendu, identifiant)
    assert entreprise.active is False  # counts in « Entreprises actives » once followed


def test_filtres_appliques_avant_la_validation(tmp_path):
    # A concession without id and a record outside the department are left out by the
    # filters, never reported as defects.
    hors = _enregistrement(
        None, lieuExecution={"code": "75001", "typeCode": "Code postal", "nom": "Paris"}
    )
    concession = {"autoriteConcedante": {"id": SIRET_GIP_MAXIMILIEN}, "objet": "Concession"}
    contenu = json.dumps({"marches": [_enregistrement(), hors, concession]}).encode()

    rapport = decp.importer(contenu, "90")

    assert not rapport.ecartes
    assert len(rapport.ignores) == 2
    assert Marche.objects.count() == 1


def test_reference_deja_prise_par_un_marche_saisi_ecarte_l_enregistrement(tmp_path):
    _importer(_ecrire(tmp_path, {"marches": [_enregistrement("2019-0001")]}, "un.json"))
    sdis = DonneurOrdre.objects.get()
    saisi = Marche.objects.create(
        donneur_ordre=sdis, reference="2019-0003", objet="Saisi à la main", nature="services"
    )
    avant = _lignes()
    fichier = {"marches": [_enregistrement("2019-0002"), _enregistrement("2019-0003")]}

    sortie = _importer(_ecrire(tmp_path, fichier, "deux.json"), "-v2")

    assert (
        "écarté — Enregistrement n° 2 (id 2019-0003) — champ « id » : la référence « 2019-0003 »"
        in sortie
    )
    assert _lignes()["Marche"] == avant["Marche"] + 1
    assert Marche.objects.filter(decp_id="2019-0002").exists()
    saisi.refresh_from_db()
    assert saisi.decp_id == ""


def test_dry_run_n_ecrit_rien_et_le_dit():
    avant = _lignes()

    sortie = _importer(FICHIER_2019, "--departement", "90", "--dry-run")

    assert "Marchés : 18 créés, 0 mis à jour, 0 inchangé, 157 ignorés." in sortie
    assert "Simulation (--dry-run) : rien n'a été enregistré." in sortie
    assert "Import terminé" not in sortie
    assert _lignes() == avant


# --- Details of the mapping ---------------------------------------------------------------------
def test_filtre_acheteur(tmp_path):
    rapport = decp.importer(FICHIER_2019.read_bytes(), acheteur_siret=SIRET_ROUGEMONT)

    assert rapport.marches.crees == 7
    assert rapport.ignores[0].texte == f"acheteur autre que {SIRET_ROUGEMONT}."


def test_filtres_invalides():
    rapport = decp.analyser_fichier(b'{"marches": []}', "9", "123")

    assert [str(m) for m in rapport.erreurs] == [
        "Département « 9 » invalide (exemples : 90, 2A, 974).",
        "SIRET d'acheteur « 123 » invalide.",
    ]


def test_analyser_fichier_ne_touche_pas_la_base(django_assert_num_queries):
    contenu = FICHIER_2019.read_bytes()
    with django_assert_num_queries(0):
        rapport = decp.analyser_fichier(contenu, "90")
    assert len(rapport.enregistrements) == 18
    assert not rapport.erreurs

    decp.importer(rapport)
    assert Marche.objects.count() == 18


@pytest.mark.parametrize(
    ("nature", "cpv_publie", "attendu"),
    [
        ("TRAVAUX", "77310000", NatureMarche.TRAVAUX),
        ("fournitures", "77310000", NatureMarche.FOURNITURES),
        ("Services", "45000000", NatureMarche.SERVICES),
        ("Accord-cadre", "45000000", NatureMarche.TRAVAUX),
        ("Marché subséquent", "30200000", NatureMarche.FOURNITURES),
        ("Marché", "48000000", NatureMarche.FOURNITURES),
        ("Marché", "90500000", NatureMarche.SERVICES),
    ],
)
def test_nature(nature, cpv_publie, attendu):
    contenu = json.dumps({"marches": [_enregistrement(nature=nature, codeCPV=cpv_publie)]})
    rapport = decp.analyser_fichier(contenu.encode())
    assert rapport.enregistrements[0].valeurs["nature"] == attendu


@pytest.mark.parametrize(
    ("champs", "champ", "valeur", "message"),
    [
        ({"dateNotification": "2019-03-01+01:00"}, "date_notification", dt.date(2019, 3, 1), ""),
        ({"dateNotification": "2019-03-01Z"}, "date_notification", dt.date(2019, 3, 1), ""),
        ({"montant": "12 000,50"}, "montant_ht", Decimal("12000.50"), ""),
        ({"montant": 128551.4}, "montant_ht", Decimal("128551.40"), ""),
        ({"procedure": "Procédure inventée"}, "procedure", Procedure.AUTRE, "inconnue"),
        ({"procedure": "APPEL D’OFFRES  OUVERT"}, "procedure", Procedure.AO_OUVERT, ""),
        ({"codeCPV": "45000000-0"}, "code_cpv", "45000000-0", "clé de contrôle inhabituelle"),
        ({"codeCPV": "09310000-5"}, "code_cpv", "09310000-5", "clé de contrôle inhabituelle"),
        ({"codeCPV": "450000"}, "code_cpv", "", "n'est pas un code CPV"),
        ({"codeCPV": "45000000"}, "code_cpv", "45000000", ""),
        ({"codeCPV": "45000000-7"}, "code_cpv", "45000000-7", ""),
        (
            {"lieuExecution": {"code": "90", "typeCode": "Code département", "nom": "Belfort"}},
            "lieu_execution",
            "90 Belfort",
            "",
        ),
    ],
)
def test_valeurs_lues(champs, champ, valeur, message):
    contenu = json.dumps({"marches": [_enregistrement(**champs)]}).encode()
    rapport = decp.analyser_fichier(contenu, "90")
    assert not rapport.erreurs
    assert rapport.enregistrements[0].valeurs[champ] == valeur
    if message:
        assert message in str(rapport.avertissements[0])
    else:
        assert not rapport.avertissements


@pytest.mark.parametrize(
    ("champs", "champ", "message"),
    [
        ({"dateNotification": "2019-02-30"}, "dateNotification", "n'est pas une date qui existe"),
        ({"montant": -5}, "montant", "est négatif"),
        ({"montant": True}, "montant", "n'est pas un nombre"),
        ({"dureeMois": 1.5}, "dureeMois", "n'est pas un nombre entier de mois"),
        ({"objet": ""}, "objet", "objet du marché absent"),
    ],
)
def test_erreurs_de_champ(champs, champ, message):
    contenu = json.dumps({"marches": [_enregistrement(**champs)]}).encode()
    rapport = decp.analyser_fichier(contenu)
    assert not rapport.enregistrements
    assert not rapport.erreurs
    assert rapport.ecartes[0].champ == champ
    assert message in rapport.ecartes[0].texte


def test_titulaire_illisible_non_repris_mais_marche_importe():
    titulaires = [{"typeIdentifiant": "INCONNU", "id": "1"}]
    contenu = json.dumps({"marches": [_enregistrement(titulaires=titulaires)]}).encode()

    rapport = decp.importer(contenu)

    assert Marche.objects.get().titulaires_decp == []
    assert "titulaire non repris" in str(rapport.avertissements[0])
    assert Entreprise.objects.filter(type_identifiant=TypeIdentifiant.TVA).count() == 0


def test_fichier_introuvable(tmp_path):
    with pytest.raises(CommandError, match="Fichier introuvable : "):
        _importer(tmp_path / "absent.json")


# --- Whole national files (tests/data/decp/README.md, files 3 and 4) -------------------------
FICHIER_PES = DECP / "decp_2019_national_pes.json"
FICHIER_FLUX_V2 = DECP / "decp_v2_gip_maximilien_flux_2024-10-06.json"


def test_fichier_national_pes_entier_importe_ses_enregistrements_utilisables():
    rapport = decp.importer(FICHIER_PES.read_bytes(), origine="PES")

    assert rapport.enregistre and not rapport.erreurs
    assert rapport.nb_enregistrements == 1148
    # 8 duplicates (buyer, id) left aside; 10 « Marché » without a usable CPV set aside.
    assert (rapport.nb_importes, rapport.nb_ecartes, len(rapport.ignores)) == (1130, 10, 8)
    assert Marche.objects.count() == 1130
    assert rapport.motifs_ecart() == [
        (
            "nature qui ne dit pas travaux, services ou fournitures, sans code CPV pour la déduire",
            10,
        )
    ]
    # 2019 contracts: archived or to qualify, never a running lot.
    assert Lot.objects.count() == 0
    assert not Marche.objects.filter(qualification=Qualification.SUIVI).exists()
    garde = RapportImport.objects.get()
    assert (garde.nb_importes, garde.nb_ecartes, garde.nb_ignores) == (1130, 10, 8)
    assert sum(g["nombre"] for g in garde.avertissements) == len(rapport.avertissements)
    assert all(len(g["exemples"]) <= 3 for g in garde.avertissements)


def test_flux_v2_entier_importe_ses_enregistrements_utilisables():
    rapport = decp.importer(FICHIER_FLUX_V2.read_bytes())

    assert (rapport.nb_enregistrements, rapport.nb_importes, rapport.nb_ecartes) == (17, 12, 5)
    genres = {g["genre"]: g["nombre"] for g in rapport.avertissements_groupes()}
    # Two ten-digit « SIRET »: the contract is imported, without that titulaire.
    assert genres["SIRET du titulaire invalide (14 chiffres attendus) : titulaire non repris"] == 2
    assert not any("CPV" in genre and "clé" in genre for genre in genres)  # 8 digits: normal
