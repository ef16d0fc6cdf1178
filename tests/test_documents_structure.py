"""The documents handed to others carry the team's identity from Paramètres: logo and
signature images (checked by their content when uploaded), full address, « Fait à <commune>,
le … », SIRET in groups, the team's and the buyer's names with the right article."""

import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from heures.services import attestations as service_attestations
from heures.services import declarations
from label.services import documents as documents_label
from marches import annexe
from marches.modeles_clause import CORRECTIONS_GRAMMAIRE, corriger_grammaire
from marches.models import Clause, ModeleClause
from mife import roles
from mife.core.grammaire import Article
from mife.core.models import Parametres
from tests.factories import (
    ClauseFactory,
    DonneurOrdreFactory,
    EntrepriseFactory,
    LabelFactory,
    MissionFactory,
    ParticipantFactory,
)
from tests.test_admin import donnees_du_formulaire

pytestmark = pytest.mark.django_db
URL_PARAMETRES = reverse("admin:mife_parametres_change", args=[1])


def _png(couleur="navy", taille=(120, 60), format_image="PNG") -> bytes:
    tampon = io.BytesIO()
    Image.new("RGB", taille, couleur).save(tampon, format=format_image)
    return tampon.getvalue()


def _texte(contenu: bytes) -> str:
    lecteur = PdfReader(io.BytesIO(contenu))
    texte = "\n".join(page.extract_text() for page in lecteur.pages)
    return " ".join(re.sub(r"-\n", "-", texte).replace("\u2019", "'").split())


def _nombre_images(contenu: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(contenu)).pages)


@pytest.fixture
def parametres():
    p = Parametres.get()
    p.nom_structure = "MIFE du Territoire de Belfort"
    p.article_structure = Article.LA
    p.adresse = (
        "Maison de l'Information, de la Formation et de l'Emploi\n2 rue Jean-Jaurès\n90000 Belfort"
    )
    p.commune = "Belfort"
    p.signataire_nom = "Claire Vuillemin"
    p.logo.save("logo.png", SimpleUploadedFile("logo.png", _png("navy")), save=False)
    p.signature.save("signature.png", SimpleUploadedFile("s.png", _png("black")), save=False)
    p.save()
    return p


@pytest.fixture
def client_admin(client, make_user):
    user = make_user(roles.ADMIN)
    user.is_staff = True
    user.save()
    client.force_login(user)
    return client


# --- uploads in Paramètres --------------------------------------------------------------------


def _envoyer(client, champ, fichier, **valeurs):
    data = donnees_du_formulaire(client.get(URL_PARAMETRES))
    data.update(valeurs)
    data[champ] = fichier
    return client.post(URL_PARAMETRES, data)


def test_logo_et_signature_enregistres_sous_un_nom_du_serveur(client_admin, settings):
    reponse = _envoyer(
        client_admin,
        "logo",
        SimpleUploadedFile("../../mon logo.PNG", _png()),
        commune="Delle",
        article_structure="la",
    )
    assert reponse.status_code == 302, reponse.context["adminform"].form.errors
    parametres = Parametres.get()
    nom = Path(parametres.logo.name)
    assert nom.parent == Path("parametres")
    assert re.fullmatch(r"[0-9a-f]{32}\.png", nom.name)  # not the user's name
    assert Path(parametres.chemin_logo).is_file()
    assert Path(parametres.chemin_logo).is_relative_to(settings.MEDIA_ROOT)
    assert parametres.commune == "Delle"
    reponse = _envoyer(
        client_admin, "signature", SimpleUploadedFile("s.jpg", _png(format_image="JPEG"))
    )
    assert reponse.status_code == 302
    assert Parametres.get().signature.name.endswith(".jpg")


@pytest.mark.parametrize(
    ("nom", "contenu", "message"),
    [
        # A renamed executable.
        ("logo.png", b"MZ\x90\x00\x03" + b"\x00" * 200, "n'est pas une image"),
        # A « PNG » whose header is right but whose pixels are garbage.
        ("logo.png", _png()[:40] + b"\x00" * 300, "n'est pas une image"),
        ("logo.exe", _png(), "n'est pas autorisée"),
        ("logo.png", _png(format_image="GIF"), "image GIF, seules les images PNG ou JPEG"),
    ],
)
def test_fichier_qui_n_est_pas_une_image_refuse(client_admin, nom, contenu, message):
    reponse = _envoyer(
        client_admin, "logo", SimpleUploadedFile(nom, contenu), signataire_nom="Changé"
    )
    assert reponse.status_code == 200
    erreurs = " ".join(reponse.context["adminform"].form.errors["logo"]).replace("’", "'")
    assert message in erreurs
    parametres = Parametres.get()
    assert not parametres.logo  # nothing saved half-way
    assert parametres.signataire_nom != "Changé"


