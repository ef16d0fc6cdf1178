"""Reports to buyers: figures computed by hand (tests/jeu_bilan.py), PDF and workbook, the
e-mail with both files, the log re-downloadable as sent, rights and bad input."""

import io

import pytest
from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from mife import rapports
from mife.models import RapportDonneur
from tests import jeu_bilan

pytestmark = pytest.mark.django_db


@pytest.fixture
def jeu():
    return jeu_bilan.construire()


def texte_pdf(contenu: bytes) -> str:
    texte = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(contenu)).pages)
    return " ".join(texte.split())


def test_periodes():
    assert rapports.lire_periode("T1 2025").fin.isoformat() == "2025-03-31"
    assert rapports.lire_periode("2025-t4").debut.isoformat() == "2025-10-01"
    assert rapports.lire_periode("02/2025").fin.isoformat() == "2025-02-28"
    with pytest.raises(rapports.ValidationError, match="Période"):
        rapports.lire_periode("T5 2025")


def test_chiffres_calcules_a_la_main(jeu):
    c = rapports.calculer(jeu["la"].marche, None, rapports.lire_periode("T1 2025"))
    assert c["heures_requises"] == "1000.00"
    assert c["heures_periode"] == "270.00"  # January 100 + February 170
    assert c["heures_cumulees"] == "340.00"  # + December 2024; the March draft does not count
    assert c["heures_attendues"] == "247.25"  # 1 000 × 90 / 364 days elapsed on 01/04
    assert c["prevision"] == "1378.89"  # 340 + 340 × 275 / 90
    assert c["personnes"] == "< 3"
    assert ["Femme", "< 3"] in c["sexe"]
    assert c["entreprises"] == [["Bâtir Azur", "270.00", "100.0"]]


def test_envoi_courriel_journal_et_fichiers(jeu, client_for):
    client = client_for("facilitateur")
    reponse = client.post(
        reverse("rapports"),
        {
            "marche": jeu["la"].marche.pk,
            "periode": "T1 2025",
            "message": "Bonjour, voici le point.",
        },
    )
    assert reponse.status_code == 302
    assert len(mail.outbox) == 1
    courriel = mail.outbox[0]
    assert courriel.to == [jeu["a"].contact_email]
    assert courriel.body == "Bonjour, voici le point."
    assert [nom.rsplit(".", 1)[1] for nom, _, _ in courriel.attachments] == ["pdf", "xlsx"]
    rapport = RapportDonneur.objects.get()
    assert rapport.envoye_par == client.user and rapport.statut == "envoye"
    assert rapport.chiffres["heures_periode"] == "270.00"
    envoye = b"".join(
        client.get(reverse("rapport_fichier", args=[rapport.pk, "pdf"])).streaming_content
    )
    assert envoye == courriel.attachments[0][1]
    texte = texte_pdf(envoye)
    assert "Rapport d'avancement — T1 2025" in texte and "270 h" in texte and "< 3" in texte
    classeur = b"".join(
        client.get(reverse("rapport_fichier", args=[rapport.pk, "xlsx"])).streaming_content
    )
    ws = load_workbook(io.BytesIO(classeur))["Avancement"]
    assert ws["B3"].value == 1000 and ws["B4"].value == 270
    page = client.get(reverse("rapports")).content.decode()
    assert "T1 2025" in page and jeu["a"].contact_email in page


def test_contact_sans_adresse_nomme_avant_envoi(jeu, client_for):
    jeu["a"].contact_email = ""
    jeu["a"].contact_nom = "Claire Martin"
    jeu["a"].save()
    page = client_for("facilitateur").post(
        reverse("rapports"),
        {"marche": jeu["la"].marche.pk, "periode": "T1 2025", "message": "Bonjour"},
    )
    texte = page.content.decode()
    assert (
        "Le contact de Ville d&#x27;Azur (Claire Martin) n&#x27;a pas d&#x27;adresse e-mail"
        in texte
    )
    assert not mail.outbox and not RapportDonneur.objects.exists()


def test_mauvaise_saisie(jeu, client_for):
    page = client_for("facilitateur").post(
        reverse("rapports"), {"periode": "bientôt", "message": ""}
    )
    texte = page.content.decode()
    assert "Période : indiquez un mois" in texte
    assert not mail.outbox


def test_droits(jeu, client_for):
    direction = client_for("direction")
    assert direction.get(reverse("rapports")).status_code == 200
    assert "Envoyer le rapport" not in direction.get(reverse("rapports")).content.decode()
    reponse = direction.post(
        reverse("rapports"), {"marche": jeu["la"].marche.pk, "periode": "T1 2025", "message": "x"}
    )
    assert reponse.status_code == 403 and not mail.outbox


def test_journal_nombre_de_requetes_constant(jeu, client_for, django_assert_max_num_queries):
    client = client_for("facilitateur")
    for periode in ("2025-01", "2025-02", "2025-03"):
        rapports.envoyer(
            jeu["la"].marche, None, rapports.lire_periode(periode), "Bonjour", client.user
        )
    with django_assert_max_num_queries(15):
        page = client.get(reverse("rapports"))
    assert page.content.decode().count(">PDF</a>") == 3
