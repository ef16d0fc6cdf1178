"""The DECP import page: upload, preview of exactly what the import will do (nothing written),
then confirmation. The import itself (marches.decp) is tested in tests/test_decp.py."""

from pathlib import Path

import lxml.html
import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from entreprises.models import Entreprise
from marches.forms import TAILLE_MAX_DECP
from marches.models import DonneurOrdre, Lot, Marche, RapportImport, TacheImportDecp
from mife import roles
from tests.factories import DonneurOrdreFactory, MarcheFactory

pytestmark = pytest.mark.django_db

FICHIER_2019 = Path(__file__).parent / "data" / "decp" / "decp_2019_bfc_belfort_excerpt.json"
URL = "marches:import_decp"
AUCUN_IMPORT = (
    "Aucun import en attente (déjà enregistré ou abandonné) : rien n'a été modifié. "
    "Déposez de nouveau le fichier si besoin."
)


def _lignes():
    """Row counts of every table the import writes to (history included)."""
    modeles = (DonneurOrdre, Marche, Lot, Entreprise)
    comptes = {m.__name__: m.objects.count() for m in modeles}
    comptes |= {f"historique {m.__name__}": m.history.count() for m in modeles}
    comptes["cotraitants"] = Lot.cotraitants.through.objects.count()
    return comptes


def _doc(response):
    return lxml.html.fromstring(response.content.decode())


def _texte(response) -> str:
    return " ".join(_doc(response).text_content().split())


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _fichier(contenu: bytes, nom="decp.json"):
    return SimpleUploadedFile(nom, contenu, content_type="application/json")


def _jeton(response) -> str:
    champs = _doc(response).xpath('//input[@name="jeton"]')
    return champs[0].get("value") if champs else ""


def _bouton_confirmer(response) -> bool:
    return bool(_doc(response).xpath('//button[@name="confirmer"]'))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # The preview and the import run as background tasks: run them at once here.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return tmp_path


@pytest.fixture
def facilitateur(client_for):
    return client_for(roles.FACILITATEUR)


def _apercu(client, departement="90"):
    """Upload: the page of the preview task (already done with the immediate backend)."""
    with FICHIER_2019.open("rb") as fichier:
        return client.post(
            reverse(URL), {"fichier": fichier, "departement": departement}, follow=True
        )


def test_page_vide(facilitateur):
    response = facilitateur.get(reverse(URL))
    assert response.status_code == 200
    doc = _doc(response)
    assert doc.xpath('//input[@type="file"][@name="fichier"]')
    assert doc.xpath('//label[@for="id_departement"]')
    assert not _bouton_confirmer(response)
    assert "Rien n'est enregistré avant votre confirmation" in _texte(response)


def test_apercu_puis_confirmation(facilitateur, media):
    avant = _lignes()
    response = _apercu(facilitateur)
    assert response.status_code == 200
    texte = _texte(response)
    assert "Aperçu — decp_2019_bfc_belfort_excerpt.json" in texte
    assert (
        "175 enregistrement(s) lu(s), 18 importable(s), 0 écarté(s) pour défaut, 157 ignoré(s)."
        in texte
    )
    assert "Donneurs d'ordre : 3 créés, 0 mis à jour, 0 inchangé." in texte
    assert "Marchés : 18 créés, 0 mis à jour, 0 inchangé, 157 ignorés." in texte
    assert "Entreprises : 21 créées, 0 mise à jour, 0 inchangée." in texte
    assert "Ignoré(s) : 157 — lieu d'exécution hors du département 90." in texte
    assert _bouton_confirmer(response)
    # The preview writes nothing (history included).
    assert _lignes() == avant
    jeton = _jeton(response)
    assert len(jeton) == 32
    assert (media / "imports" / "decp" / f"{jeton}.json").exists()

    response = facilitateur.post(reverse(URL), {"confirmer": "1", "jeton": jeton}, follow=True)
    rapport = RapportImport.objects.get()
    tache = TacheImportDecp.objects.get(etape="import")
    assert response.redirect_chain == [(reverse("marches:import_decp_tache", args=[tache.pk]), 302)]
    assert "Résultat — decp_2019_bfc_belfort_excerpt.json" in _texte(response)
    assert rapport.par == facilitateur.user
    assert rapport.origine == "téléversement : decp_2019_bfc_belfort_excerpt.json"
    assert "Donneurs d'ordre : 3 créés, 0 mis à jour, 0 inchangé." in _texte(response)
    assert "Marchés : 18 créés, 0 mis à jour, 0 inchangé, 157 ignorés." in _texte(response)
    assert "Voir les marchés à qualifier" in _texte(response)
    assert Marche.objects.count() == 18
    assert Lot.objects.count() == 0  # waiting in the qualification queue
    assert DonneurOrdre.objects.count() == 3
    assert Entreprise.objects.count() == 21
    assert {m.modifie_par for m in Marche.objects.all()} == {facilitateur.user}
    assert not (media / "imports" / "decp" / f"{jeton}.json").exists()

    # The token is used once: confirming again writes nothing more.
    apres = _lignes()
    response = facilitateur.post(reverse(URL), {"confirmer": "1", "jeton": jeton})
    assert _messages(response) == [AUCUN_IMPORT]
    assert _lignes() == apres

    # Replaying the same file: an idempotent import, shown as such in the preview.
    texte = _texte(_apercu(facilitateur))
    assert "Marchés : 0 créé, 0 mis à jour, 18 inchangés, 157 ignorés." in texte


