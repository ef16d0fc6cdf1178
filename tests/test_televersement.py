"""Upload → preview → confirm (``mife.core.televersement``): the uploaded file kept under a
server-generated token bound to the session, read back once for the confirmation, forgotten
after it or on cancel, and purged when abandoned (at each upload and by
``manage.py purger_televersements``). The pages that use it are tested in
tests/test_marches_import_page.py (DECP) and tests/test_excel_heures.py (hours by Excel)."""

import os
import re
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from marches.models import Marche
from mife import roles
from mife.core.televersement import Televersement, TeleversementIntrouvable, purger

AUCUN_IMPORT = (
    "Aucun import en attente (déjà enregistré ou abandonné) : rien n'a été modifié. "
    "Déposez de nouveau le fichier si besoin."
)
PLUS_DISPONIBLE = "Le fichier déposé n'est plus disponible : déposez-le de nouveau."
DECP = Televersement("decp", ".json")
HEURES = Televersement("heures", ".xlsx")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def requete():
    """A request with its own, empty session (one browser)."""
    request = RequestFactory().post("/")
    request.session = SessionStore()
    return request


def fichiers(media) -> list[str]:
    """What waits under imports/, as storage names."""
    return sorted(p.relative_to(media).as_posix() for p in media.glob("imports/*/*"))


def vieillir(media, nom: str, heures: float) -> None:
    moment = time.time() - heures * 3600
    os.utime(media / nom, (moment, moment))


# --- keep, read back, forget -----------------------------------------------------------------


def test_aller_retour(media):
    request = requete()
    jeton = DECP.garder(request, "decp.json", b'{"marches": []}', departement="90", acheteur=None)
    assert re.fullmatch(r"[0-9a-f]{32}", jeton)
    assert fichiers(media) == [f"imports/decp/{jeton}.json"]
    assert (media / "imports" / "decp" / f"{jeton}.json").read_bytes() == b'{"marches": []}'
    # The session holds the token and the page's data, never the content.
    assert request.session["import_decp"] == {
        "jeton": jeton,
        "nom": "decp.json",
        "donnees": {"departement": "90", "acheteur": None},
    }

    attente = DECP.reprendre(request, jeton)
    assert attente.jeton == jeton
    assert attente.nom == "decp.json"
    assert attente.contenu == b'{"marches": []}'
    assert attente.donnees == {"departement": "90", "acheteur": None}
    # Reading back keeps it until the page forgets it (a refused import can be shown again).
    assert DECP.reprendre(request, jeton).contenu == b'{"marches": []}'

    DECP.oublier(request)
    assert fichiers(media) == []
    assert "import_decp" not in request.session
    with pytest.raises(TeleversementIntrouvable, match=r"^Aucun import en attente"):
        DECP.reprendre(request, jeton)


def test_un_depot_en_attente_par_sorte_et_par_session(media):
    request = requete()
    premier = DECP.garder(request, "a.json", b"1")
    excel = HEURES.garder(request, "h.xlsx", b"x", mois="2026-03-01")
    second = DECP.garder(request, "b.json", b"2")
    # The second DECP upload replaced the first one (file removed); the hours upload stays.
    assert fichiers(media) == sorted(
        [f"imports/decp/{second}.json", f"imports/heures/{excel}.xlsx"]
    )
    with pytest.raises(TeleversementIntrouvable):
        DECP.reprendre(request, premier)
    assert DECP.reprendre(request, second).contenu == b"2"
    assert HEURES.reprendre(request, excel).donnees == {"mois": "2026-03-01"}
    # A token of one kind does not open the other kind.
    with pytest.raises(TeleversementIntrouvable):
        HEURES.reprendre(request, second)


@pytest.mark.parametrize("jeton", ["", "0" * 32, "../../etc/passwd", None])
def test_jeton_inconnu_refuse(media, jeton):
    request = requete()
    bon = DECP.garder(request, "decp.json", b"contenu")
    with pytest.raises(TeleversementIntrouvable) as erreur:
        DECP.reprendre(request, jeton)
    assert str(erreur.value) == AUCUN_IMPORT
    # Nothing forgotten: the right token still works.
    assert DECP.reprendre(request, bon).contenu == b"contenu"


def test_rien_en_attente(media):
    with pytest.raises(TeleversementIntrouvable, match=r"^Aucun import en attente"):
        DECP.reprendre(requete(), "0" * 32)


def test_le_depot_d_une_autre_session_est_refuse(media):
    proprietaire, autre = requete(), requete()
    jeton = DECP.garder(proprietaire, "decp.json", b"contenu")
    with pytest.raises(TeleversementIntrouvable) as erreur:
        DECP.reprendre(autre, jeton)
    assert str(erreur.value) == AUCUN_IMPORT
    DECP.oublier(autre, jeton)  # cannot cancel it either
    assert fichiers(media) == [f"imports/decp/{jeton}.json"]
    assert DECP.reprendre(proprietaire, jeton).contenu == b"contenu"


