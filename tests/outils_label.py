"""Helpers of the label tests: a complete dossier, files of every accepted type (and bad ones)."""

import datetime as dt
import io
import zipfile
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from label.models import Axe, StatutDossier, ThemeSalaries
from tests import factories as f

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def _zip(fichiers: dict[str, bytes]) -> bytes:
    tampon = io.BytesIO()
    with zipfile.ZipFile(tampon, "w") as archive:
        for nom, contenu in fichiers.items():
            archive.writestr(nom, contenu)
    return tampon.getvalue()


def docx() -> bytes:
    from docx import Document

    tampon = io.BytesIO()
    document = Document()
    document.add_paragraph("Attestation de tutorat")
    document.save(tampon)
    return tampon.getvalue()


def xlsx() -> bytes:
    from openpyxl import Workbook

    tampon = io.BytesIO()
    classeur = Workbook()
    classeur.active["A1"] = "Stagiaires accueillis"
    classeur.save(tampon)
    return tampon.getvalue()


def odt() -> bytes:
    return _zip(
        {
            "mimetype": b"application/vnd.oasis.opendocument.text",
            "content.xml": b"<office:document-content/>",
            "META-INF/manifest.xml": b"<manifest/>",
        }
    )


def zip_quelconque() -> bytes:
    return _zip({"lisez-moi.txt": b"une archive ordinaire"})


def fichier(nom: str, contenu: bytes, type_declare: str = "application/pdf"):
    return SimpleUploadedFile(nom, contenu, content_type=type_declare)


def dossier_complet(statut=StatutDossier.EN_PREPARATION, **kwargs):
    """A dossier that lacks nothing: eligible diagnosis, one documented action per axis,
    good practice and the 3 years of the plan."""
    entreprise = kwargs.pop("entreprise", None) or f.EntrepriseFactory()
    if "diagnostic_eligibilite" not in kwargs:
        kwargs["diagnostic_eligibilite"] = f.DiagnosticEligibiliteFactory(
            entreprise=entreprise, eligible=True
        )
    dossier = f.DossierLabelFactory(
        entreprise=entreprise,
        statut=statut,
        bonnes_pratiques="Témoignage aux petits-déjeuners du réseau.",
        engagements_annee1="Formaliser le livret d'accueil.",
        engagements_annee2="Accueillir 6 stagiaires de 3e.",
        engagements_annee3="Former deux tuteurs.",
        **kwargs,
    )
    for axe, theme, intitule in (
        (Axe.DEMANDEURS_EMPLOI, "", "Immersions professionnelles"),
        (Axe.SCOLAIRES, "", "Stages de 3e"),
        (Axe.SALARIES, ThemeSalaries.TUTORAT, "Tutorat des apprentis"),
    ):
        action = f.ActionLabelFactory(
            dossier=dossier,
            axe=axe,
            theme=theme,
            intitule=intitule,
            description=f"{intitule} : description.",
            date_debut=dt.date(2026, 1, 5),
            date_fin=dt.date(2026, 6, 30),
            personnes=4,
            heures=Decimal("35"),
        )
        f.PieceJointeFactory(dossier=dossier, action=action, libelle=f"Preuve {intitule}")
    return dossier