def test_json_invalide(facilitateur):
    avant = _lignes()
    fichier = _fichier(b'{"marches": [{"id": "2019-1", "objet": "Voirie"', "casse.json")
    response = facilitateur.post(
        reverse(URL), {"fichier": fichier, "departement": "90"}, follow=True
    )
    assert response.status_code == 200
    texte = _texte(response)
    assert "Fichier refusé : 1 erreur, rien ne sera enregistré." in texte
    assert "Le fichier n'est pas un JSON valide (ligne 1, colonne 48)." in texte
    assert not _bouton_confirmer(response)
    assert _lignes() == avant
    assert "import_decp" not in facilitateur.session


def test_json_qui_n_est_pas_un_fichier_decp(facilitateur):
    fichier = _fichier(b'{"releases": []}')
    response = facilitateur.post(reverse(URL), {"fichier": fichier}, follow=True)
    assert "ce n'est pas un fichier de données essentielles de la commande publique" in _texte(
        response
    )
    assert not _bouton_confirmer(response)


def test_fichier_trop_gros(facilitateur):
    avant = _lignes()
    contenu = b'{"marches": []}' + b" " * (TAILLE_MAX_DECP - 14)
    assert len(contenu) == TAILLE_MAX_DECP + 1
    response = facilitateur.post(
        reverse(URL), {"fichier": _fichier(contenu), "departement": "90"}, follow=True
    )
    assert response.status_code == 200
    erreur = _doc(response).xpath('//*[@id="id_fichier_error"]')
    assert " ".join(erreur[0].text_content().split()) == "Le fichier dépasse 20 Mo."
    assert not _bouton_confirmer(response)
    assert "Aperçu" not in _texte(response)
    assert _lignes() == avant


def test_fichier_de_20_mo_accepte(facilitateur):
    contenu = b'{"marches": []}' + b" " * (TAILLE_MAX_DECP - 15)
    assert len(contenu) == TAILLE_MAX_DECP
    response = facilitateur.post(reverse(URL), {"fichier": _fichier(contenu)}, follow=True)
    assert not _doc(response).xpath('//*[@id="id_fichier_error"]')
    assert "0 enregistrement(s) lu(s)" in _texte(response)


@pytest.mark.parametrize(
    ("donnees", "champ", "message"),
    [
        ({"departement": "9"}, "departement", "Indiquez un numéro de département (ex. : 90)."),
        (
            {"acheteur": "28900001000033"},
            "acheteur",
            "SIRET invalide : 14 chiffres avec une clé correcte.",
        ),
        ({"fichier": None}, "fichier", "Ce champ est obligatoire."),
        ({"fichier": b""}, "fichier", "Le fichier soumis est vide."),
    ],
)
def test_champs_invalides(facilitateur, donnees, champ, message):
    avant = _lignes()
    data = {"fichier": _fichier(b'{"marches": []}'), "departement": "90"}
    for nom, valeur in donnees.items():
        if nom == "fichier":
            if valeur is None:
                del data["fichier"]
            else:
                data["fichier"] = _fichier(valeur)
        else:
            data[nom] = valeur
    response = facilitateur.post(reverse(URL), data)
    assert response.status_code == 200
    erreur = _doc(response).xpath(f'//*[@id="id_{champ}_error"]')
    assert erreur and message in " ".join(erreur[0].text_content().split())
    assert not _bouton_confirmer(response)
    assert _lignes() == avant