def test_image_trop_lourde_refusee(client_admin, monkeypatch):
    monkeypatch.setattr("mife.core.images.TAILLE_MAX_OCTETS", 100)
    reponse = _envoyer(client_admin, "signature", SimpleUploadedFile("s.png", _png()))
    assert reponse.status_code == 200
    assert "2 Mo au plus" in " ".join(reponse.context["adminform"].form.errors["signature"])
    assert not Parametres.get().signature


def test_seul_l_administrateur_change_les_parametres(client, make_user):
    for role in (roles.FACILITATEUR, roles.SUIVI, roles.DIRECTION):
        user = make_user(role)
        client.force_login(user)
        reponse = client.post(
            URL_PARAMETRES, {"logo": SimpleUploadedFile("l.png", _png()), "commune": "X"}
        )
        assert reponse.status_code in (302, 403)
        assert not Parametres.get().logo
        assert Parametres.get().commune != "X"


def test_la_page_des_parametres_montre_l_adresse_des_documents(client_admin, settings):
    settings.SITE_URL = "http://127.0.0.1:8101"
    page = client_admin.get(URL_PARAMETRES).content.decode()
    assert "Adresse imprimée dans les documents" in page
    assert "http://127.0.0.1:8101/… (tirée de la variable d&#x27;environnement SITE_URL" in page
    parametres = Parametres.get()
    parametres.url_publique = "https://clauses.mife90.fr"
    parametres.save()
    page = client_admin.get(URL_PARAMETRES).content.decode()
    assert "https://clauses.mife90.fr/… (tirée de l&#x27;adresse publique ci-dessus)" in page
    settings.SITE_URL = ""
    parametres.url_publique = ""
    parametres.save()
    assert "aucune : définissez" in client_admin.get(URL_PARAMETRES).content.decode()


# --- the documents -----------------------------------------------------------------------------


@pytest.fixture
def attestation(parametres, make_user, settings):
    settings.SITE_URL = "http://127.0.0.1:8101"
    clause = ClauseFactory(
        heures_requises=Decimal("500"),
        lot__date_debut=dt.date(2026, 1, 5),
        lot__date_fin=dt.date(2027, 6, 30),
        lot__marche__date_notification=dt.date(2025, 12, 1),
        lot__titulaire=EntrepriseFactory(identifiant="73282932000074"),
    )
    lot = clause.lot
    mission = MissionFactory(
        lot=lot,
        employeur=lot.titulaire,
        participant=ParticipantFactory(),
        date_debut=dt.date(2026, 2, 1),
        date_fin=None,
    )
    saisie = make_user(roles.FACILITATEUR)
    suivi = make_user(roles.SUIVI)
    d = declarations.creer(lot.titulaire, lot, dt.date(2026, 10, 1), saisie)
    d = declarations.enregistrer_lignes(d, {mission.pk: Decimal("35")}, d.version, saisie)
    d = declarations.soumettre(d, d.version, saisie)
    _, attestation = declarations.valider(d, d.version, suivi)
    return attestation


def test_attestation_porte_l_identite_de_la_structure(attestation):
    with attestation.fichier.open("rb") as f:
        contenu = f.read()
    texte = _texte(contenu)
    assert "La MIFE du Territoire de Belfort atteste que" in texte
    assert "2 rue Jean-Jaurès 90000 Belfort" in texte
    date_emission = attestation.emise_le.astimezone().strftime("%d/%m/%Y")
    assert f"Fait à Belfort, le {date_emission}" in texte
    assert "SIRET 732 829 320 00074" in texte
    # The QR code and the printed link carry the address of make run (HOST/PORT).
    assert f"http://127.0.0.1:8101/verifier/{attestation.code_verification}/" in texte
    # The logo and the signature (the QR code is vector): none without them (last test).
    assert _nombre_images(contenu) >= 2


def test_attestation_de_realisation_aussi(attestation, make_user):
    Clause.objects.filter(lot=attestation.lot).update(heures_requises=Decimal("35"))
    realisation = service_attestations.emettre_realisation(
        attestation.lot, make_user(roles.SUIVI, username="suivi2")
    )
    with realisation.fichier.open("rb") as f:
        contenu = f.read()
    texte = _texte(contenu)
    assert "La MIFE du Territoire de Belfort atteste que" in texte
    assert "Fait à Belfort, le" in texte
    assert _nombre_images(contenu) >= 2


