"""The clause annex of a lot (Word and PDF), generated from the admin-edited ModeleClause of
its clause kind, read back from the produced documents (python-docx, pypdf)."""

import datetime as dt
import re
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from docx import Document
from pypdf import PdfReader

from marches.models import ModeleClause, TypeClause
from mife import roles
from tests.factories import ClauseFactory, LotFactory, UserFactory

pytestmark = pytest.mark.django_db

ARTICLES = {
    "L2112-2": "article L2112-2 du code de la commande publique",
    "L2152-7": "article L2152-7 du code de la commande publique",
    "L2113-12": "article L2113-12 du code de la commande publique",
    "L2113-13": "article L2113-13 du code de la commande publique",
    "R2123-1": "article R2123-1 du code de la commande publique",
}
CALCUL = (
    "Ce volume est calculé ainsi : 1 000 000,00 € HT × 50 % de main-d'œuvre × 5 % d'insertion "
    "÷ 30,00 € de coût horaire chargé = 833 h."
)
TYPE_MIME = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


def _normaliser(texte: str) -> str:
    """One space between words (PDF line breaks, non-breaking spaces), straight apostrophes."""
    texte = texte.replace("\u2019", "'")
    return " ".join(texte.split())


def _texte_docx(contenu: bytes) -> str:
    document = Document(BytesIO(contenu))
    return _normaliser("\n".join(p.text for p in document.paragraphs))


def _texte_pdf(contenu: bytes) -> str:
    lecteur = PdfReader(BytesIO(contenu))
    texte = "\n".join(page.extract_text() for page in lecteur.pages)
    return _normaliser(re.sub(r"-\n", "-", texte))  # a line may break after a hyphen


def _texte(response, format: str) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == TYPE_MIME[format]
    return (_texte_docx if format == "docx" else _texte_pdf)(response.content)


def _lot(type_clause="L2112-2", **clause):
    facilitatrice = UserFactory(
        role=roles.FACILITATEUR,
        first_name="Camille",
        last_name="Martin",
        email="camille.martin@mife90.fr",
        telephone="03 84 00 00 00",
    )
    valeurs = {
        "type": type_clause,
        "lot__numero": "3",
        "lot__intitule": "Menuiseries extérieures",
        "lot__montant_ht": Decimal("1000000"),
        "lot__facilitateur": facilitatrice,
        "lot__marche__reference": "2025-BEL-007",
        "lot__marche__objet": "Réhabilitation de l'école Jean-Jaurès",
        "lot__marche__donneur_ordre__nom": "Ville de Belfort",
        "montant_base": Decimal("1000000"),
        "penalite_horaire": None,
        "ponderation_critere": Decimal("20") if type_clause == "L2152-7" else None,
    }
    valeurs.update(clause)
    return ClauseFactory(**valeurs).lot


def _annexe(client, lot, format):
    return client.get(reverse("marches:lot_annexe", args=[lot.pk, format]))


@pytest.fixture
def facilitateur(client_for):
    return client_for(roles.FACILITATEUR)


@pytest.mark.parametrize("format", ["docx", "pdf"])
@pytest.mark.parametrize("type_clause", TypeClause.values)
def test_annexe_par_type_de_clause(facilitateur, type_clause, format):
    lot = _lot(type_clause)
    response = _annexe(facilitateur, lot, format)
    texte = _texte(response, format)
    modele = ModeleClause.objects.get(type=type_clause)

    assert modele.titre in texte
    assert ARTICLES[type_clause] in texte
    for autre, article in ARTICLES.items():
        if autre != type_clause:
            assert article not in texte
    assert "Annexe au marché 2025-BEL-007 — lot 3" in texte
    assert "Ville de Belfort" in texte
    assert (
        "« 2025-BEL-007 — Réhabilitation de l'école Jean-Jaurès » passé par Ville de Belfort"
        in texte
    )
    assert (
        "Le volume d'heures d'insertion exigé pour le lot « 3 — Menuiseries extérieures » "
        "est de 833 h." in texte
    )
    assert CALCUL in texte
    assert "Camille Martin — camille.martin@mife90.fr — 03 84 00 00 00" in texte
    assert "MIFE" in texte  # the structure (Parametres.nom_structure)
    assert "Pénalités" not in texte and "pénalité de" not in texte
    if type_clause == "L2152-7":
        assert "pondéré à 20 % de la note globale" in texte
        assert "au-delà du minimum de 833 h" in texte
    assert "{{" not in texte and "**" not in texte  # template and bold marks are rendered

    attendu = f'attachment; filename="annexe-clause-2025-BEL-007-lot-3.{format}"'
    assert response["Content-Disposition"] == attendu