def test_filtre_acheteur(facilitateur):
    with FICHIER_2019.open("rb") as fichier:
        response = facilitateur.post(
            reverse(URL),
            {"fichier": fichier, "departement": "90", "acheteur": "28900001000032"},
            follow=True,
        )
    assert "Marchés : 10 créés" in _texte(response)
    facilitateur.post(reverse(URL), {"confirmer": "1", "jeton": _jeton(response)})
    assert Marche.objects.count() == 10
    assert set(Marche.objects.values_list("donneur_ordre__siret", flat=True)) == {"28900001000032"}


@pytest.mark.parametrize("jeton", ["", "0" * 32, "../../etc/passwd"])
def test_confirmation_avec_un_mauvais_jeton(facilitateur, jeton):
    apercu = _apercu(facilitateur)
    assert _jeton(apercu)
    avant = _lignes()
    donnees = {"confirmer": "1"} | ({"jeton": jeton} if jeton else {})
    response = facilitateur.post(reverse(URL), donnees, follow=True)
    assert response.redirect_chain == [(reverse(URL), 302)]
    assert AUCUN_IMPORT in _texte(response)
    assert _lignes() == avant
    # The pending import is still there: the right token imports.
    facilitateur.post(reverse(URL), {"confirmer": "1", "jeton": _jeton(apercu)})
    assert Marche.objects.count() == 18


def test_confirmation_sans_apercu(facilitateur):
    response = facilitateur.post(reverse(URL), {"confirmer": "1", "jeton": "0" * 32}, follow=True)
    assert AUCUN_IMPORT in _texte(response)
    assert not Marche.objects.exists()


def test_confirmation_par_un_autre_utilisateur(facilitateur, make_user):
    jeton = _jeton(_apercu(facilitateur))
    autre = Client()  # another session: the pending import is not theirs
    autre.force_login(make_user(roles.ADMIN))
    response = autre.post(reverse(URL), {"confirmer": "1", "jeton": jeton})
    assert _messages(response) == [AUCUN_IMPORT]
    assert not Marche.objects.exists()
    # Nor can they cancel it: it is still pending for the one who uploaded it.
    autre.post(reverse(URL), {"annuler": "1", "jeton": jeton})
    facilitateur.post(reverse(URL), {"confirmer": "1", "jeton": jeton})
    assert Marche.objects.count() == 18


def test_fichier_en_attente_disparu(facilitateur, media):
    jeton = _jeton(_apercu(facilitateur))
    (media / "imports" / "decp" / f"{jeton}.json").unlink()
    response = facilitateur.post(reverse(URL), {"confirmer": "1", "jeton": jeton})
    assert _messages(response) == [
        "Le fichier déposé n'est plus disponible : déposez-le de nouveau."
    ]
    assert not Marche.objects.exists()


def test_reference_prise_entre_apercu_et_confirmation_ecarte_l_enregistrement(facilitateur, media):
    # Between preview and confirmation, a colleague records by hand a contract of the same
    # buyer with one of the file's references: that record is set aside, the rest imported.
    apercu = _apercu(facilitateur)
    rougemont = DonneurOrdreFactory(nom="Commune de Rougemont-le-Château", siret="21900089000018")
    MarcheFactory(
        donneur_ordre=rougemont, operation=None, reference="2019COEUR0100", objet="Saisi à la main"
    )
    response = facilitateur.post(
        reverse(URL), {"confirmer": "1", "jeton": _jeton(apercu)}, follow=True
    )
    texte = _texte(response)
    assert "référence déjà prise par un marché saisi sans identifiant DECP" in texte
    assert Marche.objects.filter(decp_id__startswith="2019COEUR").count() == 6
    rapport = RapportImport.objects.get()
    assert rapport.nb_ecartes == 1
    assert (
        "la référence « 2019COEUR0100 » est déjà celle du marché « Saisi à la main »"
        in (rapport.ecartes[0]["motif"])
    )
    assert not (media / "imports" / "decp" / f"{_jeton(apercu)}.json").exists()
    assert "import_decp" not in facilitateur.session