def test_sans_logo_ni_commune_pas_de_trou(attestation):
    parametres = Parametres.get()
    parametres.logo = parametres.signature = ""
    parametres.commune = ""
    parametres.article_structure = Article.LE
    parametres.nom_structure = "Comité de bassin d'emploi"
    parametres.save()
    contenu = service_attestations._pdf(attestation, [])
    texte = _texte(contenu)
    assert "Le Comité de bassin d'emploi atteste que" in texte
    assert "Fait le " in texte and "Fait à" not in texte
    assert _nombre_images(contenu) == 0


def test_annexe_de_clause_accorde_structure_et_donneur_d_ordre(parametres):
    clause = ClauseFactory(
        lot__marche__donneur_ordre__nom="Ville de Belfort",
        lot__marche__donneur_ordre__article=Article.LA,
    )
    texte = _texte(annexe.pdf(clause.lot))
    assert "passé par la Ville de Belfort" in texte
    assert "validée par la MIFE du Territoire de Belfort avant" in texte
    assert "transmet chaque mois à la MIFE du Territoire de Belfort l'état" in texte
    assert "La MIFE du Territoire de Belfort établit" in texte
    assert "Document préparé par la MIFE du Territoire de Belfort le" in texte
    assert "90000 Belfort" in texte
    assert "par MIFE" not in texte and "à MIFE" not in texte
    assert _nombre_images(annexe.pdf(clause.lot)) >= 1  # the logo
    Parametres.objects.update(logo="")
    assert _nombre_images(annexe.pdf(clause.lot)) == 0


def test_annexe_donneur_sans_article_reste_un_nom_propre(parametres):
    clause = ClauseFactory(lot__marche__donneur_ordre__nom="Territoire habitat")
    assert "passé par Territoire habitat" in _texte(annexe.pdf(clause.lot))


def test_modeles_deja_en_base_corriges_sans_perdre_les_retouches():
    modele = ModeleClause.objects.get(type="L2112-2")
    ancien = modele.texte
    for avant, apres in CORRECTIONS_GRAMMAIRE:
        ancien = ancien.replace(apres, avant)
    modele.texte = ancien + "\nParagraphe ajouté par l'équipe."
    modele.save()
    from django.apps import apps

    corriger_grammaire(apps)
    modele.refresh_from_db()
    assert "passé {{ par_donneur_ordre }}" in modele.texte
    assert "passé par {{ donneur_ordre }}" not in modele.texte
    assert modele.texte.endswith("Paragraphe ajouté par l'équipe.")


def test_certificat_du_label(parametres):
    parametres.commune = "Delle"
    parametres.save()
    texte = _texte(documents_label.certificat_pdf(LabelFactory()))
    assert "La MIFE du Territoire de Belfort certifie que l'entreprise" in texte
    assert "Fait à Delle, le" in texte
    assert "Fait à Belfort" not in texte  # no longer written in the template


def test_couverture_du_bilan(parametres):
    from mife import bilan

    donneur = DonneurOrdreFactory(nom="Ville de Belfort", article=Article.LA)
    contenu = bilan.pdf(2026, donneur)
    texte = _texte(contenu)
    assert "Marchés de la Ville de Belfort" in texte
    assert "sur les marchés de la Ville de Belfort" in texte
    assert "2 rue Jean-Jaurès 90000 Belfort" in texte
    assert _nombre_images(contenu) >= 1  # the logo
    Parametres.objects.update(logo="")
    assert _nombre_images(bilan.pdf(2026, donneur)) < _nombre_images(contenu)


def test_la_page_des_parametres_ne_lie_pas_les_images(client_admin, parametres, settings):
    page = client_admin.get(URL_PARAMETRES).content.decode()
    nom = Path(parametres.logo.name).name
    assert f"Image déposée : {nom}" in page
    assert f"/{settings.MEDIA_URL}" not in page  # media files have no public address
    assert 'accept="image/png,image/jpeg"' in page
    # « Supprimer l'image » clears it.
    data = donnees_du_formulaire(client_admin.get(URL_PARAMETRES))
    data["logo-clear"] = "on"
    assert client_admin.post(URL_PARAMETRES, data).status_code == 302
    assert not Parametres.get().logo and Parametres.get().signature


def test_mois_elide_dans_les_pages(attestation, client, make_user):
    """« Heures d'octobre 2026 », not « Heures de octobre 2026 »."""
    client.force_login(make_user(roles.SUIVI, username="suivi3"))
    declaration = attestation.declaration
    page = client.get(reverse("heures:declaration_saisie", args=[declaration.pk]))
    texte = page.content.decode().replace("&#x27;", "'")
    assert "Heures d'octobre 2026" in texte
    assert "de octobre" not in texte