@pytest.mark.parametrize("format", ["docx", "pdf"])
def test_penalite_seulement_si_renseignee(facilitateur, format):
    lot = _lot(penalite_horaire=Decimal("45.5"))
    texte = _texte(_annexe(facilitateur, lot, format), format)
    assert "Pénalités" in texte
    assert "une pénalité de 45,50 € par heure d'insertion non réalisée est appliquée" in texte


@pytest.mark.parametrize("format", ["docx", "pdf"])
def test_heures_ajustees_et_grands_nombres(facilitateur, format):
    lot = _lot(
        montant_base=Decimal("12500000"),
        heures_calculees=Decimal("10417"),
        heures_requises=Decimal("12000.5"),
        motif_derogation="Tranche optionnelle affermie",
    )
    texte = _texte(_annexe(facilitateur, lot, format), format)
    assert "est de 12 000,5 h." in texte
    assert "12 500 000,00 € HT" in texte and "= 10 417 h." in texte
    assert "Il a été ajusté pour le motif suivant : Tranche optionnelle affermie." in texte


def test_heures_sans_calcul(facilitateur):
    lot = _lot(
        montant_base=None,
        part_main_oeuvre=None,
        taux_insertion=None,
        cout_horaire=None,
        heures_calculees=Decimal("0"),
        heures_requises=Decimal("350"),
    )
    texte = _texte(_annexe(facilitateur, lot, "docx"), "docx")
    assert "est de 350 h." in texte
    assert "Ce volume est calculé ainsi" not in texte


def test_gras_dans_le_docx(facilitateur):
    lot = _lot("L2152-7")
    document = Document(BytesIO(_annexe(facilitateur, lot, "docx").content))
    gras = {run.text for p in document.paragraphs for run in p.runs if run.bold}
    assert {"833 h", "20 %"} <= gras
    assert document.core_properties.title == ModeleClause.objects.get(type="L2152-7").titre