def test_fichier_disparu(media):
    request = requete()
    jeton = DECP.garder(request, "decp.json", b"contenu")
    (media / "imports" / "decp" / f"{jeton}.json").unlink()
    with pytest.raises(TeleversementIntrouvable) as erreur:
        DECP.reprendre(request, jeton)
    assert str(erreur.value) == PLUS_DISPONIBLE
    assert "import_decp" not in request.session


def test_depot_perime_refuse_et_efface(media, settings):
    settings.TELEVERSEMENTS_DUREE_ATTENTE = timedelta(hours=2)
    request = requete()
    jeton = HEURES.garder(request, "h.xlsx", b"x")
    vieillir(media, f"imports/heures/{jeton}.xlsx", heures=1.9)
    assert HEURES.reprendre(request, jeton).contenu == b"x"
    vieillir(media, f"imports/heures/{jeton}.xlsx", heures=2.1)  # not purged yet, but expired
    with pytest.raises(TeleversementIntrouvable) as erreur:
        HEURES.reprendre(request, jeton)
    assert str(erreur.value) == PLUS_DISPONIBLE
    assert fichiers(media) == []
    assert "import_heures" not in request.session


def test_oublier_avec_un_jeton(media):
    request = requete()
    jeton = DECP.garder(request, "decp.json", b"contenu")
    DECP.oublier(request, "0" * 32)  # a stale page's token: the pending upload is not this one
    assert fichiers(media) == [f"imports/decp/{jeton}.json"]
    DECP.oublier(request, jeton)
    assert fichiers(media) == [] and "import_decp" not in request.session
    DECP.oublier(request, jeton)  # nothing left: nothing happens


def test_mettre_a_jour(media):
    request = requete()
    jeton = HEURES.garder(request, "h.xlsx", b"x", mois="2026-03-01", versions={"1": 0})
    HEURES.mettre_a_jour(request, versions={"1": 2})
    assert HEURES.reprendre(request, jeton).donnees == {"mois": "2026-03-01", "versions": {"1": 2}}
    assert request.session.modified


# --- abandoned uploads ---------------------------------------------------------------------


@pytest.fixture
def abandonnes(media):
    """Two uploads of each kind, left by other sessions: one 25 h old, one 23 h old."""
    noms = {
        (sorte, age): f"imports/{sorte}/{televersement.garder(requete(), 'f', b'abandon')}"
        f"{televersement.suffixe}"
        for sorte, televersement in (("decp", DECP), ("heures", HEURES))
        for age in (25, 23)
    }
    for (_, age), nom in noms.items():  # aged once all are kept (each upload purges)
        vieillir(media, nom, heures=age)
    return noms


def test_purge_par_age_des_deux_sortes(media, abandonnes):
    assert purger() == sorted([abandonnes["decp", 25], abandonnes["heures", 25]])
    assert fichiers(media) == sorted([abandonnes["decp", 23], abandonnes["heures", 23]])
    assert purger() == []


def test_purge_age_reglable(media, settings, abandonnes):
    settings.TELEVERSEMENTS_DUREE_ATTENTE = timedelta(hours=22)
    assert len(purger()) == 4
    assert fichiers(media) == []


def test_purge_simulee(media, abandonnes):
    avant = fichiers(media)
    assert purger(dry_run=True) == sorted([abandonnes["decp", 25], abandonnes["heures", 25]])
    assert fichiers(media) == avant


def test_purge_sans_aucun_depot(media):
    assert purger() == []
    assert not (media / "imports").exists()


def test_chaque_depot_purge_les_abandons_de_toutes_les_sortes(media, abandonnes):
    jeton = DECP.garder(requete(), "decp.json", b"nouveau")
    assert fichiers(media) == sorted(
        [abandonnes["decp", 23], abandonnes["heures", 23], f"imports/decp/{jeton}.json"]
    )


def test_commande(media, abandonnes):
    sortie = StringIO()
    call_command("purger_televersements", stdout=sortie)
    assert sortie.getvalue().splitlines() == [
        f"  {abandonnes['decp', 25]}",
        f"  {abandonnes['heures', 25]}",
        "Fichiers déposés depuis plus de 24 h et jamais confirmés effacés : 2",
    ]
    assert fichiers(media) == sorted([abandonnes["decp", 23], abandonnes["heures", 23]])

    sortie = StringIO()
    call_command("purger_televersements", stdout=sortie)
    assert sortie.getvalue().splitlines() == [
        "Fichiers déposés depuis plus de 24 h et jamais confirmés effacés : 0"
    ]


