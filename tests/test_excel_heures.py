"""Excel round trip of monthly hours: template, upload, preview, all-or-nothing save."""

import datetime as dt
import io
import os
import time
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from heures.models import DeclarationMensuelle, LigneDeclaration, StatutDeclaration
from heures.services import declarations, excel_heures
from mife import roles
from mife.core.concurrence import ConflitDeVersion
from tests.factories import (
    ClauseFactory,
    EntrepriseFactory,
    MissionFactory,
    ParticipantFactory,
)

pytestmark = pytest.mark.django_db
MOIS = dt.date(2026, 3, 1)
URL = "heures:declaration_excel"
URL_MODELE = "heures:declaration_excel_modele"
FEUILLE_1 = "2026-MP-0001 lot 1"
FEUILLE_2 = "2026-MP-0002 lot 1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CLE_SESSION = "import_heures"  # where mife.core.televersement keeps this page's pending upload


@pytest.fixture(autouse=True)
def media_temporaire(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _lot(entreprise, reference: str):
    return ClauseFactory(
        heures_requises=Decimal("500"),
        lot__titulaire=entreprise,
        lot__numero="1",
        lot__marche__reference=reference,
        lot__date_debut=dt.date(2026, 1, 5),
        lot__date_fin=dt.date(2027, 6, 30),
        lot__marche__date_notification=dt.date(2025, 12, 1),
    ).lot


def _mission(lot, reference, nom, prenom, debut, fin):
    return MissionFactory(
        reference=reference,
        lot=lot,
        employeur=lot.titulaire,
        participant=ParticipantFactory(nom=nom, prenom=prenom),
        date_debut=debut,
        date_fin=fin,
    )


@pytest.fixture
def entreprise():
    return EntrepriseFactory(raison_sociale="Bâtir Nord Franche-Comté")


@pytest.fixture
def lots(entreprise):
    return _lot(entreprise, "2026-MP-0001"), _lot(entreprise, "2026-MP-0002")


@pytest.fixture
def missions(lots):
    lot1, lot2 = lots
    return {
        "awa": _mission(
            lot1, "MX-001", "Zébulon", "Awa", dt.date(2026, 2, 1), dt.date(2026, 12, 31)
        ),
        "hugo": _mission(lot1, "MX-002", "Durand", "Hugo", dt.date(2026, 3, 10), None),
        "lea": _mission(lot1, "MX-003", "Petit", "Léa", dt.date(2026, 1, 5), dt.date(2026, 2, 20)),
        "zoe": _mission(
            lot2, "MX-004", "Bernard", "Zoé", dt.date(2026, 1, 15), dt.date(2026, 6, 30)
        ),
    }


@pytest.fixture
def autre_entreprise():
    lot = _lot(EntrepriseFactory(raison_sociale="Peintures du Lion"), "2026-MP-0009")
    _mission(lot, "MX-009", "Roy", "Paul", dt.date(2026, 1, 1), None)
    return lot.titulaire


@pytest.fixture
def facilitateur(make_user):
    return make_user(roles.FACILITATEUR, username="facilitatrice", first_name="Claire")


# --- helpers -------------------------------------------------------------------------------


def modele(user, entreprise, mois=MOIS):
    return load_workbook(io.BytesIO(excel_heures.generer_modele(entreprise, mois, user)))


def rang(ws, reference: str) -> int:
    for numero in range(excel_heures.PREMIERE_LIGNE, ws.max_row + 1):
        if ws.cell(numero, 1).value == reference:
            return numero
    raise AssertionError(f"{reference} absente de la feuille {ws.title}")


def remplir(wb, feuille: str, **heures):
    ws = wb[feuille]
    for reference, valeur in heures.items():
        ws.cell(rang(ws, reference.replace("_", "-")), excel_heures.COL_HEURES).value = valeur
    return wb


def octets(wb) -> bytes:
    sortie = io.BytesIO()
    wb.save(sortie)
    return sortie.getvalue()


def comptes():
    return DeclarationMensuelle.objects.count(), LigneDeclaration.objects.count()


def heures_en_base() -> dict[str, Decimal]:
    return {
        ligne.mission.reference: ligne.heures
        for ligne in LigneDeclaration.objects.select_related("mission")
    }


def deposer(client, contenu: bytes, nom="heures-mars.xlsx", **donnees):
    fichier = SimpleUploadedFile(nom, contenu, content_type=XLSX)
    return client.post(reverse(URL), {"fichier": fichier, **donnees})


def confirmer(client, jeton: str, **kwargs):
    return client.post(reverse(URL), {"jeton": jeton, "confirmer": "1"}, **kwargs)


def textes_messages(reponse) -> list[str]:
    return [str(m) for m in get_messages(reponse.wsgi_request)]


def fichiers_en_attente(settings) -> list[Path]:
    dossier = Path(settings.MEDIA_ROOT) / "imports" / "heures"
    return list(dossier.glob("*")) if dossier.exists() else []


# --- the template --------------------------------------------------------------------------


class TestModele:
    def test_une_feuille_par_lot_et_metadonnees_cachees(self, facilitateur, entreprise, missions):
        wb = modele(facilitateur, entreprise)
        assert wb.sheetnames == [FEUILLE_1, FEUILLE_2, excel_heures.FEUILLE_META]
        meta = wb[excel_heures.FEUILLE_META]
        assert meta.sheet_state == "veryHidden"
        assert meta.protection.sheet
        valeurs = {ligne[0]: ligne[1] for ligne in meta.iter_rows(max_row=8, values_only=True)}
        assert valeurs["entreprise_identifiant"] == entreprise.identifiant
        assert valeurs["entreprise_type_identifiant"] == "SIRET"
        assert valeurs["mois"] == "2026-03"
        assert valeurs["version"] == excel_heures.VERSION_MODELE

    def test_feuille_lisible_et_typee(self, facilitateur, entreprise, missions):
        ws = modele(facilitateur, entreprise)[FEUILLE_1]
        assert "mars 2026" in ws["A1"].value and entreprise.identifiant in ws["A1"].value
        assert "2026-MP-0001 lot 1" in ws["A2"].value
        assert "7,5 ou 7:30 ou 7h30" in ws["A3"].value
        entete = [c.value for c in ws[excel_heures.LIGNE_ENTETE]]
        assert entete == [titre for _, titre, _ in excel_heures.COLONNES]
        assert all(c.font.bold for c in ws[excel_heures.LIGNE_ENTETE])
        assert ws.column_dimensions["C"].width == 40
        assert ws.freeze_panes == "A6"
        # Durand before Zébulon; the mission ended in February is not listed.
        lignes = list(ws.iter_rows(min_row=6, values_only=True))
        assert [ligne[0] for ligne in lignes] == ["MX-002", "MX-001"]
        assert lignes[1][1] == "ZÉBULON Awa"
        assert lignes[1][2] == "Embauche directe en CDD"
        assert lignes[1][4] == dt.datetime(2026, 2, 1) and lignes[0][5] is None
        assert ws["E7"].number_format == "dd/mm/yyyy"
        assert lignes[1][6] is None
        assert ws.protection.sheet and not ws["G7"].protection.locked and ws["A7"].protection.locked

    def test_initiales_sans_la_permission_de_voir_les_participants(
        self, make_user, entreprise, missions
    ):
        ws = modele(make_user(None), entreprise)[FEUILLE_1]
        assert ws["B7"].value == "A.Z."
        assert not any("Zébulon" in str(c.value) for ligne in ws.iter_rows() for c in ligne)

    def test_prerempli_avec_le_brouillon(self, facilitateur, entreprise, lots, missions):
        d = declarations.creer(entreprise, lots[0], MOIS, facilitateur)
        declarations.enregistrer_lignes(d, {missions["awa"].pk: Decimal("80.5")}, 1, facilitateur)
        ws = modele(facilitateur, entreprise)[FEUILLE_1]
        assert ws["G7"].value == 80.5
        assert ws["G7"].number_format == "#,##0.00"
        assert ws["G6"].value is None

    def test_lot_deja_soumis_absent_du_modele(self, facilitateur, entreprise, lots, missions):
        d = declarations.creer(entreprise, lots[1], MOIS, facilitateur)
        d = declarations.enregistrer_lignes(d, {missions["zoe"].pk: Decimal("20")}, 1, facilitateur)
        declarations.soumettre(d, d.version, facilitateur)
        wb = modele(facilitateur, entreprise)
        assert wb.sheetnames == [FEUILLE_1, excel_heures.FEUILLE_META]
        assert "2026-MP-0002 lot 1 (déclaration soumise)" in wb[FEUILLE_1]["A4"].value

    def test_rien_a_declarer(self, facilitateur, entreprise, missions):
        with pytest.raises(ValidationError, match=r"Aucune mission .* active en janvier 2025"):
            excel_heures.generer_modele(entreprise, dt.date(2025, 1, 1), facilitateur)

    def test_telechargement(self, client_for, entreprise, missions):
        client = client_for(roles.SUIVI)
        reponse = client.get(reverse(URL_MODELE), {"entreprise": entreprise.pk, "mois": "2026-03"})
        assert reponse.status_code == 200
        assert reponse["Content-Type"] == XLSX
        assert f'-{entreprise.identifiant}.xlsx"' in reponse["Content-Disposition"]
        assert load_workbook(io.BytesIO(reponse.content)).sheetnames[0] == FEUILLE_1

    def test_telechargement_sans_mission_explique_pourquoi(self, client_for, entreprise, missions):
        client = client_for(roles.SUIVI)
        reponse = client.get(reverse(URL_MODELE), {"entreprise": entreprise.pk, "mois": "2025-01"})
        assert reponse.status_code == 200
        assert "pas de modèle à produire" in str(reponse.context["modele_form"].non_field_errors())


# --- round trip ----------------------------------------------------------------------------


class TestAllerRetour:
    def test_modele_rempli_apercu_puis_confirmation(
        self, client_for, settings, entreprise, lots, missions
    ):
        client = client_for(roles.FACILITATEUR)
        reponse = client.get(reverse(URL_MODELE), {"entreprise": entreprise.pk, "mois": "2026-03"})
        wb = load_workbook(io.BytesIO(reponse.content))
        remplir(wb, FEUILLE_1, MX_002="7:30", MX_001=80)
        remplir(wb, FEUILLE_2, MX_004="35,5")

        apercu = deposer(client, octets(wb))
        assert apercu.status_code == 200
        rapport = apercu.context["rapport"]
        assert rapport.valide, [str(e) for e in rapport.erreurs]
        assert rapport.entreprise == entreprise and rapport.mois == MOIS  # read from the file
        assert [lot.total_apres for lot in rapport.lots] == [Decimal("87.50"), Decimal("35.5")]
        contenu = apercu.content.decode()
        assert "Déclaration créée en brouillon : 2 lignes ajoutées." in contenu
        assert "7,5 h" in contenu and "ZÉBULON Awa" in contenu
        jeton = apercu.context["jeton"]
        assert fichiers_en_attente(settings) == [
            Path(settings.MEDIA_ROOT) / "imports" / "heures" / f"{jeton}.xlsx"
        ]
        assert comptes() == (0, 0)  # nothing before confirmation

        reponse = confirmer(client, jeton)
        assert reponse.status_code == 302
        assert reponse["Location"] == reverse("heures:declaration_liste")
        assert heures_en_base() == {
            "MX-002": Decimal("7.50"),
            "MX-001": Decimal("80.00"),
            "MX-004": Decimal("35.50"),
        }
        assert set(DeclarationMensuelle.objects.values_list("statut", flat=True)) == {
            StatutDeclaration.BROUILLON
        }
        assert "Import enregistré : 3 lignes d'heures sur 2 lots" in textes_messages(reponse)[0]
        assert fichiers_en_attente(settings) == []
        assert CLE_SESSION not in client.session

        # A second confirmation of the same token does nothing.
        avant = (
            comptes(),
            list(DeclarationMensuelle.objects.values_list("version", flat=True)),
            LigneDeclaration.history.count(),
        )
        reponse = confirmer(client, jeton)
        assert reponse.status_code == 302
        assert "Aucun import en attente" in textes_messages(reponse)[-1]
        assert avant == (
            comptes(),
            list(DeclarationMensuelle.objects.values_list("version", flat=True)),
            LigneDeclaration.history.count(),
        )

    def test_brouillon_modifie_et_ligne_videe(self, client_for, entreprise, lots, missions):
        client = client_for(roles.SUIVI)
        d = declarations.creer(entreprise, lots[0], MOIS, client.user)
        valeurs = {missions["awa"].pk: Decimal("80"), missions["hugo"].pk: Decimal("10")}
        d = declarations.enregistrer_lignes(d, valeurs, 1, client.user)
        wb = modele(client.user, entreprise)
        remplir(wb, FEUILLE_1, MX_002="7h45", MX_001=None)

        apercu = deposer(client, octets(wb), entreprise=entreprise.pk, mois="2026-03")
        lot = apercu.context["rapport"].lots[0]
        assert [(x.mission.reference, x.action) for x in lot.lignes] == [
            ("MX-002", "modifiee"),
            ("MX-001", "supprimee"),
        ]
        assert lot.resultat == "Brouillon mis à jour : 1 ligne modifiée, 1 ligne supprimée."
        assert (lot.total_avant, lot.total_apres) == (Decimal("90"), Decimal("7.75"))
        reponse = confirmer(client, apercu.context["jeton"])
        assert reponse["Location"] == reverse("heures:declaration_saisie", args=[d.pk])
        assert heures_en_base() == {"MX-002": Decimal("7.75")}

    def test_heures_typees_par_excel(self, facilitateur, entreprise, missions):
        wb = remplir(modele(facilitateur, entreprise), FEUILLE_1, MX_002=dt.time(7, 30))
        remplir(wb, FEUILLE_1, MX_001=151.67)
        remplir(wb, FEUILLE_2, MX_004=dt.timedelta(hours=35, minutes=20))
        rapport = excel_heures.analyser(octets(wb), entreprise, MOIS)
        assert rapport.valide, [str(e) for e in rapport.erreurs]
        lues = {x.mission.reference: x.heures for lot in rapport.lots for x in lot.lignes}
        assert lues == {
            "MX-002": Decimal("7.50"),
            "MX-001": Decimal("151.67"),
            "MX-004": Decimal("35.33"),
        }

    def test_meme_fichier_renvoye_ne_change_rien(self, facilitateur, entreprise, missions):
        contenu = octets(remplir(modele(facilitateur, entreprise), FEUILLE_1, MX_001=12))
        excel_heures.enregistrer(excel_heures.analyser(contenu, entreprise, MOIS), facilitateur)
        rapport = excel_heures.analyser(contenu, entreprise, MOIS)
        assert rapport.valide and not rapport.a_enregistrer
        assert rapport.resume().startswith("Rien à enregistrer")

    def test_changement_depuis_l_apercu_redemande_confirmation(
        self, client_for, entreprise, lots, missions
    ):
        client = client_for(roles.FACILITATEUR)
        wb = remplir(modele(client.user, entreprise), FEUILLE_1, MX_001=12)
        jeton = deposer(client, octets(wb)).context["jeton"]
        declarations.creer(entreprise, lots[1], MOIS, client.user)  # someone opens lot 2

        reponse = confirmer(client, jeton)
        assert reponse.status_code == 200
        assert "ont changé depuis l'aperçu" in textes_messages(reponse)[0]
        assert LigneDeclaration.objects.count() == 0
        assert confirmer(client, jeton).status_code == 302
        assert heures_en_base() == {"MX-001": Decimal("12")}


# --- all or nothing ------------------------------------------------------------------------


class TestToutOuRien:
    def test_conflit_a_l_enregistrement_annule_tous_les_lots(
        self, facilitateur, make_user, entreprise, lots, missions
    ):
        wb = remplir(modele(facilitateur, entreprise), FEUILLE_1, MX_001=10)
        remplir(wb, FEUILLE_2, MX_004=20)
        rapport = excel_heures.analyser(octets(wb), entreprise, MOIS)
        assert rapport.valide
        autre = make_user(roles.SUIVI, username="autre", first_name="Paul", last_name="Roy")
        d = declarations.creer(entreprise, lots[1], MOIS, autre)  # meanwhile, on lot 2
        declarations.enregistrer_lignes(d, {missions["zoe"].pk: Decimal("3")}, 1, autre)
        avant = comptes()
        with pytest.raises(ConflitDeVersion, match="Paul Roy"):
            excel_heures.enregistrer(rapport, facilitateur)
        assert comptes() == avant
        assert not DeclarationMensuelle.objects.filter(lot=lots[0]).exists()

    def test_rapport_en_erreur_refuse(self, facilitateur, entreprise, missions):
        wb = remplir(modele(facilitateur, entreprise), FEUILLE_1, MX_001=10, MX_002="beaucoup")
        rapport = excel_heures.analyser(octets(wb), entreprise, MOIS)
        with pytest.raises(ValidationError, match="rien n'a été enregistré"):
            excel_heures.enregistrer(rapport, facilitateur)
        assert comptes() == (0, 0)

    def test_heures_changees_dans_l_application_depuis_le_telechargement(
        self, facilitateur, entreprise, lots, missions
    ):
        wb = modele(facilitateur, entreprise)
        d = declarations.creer(entreprise, lots[0], MOIS, facilitateur)
        declarations.enregistrer_lignes(
            d,
            {missions["awa"].pk: Decimal("50"), missions["hugo"].pk: Decimal("5")},
            1,
            facilitateur,
        )
        remplir(wb, FEUILLE_1, MX_001=60)  # MX-002 left as downloaded (empty)
        rapport = excel_heures.analyser(octets(wb), entreprise, MOIS)
        assert [str(e) for e in rapport.erreurs] == [
            f"Feuille « {FEUILLE_1} », ligne 7, colonne G (Heures du mois) : les heures de "
            "MX-001 ont changé dans l'application depuis le téléchargement du modèle (vide → "
            "50 h, par Claire) et le fichier les écraserait (60 h). Téléchargez un "
            "nouveau modèle."
        ]
        remplir(wb, FEUILLE_1, MX_001=None)
        rapport = excel_heures.analyser(octets(wb), entreprise, MOIS)
        assert rapport.valide and not rapport.a_enregistrer
        assert any("la valeur de l'application est conservée" in a for a in rapport.avertissements)

    def test_lot_soumis_refuse_s_il_change(self, facilitateur, entreprise, lots, missions):
        wb = remplir(modele(facilitateur, entreprise), FEUILLE_1, MX_001=10)
        d = declarations.creer(entreprise, lots[1], MOIS, facilitateur)
        d = declarations.enregistrer_lignes(d, {missions["zoe"].pk: Decimal("20")}, 1, facilitateur)
        declarations.soumettre(d, d.version, facilitateur)
        avant = comptes()

        rapport = excel_heures.analyser(octets(wb), entreprise, MOIS)  # lot 2 untouched
        assert rapport.valide
        assert f"Feuille « {FEUILLE_2} » : déclaration soumise, laissée telle quelle." in (
            rapport.avertissements
        )
        remplir(wb, FEUILLE_2, MX_004=25)
        rapport = excel_heures.analyser(octets(wb), entreprise, MOIS)
        assert [str(e) for e in rapport.erreurs] == [
            f"Feuille « {FEUILLE_2} » : la déclaration de mars 2026 de ce lot est soumise : elle "
            "ne se modifie plus par import. Faites-la rejeter ou corriger, ou remettez les "
            "heures déclarées."
        ]
        assert comptes() == avant


# --- bad files: refused with a message naming sheet, line and column; nothing written ------


def _texte(wb):
    return "Référence;Heures\nMX-001;7,5\n".encode()


def _pdf(wb):
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"


def _zip_quelconque(wb):
    sortie = io.BytesIO()
    with zipfile.ZipFile(sortie, "w") as archive:
        archive.writestr("document.txt", "pas un classeur")
    return sortie.getvalue()


def _xlsx_abime(wb):
    sortie = io.BytesIO()
    with zipfile.ZipFile(sortie, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "pas du XML <<<")
    return sortie.getvalue()


def _sans_metadonnees(wb):
    del wb[excel_heures.FEUILLE_META]
    return octets(wb)


def _feuille_renommee(wb):
    wb[FEUILLE_1].title = "Mars"
    return octets(wb)


def _cellule(feuille, adresse, valeur):
    def modifier(wb):
        wb[feuille][adresse] = valeur
        return octets(wb)

    return modifier


def _ligne_ajoutee(reference, heures):
    def modifier(wb):
        wb[FEUILLE_1].append([reference, None, None, None, None, None, heures])
        return octets(wb)

    return modifier


def _colonne_inseree(wb):
    wb[FEUILLE_1].insert_cols(2)
    return octets(wb)


L1 = f"Feuille « {FEUILLE_1} »"
G6, G7 = (
    f"{L1}, ligne 6, colonne G (Heures du mois) : ",
    f"{L1}, ligne 7, colonne G (Heures du mois) : ",
)

MAUVAIS_FICHIERS = [
    pytest.param(
        _texte,
        "Le fichier n'est pas un classeur Excel (.xlsx) lisible, quel que soit son nom",
        id="texte-nomme-xlsx",
    ),
    pytest.param(_pdf, "Le fichier est un PDF, pas un classeur Excel (.xlsx)", id="pdf-renomme"),
    pytest.param(_zip_quelconque, "n'est pas un classeur Excel (.xlsx) lisible", id="zip"),
    pytest.param(_xlsx_abime, "il est peut-être endommagé", id="xlsx-abime"),
    pytest.param(_sans_metadonnees, "n'est pas un modèle « heures du mois »", id="pas-un-modele"),
    pytest.param(
        _feuille_renommee,
        "Feuille « Mars » : feuille inconnue du modèle (renommée ou ajoutée ?). Les feuilles du "
        f"modèle sont : « {FEUILLE_1} », « {FEUILLE_2} » ; rendez-lui son nom d'origine.",
        id="feuille-renommee",
    ),
    pytest.param(
        _cellule(FEUILLE_1, "A7", "MX-999"),
        f"{L1}, ligne 7, colonne A (Référence mission) : mission « MX-999 » inconnue : gardez "
        "les références du modèle.",
        id="reference-inconnue",
    ),
    pytest.param(
        _cellule(FEUILLE_1, "A7", "MX-009"),
        f"{L1}, ligne 7, colonne A (Référence mission) : la mission MX-009 n'est pas une mission "
        "de Bâtir Nord Franche-Comté sur le lot 2026-MP-0001 lot 1.",
        id="mission-d-une-autre-entreprise",
    ),
    pytest.param(
        _cellule(FEUILLE_1, "G6", -5),
        G6 + "« -5 » : les heures ne peuvent pas être négatives.",
        id="heures-negatives",
    ),
    pytest.param(
        _cellule(FEUILLE_1, "G6", "-7,5"),
        G6 + "« -7,5 » : les heures ne peuvent pas être négatives.",
        id="heures-negatives-en-texte",
    ),
    pytest.param(
        _cellule(FEUILLE_1, "G6", "beaucoup"),
        G6 + "« beaucoup » n'est pas un nombre d'heures (ex. : 7,5 ou 7h30).",
        id="texte-dans-les-heures",
    ),
    pytest.param(
        _cellule(FEUILLE_1, "G6", "=4*2"),
        G6 + "formule « =4*2 » interdite : saisissez le nombre d'heures lui-même (ex. : 7,5).",
        id="formule",
    ),
    pytest.param(
        _cellule(FEUILLE_1, "G6", "250"),
        G6 + "250 h dépasse le plafond de",
        id="plafond",
    ),
    pytest.param(
        _cellule(FEUILLE_1, "G6", dt.datetime(2026, 3, 12)),
        G6 + "« 12/03/2026 » est une date, pas un nombre d'heures.",
        id="date",
    ),
    pytest.param(
        _ligne_ajoutee("MX-003", 10),
        f"{L1}, ligne 8, colonne G (Heures du mois) : la mission MX-003 (du 05/01/2026 au "
        "20/02/2026) n'est pas active en mars 2026 : pas d'heures ce mois-là.",
        id="mission-hors-de-ses-dates",
    ),
    pytest.param(
        _ligne_ajoutee("MX-001", 3),
        f"{L1}, ligne 8, colonne A (Référence mission) : la mission MX-001 figure déjà ligne 7 : "
        "une seule ligne par mission.",
        id="meme-mission-deux-fois",
    ),
    pytest.param(
        _ligne_ajoutee(None, 3),
        f"{L1}, ligne 8, colonne A (Référence mission) : des heures sans référence de mission",
        id="heures-sans-reference",
    ),
    pytest.param(
        _colonne_inseree,
        f"{L1}, ligne 5, colonne B (Participant) : en-tête vide au lieu de « Participant »",
        id="colonne-inseree",
    ),
]


class TestMauvaisFichiers:
    @pytest.mark.parametrize(("fabriquer", "attendu"), MAUVAIS_FICHIERS)
    def test_refuse_sans_rien_ecrire(
        self, client_for, settings, entreprise, missions, autre_entreprise, fabriquer, attendu
    ):
        client = client_for(roles.FACILITATEUR)
        wb = modele(client.user, entreprise)
        remplir(wb, FEUILLE_1, MX_001=80)  # a valid line that must not be written either
        remplir(wb, FEUILLE_2, MX_004=12)
        avant = comptes()

        reponse = deposer(client, fabriquer(wb))
        assert reponse.status_code == 200
        rapport = reponse.context["rapport"]
        erreurs = [str(e) for e in rapport.erreurs]
        assert any(attendu in e for e in erreurs), erreurs
        assert not reponse.context["jeton"]
        assert "Import refusé" in reponse.content.decode()
        assert CLE_SESSION not in client.session
        assert fichiers_en_attente(settings) == []
        assert comptes() == avant

    def test_toutes_les_erreurs_sont_listees(self, facilitateur, entreprise, missions):
        wb = remplir(modele(facilitateur, entreprise), FEUILLE_1, MX_002=-1, MX_001="x")
        remplir(wb, FEUILLE_2, MX_004=300)
        rapport = excel_heures.analyser(octets(wb), entreprise, MOIS)
        assert [(e.feuille, e.ligne, e.colonne) for e in rapport.erreurs] == [
            (FEUILLE_1, 6, "G"),
            (FEUILLE_1, 7, "G"),
            (FEUILLE_2, 6, "G"),
        ]

    def test_feuille_renommee_est_aussi_signalee_absente(self, facilitateur, entreprise, missions):
        rapport = excel_heures.analyser(
            _feuille_renommee(modele(facilitateur, entreprise)), entreprise, MOIS
        )
        assert str(rapport.erreurs[1]) == (
            f"{L1} : feuille du modèle absente du fichier (renommée ou supprimée ?) : "
            "rendez-lui ce nom."
        )

    def test_mission_terminee_depuis_le_telechargement(self, facilitateur, entreprise, missions):
        wb = remplir(modele(facilitateur, entreprise), FEUILLE_1, MX_001=10)
        awa = missions["awa"]
        awa.date_fin = dt.date(2026, 2, 27)
        awa.save()
        rapport = excel_heures.analyser(octets(wb), entreprise, MOIS)
        assert [str(e) for e in rapport.erreurs] == [
            G7 + "la mission MX-001 (du 01/02/2026 au 27/02/2026) n'est pas active en mars "
            "2026 : pas d'heures ce mois-là."
        ]

    def test_fichier_vide(self, client_for, settings, entreprise, missions):
        client = client_for(roles.FACILITATEUR)
        reponse = deposer(client, b"")
        assert reponse.context["import_form"].errors["fichier"] == ["Le fichier est vide."]
        assert excel_heures.analyser(b"", entreprise, MOIS).erreurs[0].texte == (
            "Le fichier est vide."
        )
        assert comptes() == (0, 0) and fichiers_en_attente(settings) == []

    def test_fichier_de_20_mo_refuse_avant_lecture(
        self, client_for, settings, monkeypatch, entreprise, missions
    ):
        def interdit(*args, **kwargs):
            raise AssertionError("le fichier ne doit pas être lu")

        monkeypatch.setattr(excel_heures, "load_workbook", interdit)
        monkeypatch.setattr(excel_heures.zipfile, "ZipFile", interdit)
        gros = b"PK\x03\x04" + bytes(20 * 1024 * 1024)
        client = client_for(roles.FACILITATEUR)
        reponse = deposer(client, gros)
        assert reponse.context["import_form"].errors["fichier"] == [
            "Le fichier pèse 20 Mo : 5 Mo au plus."
        ]
        rapport = excel_heures.analyser(gros, entreprise, MOIS)
        assert rapport.erreurs[0].texte.startswith("Le fichier pèse 20 Mo : 5 Mo au plus.")
        assert comptes() == (0, 0) and fichiers_en_attente(settings) == []

    def test_modele_d_un_autre_mois(self, client_for, entreprise, missions):
        client = client_for(roles.FACILITATEUR)
        wb = remplir(modele(client.user, entreprise, dt.date(2026, 4, 1)), FEUILLE_1, MX_001=9)
        reponse = deposer(client, octets(wb), entreprise=entreprise.pk, mois="2026-03")
        assert [str(e) for e in reponse.context["rapport"].erreurs] == [
            "Ce modèle est celui d'un autre mois : avril 2026, pas mars 2026. Téléchargez le "
            "modèle du bon mois."
        ]
        assert comptes() == (0, 0)

    def test_modele_d_une_autre_entreprise(
        self, client_for, entreprise, missions, autre_entreprise
    ):
        client = client_for(roles.FACILITATEUR)
        wb = modele(client.user, autre_entreprise)
        wb[wb.sheetnames[0]]["G6"] = 10
        reponse = deposer(client, octets(wb), entreprise=entreprise.pk, mois="2026-03")
        erreurs = [str(e) for e in reponse.context["rapport"].erreurs]
        assert erreurs == [
            "Ce modèle est celui d'une autre entreprise : Peintures du Lion (SIRET "
            f"{autre_entreprise.identifiant}), pas Bâtir Nord Franche-Comté (SIRET "
            f"{entreprise.identifiant}). Téléchargez le modèle de la bonne entreprise."
        ]
        assert comptes() == (0, 0)


# --- permissions ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [roles.DIRECTION, roles.ANIMATEUR])
def test_direction_et_animateur_refuses(client_for, entreprise, missions, role):
    client = client_for(role)
    assert client.get(reverse(URL)).status_code == 403
    modele_url = reverse(URL_MODELE)
    assert (
        client.get(modele_url, {"entreprise": entreprise.pk, "mois": "2026-03"}).status_code == 403
    )
    assert client.post(reverse(URL), {"jeton": "x", "confirmer": "1"}).status_code == 403
    assert comptes() == (0, 0)


@pytest.mark.parametrize("role", [roles.FACILITATEUR, roles.SUIVI, roles.ADMIN])
def test_equipe_autorisee(client_for, role):
    reponse = client_for(role).get(reverse(URL))
    assert reponse.status_code == 200
    assert "Télécharger le modèle Excel" in reponse.content.decode()


def test_lien_depuis_la_saisie(client_for):
    reponse = client_for(roles.FACILITATEUR).get(reverse("heures:declaration_ouvrir"))
    assert reverse(URL) in reponse.content.decode()


# --- the pending upload (mife.core.televersement) ------------------------------------------


def _en_attente(client, entreprise):
    wb = remplir(modele(client.user, entreprise), FEUILLE_1, MX_001=12)
    return deposer(client, octets(wb)).context["jeton"]


def test_annuler_efface_le_fichier(client_for, settings, entreprise, missions):
    client = client_for(roles.FACILITATEUR)
    jeton = _en_attente(client, entreprise)
    assert len(fichiers_en_attente(settings)) == 1
    reponse = client.post(reverse(URL), {"jeton": jeton, "annuler": "1"})
    assert reponse.status_code == 302 and reponse["Location"] == reverse(URL)
    assert textes_messages(reponse) == ["Import annulé : rien n'a été enregistré."]
    assert fichiers_en_attente(settings) == [] and CLE_SESSION not in client.session
    reponse = confirmer(client, jeton)
    assert textes_messages(reponse)[-1].startswith("Aucun import en attente")
    assert comptes() == (0, 0)


def test_un_autre_utilisateur_ne_peut_pas_confirmer(
    client_for, make_user, settings, entreprise, missions
):
    client = client_for(roles.FACILITATEUR)
    jeton = _en_attente(client, entreprise)
    autre = Client()
    autre.force_login(make_user(roles.SUIVI, username="autre"))
    reponse = confirmer(autre, jeton)
    assert textes_messages(reponse) == [
        "Aucun import en attente (déjà enregistré ou abandonné) : rien n'a été modifié. "
        "Déposez de nouveau le fichier si besoin."
    ]
    assert autre.post(reverse(URL), {"jeton": jeton, "annuler": "1"}).status_code == 302
    assert comptes() == (0, 0) and len(fichiers_en_attente(settings)) == 1
    # Still pending for the one who uploaded it.
    assert confirmer(client, jeton).status_code == 302
    assert heures_en_base() == {"MX-001": Decimal("12")}


def test_depot_perime(client_for, settings, entreprise, missions):
    client = client_for(roles.FACILITATEUR)
    jeton = _en_attente(client, entreprise)
    [fichier] = fichiers_en_attente(settings)
    il_y_a_25_h = time.time() - 25 * 3600
    os.utime(fichier, (il_y_a_25_h, il_y_a_25_h))
    reponse = confirmer(client, jeton)
    assert reponse.status_code == 302 and reponse["Location"] == reverse(URL)
    assert textes_messages(reponse) == [
        "Le fichier déposé n'est plus disponible : déposez-le de nouveau."
    ]
    assert fichiers_en_attente(settings) == [] and CLE_SESSION not in client.session
    assert comptes() == (0, 0)