@pytest.mark.parametrize("role", [roles.SUIVI, roles.DIRECTION, roles.ANIMATEUR])
def test_roles_sans_droit_403(client_for, role):
    client = client_for(role)
    assert client.get(reverse(URL)).status_code == 403
    with FICHIER_2019.open("rb") as fichier:
        assert (
            client.post(reverse(URL), {"fichier": fichier, "departement": "90"}).status_code == 403
        )
    assert client.post(reverse(URL), {"confirmer": "1", "jeton": "x"}).status_code == 403
    assert not Marche.objects.exists()


def test_admin_autorise_et_lien_depuis_la_liste(client_for):
    admin = client_for(roles.ADMIN)
    assert admin.get(reverse(URL)).status_code == 200


def test_anonyme_redirige(client):
    response = client.get(reverse(URL))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_rapport_garde_et_telechargeable_en_excel(facilitateur):
    from io import BytesIO

    from openpyxl import load_workbook

    from marches import decp

    contenu = (FICHIER_2019.parent / "decp_v2_gip_maximilien_flux_2024-10-06.json").read_bytes()
    rapport = decp.importer(contenu, origine="flux")
    url = reverse("marches:rapport_import", args=[rapport.rapport_id])

    texte = _texte(facilitateur.get(url))
    assert "12 importable(s), 5 écarté(s) pour défaut" in texte
    assert "nature qui ne dit pas travaux, services ou fournitures" in texte

    response = facilitateur.get(url + "?export=xlsx")
    classeur = load_workbook(BytesIO(response.content))
    ecartes = list(classeur["Écartés"].values)
    assert ecartes[0] == ("N° d'enregistrement", "Identifiant DECP", "Champ", "Motif", "Sorte")
    assert len(ecartes) == 1 + 5
    assert ecartes[1][:3] == (7, "D2F2016F0000202", "nature")
    assert list(classeur["Motifs"].values)[1][1] == 5


@pytest.mark.parametrize("role", [roles.SUIVI, roles.DIRECTION, roles.ANIMATEUR])
def test_rapport_import_interdit_sans_droit(client_for, role):
    from marches.models import RapportImport

    rapport = RapportImport.objects.create(origine="essai")
    url = reverse("marches:rapport_import", args=[rapport.pk])
    assert client_for(role).get(url).status_code == 403


def test_apercu_et_import_en_taches_de_fond_avec_progression(client_for, settings, make_user):
    # With the real (database) backend, the request only records and enqueues the work.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from marches import import_fond

    client = client_for(roles.FACILITATEUR)
    flux = FICHIER_2019.parent / "decp_v2_gip_maximilien_flux_2024-10-06.json"
    with flux.open("rb") as fichier:
        response = client.post(reverse(URL), {"fichier": fichier})
    tache = TacheImportDecp.objects.get()
    assert response["Location"] == reverse("marches:import_decp_tache", args=[tache.pk])
    assert (tache.etape, tache.statut) == ("apercu", "en_attente")
    page = client.get(response["Location"])
    assert "En attente du service de tâches" in _texte(page)
    url_progression = reverse("marches:import_decp_progression", args=[tache.pk])
    assert _doc(page).xpath(f'//section[@hx-get="{url_progression}"]')
    assert not _bouton_confirmer(page)

    import_fond.executer(tache.pk)  # what the worker does

    tache.refresh_from_db()
    assert (tache.statut, tache.faits, tache.total) == ("terminee", 17, 17)
    partiel = client.get(url_progression)
    assert "12 importable(s), 5 écarté(s) pour défaut" in _texte(partiel)
    assert _bouton_confirmer(partiel)
    assert not _doc(partiel).xpath("//section[@hx-get]")  # polling stops
    assert not Marche.objects.exists()  # the preview wrote nothing

    response = client.post(reverse(URL), {"confirmer": "1", "jeton": _jeton(partiel)})
    import_tache = TacheImportDecp.objects.get(etape="import")
    import_fond.executer(import_tache.pk)
    import_tache.refresh_from_db()
    assert Marche.objects.count() == 12
    assert import_tache.rapport.nb_importes == 12
    assert "Voir le rapport d'import" in _texte(client.get(response["Location"]))

    # Another user's upload is not found.
    autre = Client()
    autre.force_login(make_user(roles.FACILITATEUR, username="autre"))
    assert autre.get(url_progression).status_code == 404