def test_commande_simulee_n_efface_rien(media, settings, abandonnes):
    settings.TELEVERSEMENTS_DUREE_ATTENTE = timedelta(hours=1.5)
    avant = fichiers(media)
    sortie = StringIO()
    call_command("purger_televersements", "--dry-run", stdout=sortie)
    lignes = sortie.getvalue().splitlines()
    assert lignes[-2:] == [
        "Fichiers déposés depuis plus de 1,5 h et jamais confirmés à effacer : 4",
        "Simulation (--dry-run) : rien n'a été effacé.",
    ]
    assert sorted(ligne.strip() for ligne in lignes[:-2]) == avant
    assert fichiers(media) == avant


# --- through the DECP import page ----------------------------------------------------------

URL_DECP = "marches:import_decp"
DECP_VIDE = b'{"marches": []}'  # a valid DECP file with no contract: importable


def _deposer_decp(client):
    fichier = SimpleUploadedFile("decp.json", DECP_VIDE, content_type="application/json")
    reponse = client.post(reverse(URL_DECP), {"fichier": fichier}, follow=True)
    return reponse.context["jeton"]


def _messages(reponse) -> list[str]:
    return [str(m) for m in get_messages(reponse.wsgi_request)]


@pytest.fixture
def facilitateur(client_for, settings):
    # The DECP page's preview and import are background tasks: run them at once here.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return client_for(roles.FACILITATEUR)


def test_page_decp_annuler(facilitateur, media):
    jeton = _deposer_decp(facilitateur)
    assert fichiers(media) == [f"imports/decp/{jeton}.json"]
    reponse = facilitateur.post(reverse(URL_DECP), {"annuler": "1", "jeton": jeton})
    assert reponse.status_code == 302 and reponse["Location"] == reverse(URL_DECP)
    assert _messages(reponse) == ["Import annulé : rien n'a été enregistré."]
    assert fichiers(media) == []
    assert "import_decp" not in facilitateur.session
    reponse = facilitateur.post(reverse(URL_DECP), {"confirmer": "1", "jeton": jeton})
    assert _messages(reponse)[-1] == AUCUN_IMPORT


def test_page_decp_confirmer_efface_le_fichier(facilitateur, media):
    jeton = _deposer_decp(facilitateur)
    reponse = facilitateur.post(reverse(URL_DECP), {"confirmer": "1", "jeton": jeton}, follow=True)
    assert reponse.redirect_chain[0][0].startswith("/marches/import-decp/")
    assert "Résultat — decp.json" in reponse.content.decode()
    assert fichiers(media) == []  # removed by the import task
    assert "import_decp" not in facilitateur.session


def test_page_decp_depot_perime(facilitateur, media):
    jeton = _deposer_decp(facilitateur)
    vieillir(media, f"imports/decp/{jeton}.json", heures=25)
    reponse = facilitateur.post(reverse(URL_DECP), {"confirmer": "1", "jeton": jeton})
    assert reponse.status_code == 302 and reponse["Location"] == reverse(URL_DECP)
    assert _messages(reponse) == [PLUS_DISPONIBLE]
    assert fichiers(media) == []
    assert not Marche.objects.exists()


def test_page_decp_nouveau_depot_refuse_oublie_le_precedent(facilitateur, media):
    jeton = _deposer_decp(facilitateur)
    casse = SimpleUploadedFile("casse.json", b"{", content_type="application/json")
    reponse = facilitateur.post(reverse(URL_DECP), {"fichier": casse}, follow=True)
    assert "Fichier refusé" in reponse.content.decode() and not reponse.context["jeton"]
    assert fichiers(media) == []
    reponse = facilitateur.post(reverse(URL_DECP), {"confirmer": "1", "jeton": jeton})
    assert _messages(reponse) == [AUCUN_IMPORT]


def test_page_decp_purge_les_abandons(facilitateur, media, abandonnes):
    jeton = _deposer_decp(facilitateur)
    assert fichiers(media) == sorted(
        [abandonnes["decp", 23], abandonnes["heures", 23], f"imports/decp/{jeton}.json"]
    )


def test_page_decp_n_ecrit_que_par_le_stockage(facilitateur, settings, tmp_path):
    # The DECP page used to write under MEDIA_ROOT by hand: it now goes through the storage.
    settings.STORAGES = settings.STORAGES | {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "ailleurs"},
        }
    }
    jeton = _deposer_decp(facilitateur)
    assert (tmp_path / "ailleurs" / "imports" / "decp" / f"{jeton}.json").exists()
    assert not Path(settings.MEDIA_ROOT, "imports").exists()
