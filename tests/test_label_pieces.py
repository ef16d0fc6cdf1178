"""Evidence attachments: type checked by content, size limit, server-generated names, served
only through a view that checks the reader may see the dossier."""

import os
import re

import pytest
from django.urls import reverse

from label.models import PieceJointe, StatutDossier, TypeFichier
from label.services import pieces
from tests import factories as f
from tests.outils_label import EXE, JPEG, PDF, PNG, docx, fichier, odt, xlsx, zip_quelconque

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_temporaire(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def dossier():
    return f.DossierLabelFactory(statut=StatutDossier.EN_PREPARATION)


def deposer(client, dossier, contenu, nom="preuve.pdf", libelle="Convention de stage", **extra):
    return client.post(
        reverse("label:piece_ajouter", args=[dossier.pk]),
        {"libelle": libelle, "fichier": fichier(nom, contenu), **extra},
        follow=True,
    )


def messages_de(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


@pytest.mark.parametrize(
    "nom, contenu, type_attendu, extension",
    [
        ("convention.pdf", PDF, TypeFichier.PDF, "pdf"),
        ("photo.png", PNG, TypeFichier.PNG, "png"),
        ("photo.jpeg", JPEG, TypeFichier.JPEG, "jpg"),
        ("bilan.docx", docx(), TypeFichier.DOCX, "docx"),
        ("tableau.xlsx", xlsx(), TypeFichier.XLSX, "xlsx"),
        ("compte-rendu.odt", odt(), TypeFichier.ODT, "odt"),
        # The content decides, not the name: a PNG named .pdf is stored as a PNG.
        ("mal-nommee.pdf", PNG, TypeFichier.PNG, "png"),
    ],
)
def test_types_acceptes(client_for, dossier, nom, contenu, type_attendu, extension):
    client = client_for("animateur")
    response = deposer(client, dossier, contenu, nom=nom)
    assert "Pièce « Convention de stage » ajoutée." in messages_de(response)
    piece = PieceJointe.objects.get()
    assert piece.type_fichier == type_attendu and piece.taille == len(contenu)
    assert piece.nom_original == nom
    stocke = piece.fichier.name
    assert re.fullmatch(rf"label/pieces/\d{{4}}/{dossier.pk}/[0-9a-f]{{32}}\.{extension}", stocke)
    assert nom.rsplit(".", 1)[0] not in stocke  # server-generated name
    with piece.fichier.open("rb") as lu:
        assert lu.read() == contenu
    entree = dossier.journal.get()
    assert entree.auteur == client.user and nom in entree.description


@pytest.mark.parametrize(
    "nom, contenu",
    [
        ("rapport.pdf", EXE),  # a renamed executable
        ("script.docx", b"#!/bin/sh\nrm -rf /\n"),
        ("archive.docx", zip_quelconque()),  # a zip that is no Office document
        ("page.png", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_contenus_refuses(client_for, dossier, nom, contenu):
    client = client_for("animateur")
    response = deposer(client, dossier, contenu, nom=nom)
    message = messages_de(response)
    assert "Pièce refusée, rien n'a été enregistré." in message
    assert f"Le contenu du fichier « {nom} » n'est pas un PDF, PNG, JPEG, DOCX, XLSX ou ODT" in (
        message
    )
    assert not PieceJointe.objects.exists()
    assert not dossier.journal.exists()


def test_taille_limitee(client_for, dossier, settings, tmp_path):
    client = client_for("animateur")
    trop_gros = PDF + b"0" * (pieces.TAILLE_MAX + 1 - len(PDF))
    response = deposer(client, dossier, trop_gros, nom="scan.pdf")
    assert "Le fichier « scan.pdf » pèse 10 Mo : 10 Mo au plus." in messages_de(response)
    assert not PieceJointe.objects.exists()
    assert not list((tmp_path / "media").rglob("*.pdf"))


@pytest.mark.parametrize(
    "donnees, message",
    [
        ({"libelle": ""}, "Libellé : Ce champ est obligatoire."),
        ({"fichier": ""}, "Fichier : Ce champ est obligatoire."),
    ],
)
def test_saisie_incomplete(client_for, dossier, donnees, message):
    client = client_for("animateur")
    valeurs = {"libelle": "Convention", "fichier": fichier("c.pdf", PDF), **donnees}
    response = client.post(reverse("label:piece_ajouter", args=[dossier.pk]), valeurs, follow=True)
    assert message in messages_de(response)
    assert not PieceJointe.objects.exists()


def test_piece_d_une_action(client_for, dossier):
    action = f.ActionLabelFactory(dossier=dossier, intitule="Tutorat")
    client = client_for("animateur")
    deposer(client, dossier, PDF, action=action.pk)
    assert PieceJointe.objects.get().action == action


def test_action_d_un_autre_dossier_refusee(client_for, dossier):
    autre = f.ActionLabelFactory()
    client = client_for("animateur")
    response = deposer(client, dossier, PDF, action=autre.pk)
    assert "Action justifiée" in messages_de(response)
    assert not PieceJointe.objects.exists()


def test_dossier_depose_fige(client_for):
    dossier = f.DossierLabelFactory(statut=StatutDossier.DEPOSE)
    client = client_for("animateur")
    response = deposer(client, dossier, PDF)
    assert "son contenu ne peut plus être modifié" in messages_de(response)
    assert not PieceJointe.objects.exists()


@pytest.mark.parametrize("role", ["facilitateur", "direction", "suivi", None])
def test_depot_interdit(client_for, dossier, role):
    response = client_for(role).post(
        reverse("label:piece_ajouter", args=[dossier.pk]),
        {"libelle": "X", "fichier": fichier("x.pdf", PDF)},
    )
    assert response.status_code == 403
    assert not PieceJointe.objects.exists()


# --- download ----------------------------------------------------------------------------------


@pytest.fixture
def piece(client_for, dossier):
    client = client_for("animateur", username="depositaire")
    deposer(client, dossier, PNG, nom="photo.png", libelle="Photo de la visite")
    client.logout()
    return PieceJointe.objects.get()


@pytest.mark.parametrize("role", ["animateur", "direction", "facilitateur"])
def test_telechargement_par_qui_voit_le_dossier(client_for, piece, role):
    response = client_for(role).get(reverse("label:piece_telecharger", args=[piece.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert 'attachment; filename="photo-de-la-visite.png"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PNG


@pytest.mark.parametrize("role", ["suivi", None])
def test_telechargement_interdit(client_for, piece, role):
    response = client_for(role).get(reverse("label:piece_telecharger", args=[piece.pk]))
    assert response.status_code == 403


def test_telechargement_anonyme_renvoye_a_la_connexion(client, piece):
    response = client.get(reverse("label:piece_telecharger", args=[piece.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_aucune_url_publique_des_fichiers(client, piece, settings):
    assert client.get(f"/{settings.MEDIA_URL}{piece.fichier.name}").status_code in (302, 404)
    page = client.get(reverse("label:piece_telecharger", args=[piece.pk]))
    assert piece.fichier.name not in str(page.headers)


def test_supprimer_une_piece(client_for, piece):
    client = client_for("animateur")
    chemin = piece.fichier.path
    client.post(reverse("label:piece_supprimer", args=[piece.pk]))
    assert not PieceJointe.objects.exists()
    assert not os.path.exists(chemin)
    assert piece.dossier.journal.filter(description="Pièce « Photo de la visite » supprimée")


@pytest.mark.parametrize("role", ["facilitateur", "direction", "suivi", None])
def test_supprimer_interdit(client_for, piece, role):
    response = client_for(role).post(reverse("label:piece_supprimer", args=[piece.pk]))
    assert response.status_code == 403
    assert PieceJointe.objects.exists()