def test_le_pdf_embarque_la_police_du_projet(facilitateur):
    contenu = _annexe(facilitateur, _lot(), "pdf").content
    assert contenu.startswith(b"%PDF")
    polices = set()
    for page in PdfReader(BytesIO(contenu)).pages:
        for police in page["/Resources"]["/Font"].values():
            objet = police.get_object()
            polices.add(str(objet["/BaseFont"]))
            descripteur = (
                objet.get("/FontDescriptor")
                or objet["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            )
            descripteur = descripteur.get_object()
            assert any(k in descripteur for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert polices and all("DejaVu" in p for p in polices)


@pytest.mark.parametrize("format", ["docx", "pdf"])
def test_modification_du_modele_par_l_administrateur(client_for, format):
    lot = _lot("L2113-13")
    admin = client_for(roles.ADMIN, is_staff=True)
    modele = ModeleClause.objects.get(type="L2113-13")
    url = reverse("admin:marches_modeleclause_change", args=[modele.pk])
    page = admin.get(url)
    assert page.status_code == 200
    formulaire = page.context["adminform"].form
    data = {nom: formulaire[nom].value() for nom in formulaire.fields}
    data.update(
        titre="Marché réservé SIAE — version 2026",
        texte=(
            "# Objet\nArticle L2113-13 : le titulaire réalise **{{ heures }}** pour "
            "{{ donneur_ordre }}.\n- Contact : {{ facilitateur_email }}"
        ),
    )
    response = admin.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    modele.refresh_from_db()
    assert modele.version == 2

    texte = _texte(_annexe(client_for(roles.DIRECTION, username="direction"), lot, format), format)
    assert "Marché réservé SIAE — version 2026" in texte
    assert "Article L2113-13 : le titulaire réalise 833 h pour Ville de Belfort." in texte
    assert "Contact : camille.martin@mife90.fr" in texte
    assert "Public éligible" not in texte  # the old text is gone


def test_modele_mal_forme_refuse_par_l_admin(client_for, facilitateur):
    lot = _lot("R2123-1")
    admin = client_for(roles.ADMIN, is_staff=True, username="administrateur")
    modele = ModeleClause.objects.get(type="R2123-1")
    url = reverse("admin:marches_modeleclause_change", args=[modele.pk])
    formulaire = admin.get(url).context["adminform"].form
    data = {nom: formulaire[nom].value() for nom in formulaire.fields}
    data["texte"] = "{% if heures %}Le titulaire réalise {{ heures }}."  # no {% endif %}
    response = admin.post(url, data)
    assert response.status_code == 200
    erreurs = response.context["adminform"].form.errors["texte"]
    assert erreurs[0].startswith("Texte invalide : une balise {% … %} ou {{ … }} est mal formée")
    modele.refresh_from_db()
    assert modele.texte.startswith("# Objet du marché") and modele.version == 1
    assert "article R2123-1" in _texte(_annexe(facilitateur, lot, "docx"), "docx")


@pytest.mark.parametrize("format", ["docx", "pdf"])
def test_caracteres_speciaux_tels_quels(facilitateur, format):
    # The model text is plain text: no HTML escaping in Word, exactly one in the PDF's HTML.
    lot = _lot(
        lot__intitule="Voirie & réseaux <divers>",
        lot__marche__objet='Aménagement "cœur de ville" d\'Héricourt',
        lot__marche__donneur_ordre__nom="Territoire d'habitat & Co",
    )
    texte = _texte(_annexe(facilitateur, lot, format), format)
    assert "« 3 — Voirie & réseaux <divers> »" in texte
    assert 'Aménagement "cœur de ville" d\'Héricourt' in texte
    assert "passé par Territoire d'habitat & Co" in texte
    assert "&amp;" not in texte and "&#x27;" not in texte and "&lt;" not in texte


def test_lot_sans_clause_404(facilitateur):
    lot = LotFactory()
    assert _annexe(facilitateur, lot, "docx").status_code == 404
    assert _annexe(facilitateur, lot, "pdf").status_code == 404
    page = facilitateur.get(lot.get_absolute_url())
    assert reverse("marches:lot_annexe", args=[lot.pk, "docx"]) not in page.content.decode()


def test_format_inconnu_404(facilitateur):
    lot = _lot()
    for format in ("odt", "DOCX", "html", ""):
        url = f"/marches/lots/{lot.pk}/annexe.{format}"
        assert facilitateur.get(url).status_code == 404, format


def test_lot_inconnu_404(facilitateur):
    assert facilitateur.get(reverse("marches:lot_annexe", args=[424242, "pdf"])).status_code == 404


def test_liens_depuis_la_fiche_du_lot(facilitateur):
    lot = _lot()
    page = facilitateur.get(lot.get_absolute_url()).content.decode()
    assert reverse("marches:lot_annexe", args=[lot.pk, "docx"]) in page
    assert reverse("marches:lot_annexe", args=[lot.pk, "pdf"]) in page


def test_nom_de_fichier_sans_caracteres_speciaux(facilitateur):
    lot = _lot(lot__marche__reference="2025/Écoles n°4", lot__numero="2 bis")
    disposition = _annexe(facilitateur, lot, "docx")["Content-Disposition"]
    assert disposition == 'attachment; filename="annexe-clause-2025-coles-n-4-lot-2-bis.docx"'
    assert re.fullmatch(r'attachment; filename="[A-Za-z0-9.-]+"', disposition)


@pytest.mark.parametrize("role", [roles.SUIVI, roles.DIRECTION, roles.ANIMATEUR])
def test_lecture_seule_peut_telecharger(client_for, role):
    lot = _lot()
    assert _annexe(client_for(role), lot, "docx").status_code == 200


def test_sans_role_403_et_anonyme_redirige(client, client_for):
    lot = _lot()
    url = reverse("marches:lot_annexe", args=[lot.pk, "pdf"])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client_for(None).get(url).status_code == 403


def test_date_du_document(facilitateur):
    texte = _texte(_annexe(facilitateur, _lot(), "pdf"), "pdf")
    aujourdhui = dt.date.today().strftime("%d/%m/%Y")
    assert re.search(rf"Document préparé par .+ le {aujourdhui}\.", texte)
