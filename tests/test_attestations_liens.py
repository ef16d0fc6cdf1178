"""The attestations list links each row to its public verification page and, for the roles that
may download it, to its PDF (never for the direction: the PDF carries participants' initials)."""

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from mife import roles
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def attestations(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    avec_pdf = f.AttestationFactory(numero="ATT-2026-03-00001")
    avec_pdf.fichier.save("ATT-2026-03-00001.pdf", ContentFile(b"%PDF-1.4 essai"))
    sans_pdf = f.AttestationFactory(numero="ATT-2026-03-00002")  # batch still running
    return avec_pdf, sans_pdf


def _lignes(reponse) -> dict[str, dict]:
    """Each row's cells by column title, with their links."""
    contexte = reponse.context
    titres = [e["colonne"].titre for e in contexte["entetes"]]
    return {
        ligne["objet"].numero: dict(zip(titres, ligne["cellules"], strict=True))
        for ligne in contexte["lignes"]
    }


@pytest.mark.parametrize("role", [roles.SUIVI, roles.FACILITATEUR, roles.ADMIN])
def test_liens_pdf_et_verification(client_for, attestations, role):
    avec_pdf, sans_pdf = attestations
    reponse = client_for(role).get(reverse("heures:attestation_liste"))
    lignes = _lignes(reponse)
    verification = reverse("verifier_attestation", args=[avec_pdf.code_verification])
    assert lignes[avec_pdf.numero]["Vérification"]["texte"] == "Vérifier"
    assert lignes[avec_pdf.numero]["Vérification"]["url"] == verification
    pdf = reverse("heures:attestation_pdf", args=[avec_pdf.pk])
    assert lignes[avec_pdf.numero]["PDF"]["url"] == pdf
    assert lignes[avec_pdf.numero]["PDF"]["texte"] == "Télécharger"
    # No file yet (its batch has not written it): no link to a 404.
    assert "url" not in lignes[sans_pdf.numero]["PDF"]
    assert lignes[sans_pdf.numero]["PDF"]["texte"] == "—"
    html = reponse.content.decode()
    assert f'<a href="{pdf}">Télécharger</a>' in html
    assert f'<a href="{verification}">Vérifier</a>' in html


def test_les_liens_menent_au_pdf_et_a_la_verification(client_for, attestations):
    avec_pdf, _ = attestations
    client = client_for(roles.SUIVI)
    lignes = _lignes(client.get(reverse("heures:attestation_liste")))
    telechargement = client.get(lignes[avec_pdf.numero]["PDF"]["url"])
    assert telechargement.status_code == 200
    assert telechargement["Content-Type"] == "application/pdf"
    assert b"".join(telechargement.streaming_content) == b"%PDF-1.4 essai"
    # The verification page is public: anyone holding the paper opens it without an account.
    page = Client().get(lignes[avec_pdf.numero]["Vérification"]["url"])
    assert page.status_code == 200
    assert avec_pdf.numero in page.content.decode()


def test_la_direction_a_la_verification_mais_pas_le_pdf(client_for, attestations):
    avec_pdf, _ = attestations
    client = client_for(roles.DIRECTION)
    reponse = client.get(reverse("heures:attestation_liste"))
    lignes = _lignes(reponse)
    assert "PDF" not in lignes[avec_pdf.numero]
    assert lignes[avec_pdf.numero]["Vérification"]["url"] == reverse(
        "verifier_attestation", args=[avec_pdf.code_verification]
    )
    html = reponse.content.decode()
    assert reverse("heures:attestation_pdf", args=[avec_pdf.pk]) not in html
    assert "Télécharger" not in html
    assert client.get(reverse("heures:attestation_pdf", args=[avec_pdf.pk])).status_code == 403


def test_l_export_excel_n_a_pas_les_colonnes_de_liens(client_for, attestations):
    from tests.test_pages_heures import lignes_xlsx

    lignes = lignes_xlsx(
        client_for(roles.SUIVI).get(reverse("heures:attestation_liste"), {"export": "xlsx"})
    )
    assert "PDF" not in lignes[0] and "Vérification" not in lignes[0]
    assert len(lignes[0]) == 8
