"""Pages of the Empl'itudes label: dossiers and jury sessions (read-only)."""

import datetime as dt
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from label.models import Avis, Axe, College, Decision, StatutDossier, StatutSession
from tests import factories as f
from tests.badges import badge

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def media_temporaire(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def lignes_xlsx(response) -> list[tuple]:
    assert response.status_code == 200
    classeur = load_workbook(BytesIO(b"".join(response.streaming_content)))
    return list(classeur.active.iter_rows(values_only=True))


# --- dossiers -----------------------------------------------------------------------------


@pytest.fixture
def dossiers():
    animatrice = f.UserFactory(first_name="Sophie", last_name="Girard", role="animateur")
    labellise = f.DossierLabelFactory(
        entreprise=f.EntrepriseFactory(raison_sociale="Bâtir Ensemble"),
        annee=2025,
        statut=StatutDossier.LABELLISE,
        animateur=animatrice,
        date_depot=dt.date(2025, 3, 14),
        diagnostic="Diagnostic RH réalisé en février.",
    )
    f.ActionLabelFactory(dossier=labellise, axe=Axe.SALARIES, intitule="Tutorat des apprentis")
    f.ActionLabelFactory(dossier=labellise, axe=Axe.SCOLAIRES, theme="", intitule="Stages de 3e")
    f.ActionLabelFactory(
        dossier=labellise,
        axe=Axe.DEMANDEURS_EMPLOI,
        theme="",
        intitule="Job dating avec France Travail",
    )
    en_preparation = f.DossierLabelFactory(
        entreprise=f.EntrepriseFactory(raison_sociale="Peintures du Lion"),
        annee=2026,
        statut=StatutDossier.EN_PREPARATION,
        animateur=None,
    )
    return labellise, en_preparation


def test_liste_dossiers(client_for, dossiers):
    labellise, en_preparation = dossiers
    client = client_for("animateur")
    response = client.get(reverse("label:dossier_liste"))
    assert response.status_code == 200
    contenu = response.content.decode()
    assert "Bâtir Ensemble" in contenu and "Peintures du Lion" in contenu
    assert "2025" in contenu and "2026" in contenu
    assert badge("labellise", "Labellisé") in contenu
    assert badge("en_preparation", "En préparation") in contenu
    assert "Sophie Girard" in contenu
    assert "14/03/2025" in contenu
    assert labellise.get_absolute_url() in contenu
    lignes = {d.pk: d for d in response.context["object_list"]}
    assert lignes[labellise.pk].nb_actions == 3
    assert lignes[en_preparation.pk].nb_actions == 0
    assert list(response.context["object_list"]) == [en_preparation, labellise]  # newest first


@pytest.mark.parametrize(
    "params, attendus",
    [
        ({"statut": StatutDossier.LABELLISE}, ["Bâtir Ensemble"]),
        ({"annee": "2026"}, ["Peintures du Lion"]),
        ({"annee": "2019"}, []),
    ],
)
def test_filtres_dossiers(client_for, dossiers, params, attendus):
    client = client_for("direction")
    response = client.get(reverse("label:dossier_liste"), params)
    assert [d.entreprise.raison_sociale for d in response.context["object_list"]] == attendus


def test_filtre_dossiers_entreprise(client_for, dossiers):
    labellise, _ = dossiers
    client = client_for("facilitateur")
    response = client.get(reverse("label:dossier_liste"), {"entreprise": labellise.entreprise.pk})
    assert list(response.context["object_list"]) == [labellise]


def test_export_dossiers(client_for, dossiers):
    client = client_for("animateur")
    lignes = lignes_xlsx(
        client.get(
            reverse("label:dossier_liste"), {"statut": StatutDossier.LABELLISE, "export": "xlsx"}
        )
    )
    assert lignes == [
        ("Entreprise", "Année", "Statut", "Animateur·rice", "Déposé le", "Actions"),
        ("Bâtir Ensemble", 2025, "Labellisé", "Sophie Girard", dt.datetime(2025, 3, 14), 3),
    ]


@pytest.mark.parametrize("role", ["suivi", None])
def test_dossiers_interdits(client_for, dossiers, role):
    labellise, _ = dossiers
    client = client_for(role)
    assert client.get(reverse("label:dossier_liste")).status_code == 403
    assert client.get(labellise.get_absolute_url()).status_code == 403


@pytest.fixture
def session(dossiers):
    labellise, en_preparation = dossiers
    session = f.SessionJuryFactory(
        date=dt.datetime(2025, 6, 12, 14, 30, tzinfo=PARIS),
        lieu="Salle du conseil, Belfort",
        statut=StatutSession.TENUE,
        compte_rendu="Trois dossiers examinés.",
    )
    dupuis = f.MembreJuryFactory(
        civilite="Mme", prenom="Anne", nom="Dupuis", organisme="CCI", college=College.CHAMBRE
    )
    roux = f.MembreJuryFactory(
        civilite="M.", prenom="Luc", nom="Roux", organisme="DDETS", college=College.ETAT
    )
    f.ConvocationJuryFactory(session=session, membre=dupuis, present=True)
    f.ConvocationJuryFactory(session=session, membre=roux, present=False)
    passage = f.PassageJuryFactory(
        session=session,
        dossier=labellise,
        ordre=1,
        decision=Decision.LABELLISE,
        motivation="Démarche exemplaire.",
    )
    f.AvisMembreFactory(passage=passage, membre=dupuis, avis=Avis.FAVORABLE)
    f.AvisMembreFactory(passage=passage, membre=roux, avis=Avis.RESERVE)
    f.PassageJuryFactory(session=session, dossier=en_preparation, ordre=2, decision="")
    f.LabelFactory(
        dossier=labellise,
        entreprise=labellise.entreprise,
        date_obtention=dt.date(2025, 6, 12),
        date_expiration=dt.date(2028, 6, 12),
    )
    return session


def test_fiche_dossier(client_for, session, dossiers):
    labellise, _ = dossiers
    client = client_for("animateur")
    response = client.get(labellise.get_absolute_url())
    assert response.status_code == 200
    contenu = response.content.decode().replace("&#x27;", "'")
    assert "Dossier Bâtir Ensemble — 2025" in contenu
    assert badge("labellise", "Labellisé") in contenu
    assert "Sophie Girard" in contenu and "14/03/2025" in contenu
    assert "Diagnostic RH réalisé en février." in contenu
    # Actions, one table per axis
    axes = {axe["libelle"]: axe for axe in response.context["axes"]}
    assert "Axe Salariés" in contenu and "Axe Scolaires" in contenu
    assert [ligne["objet"].intitule for ligne in axes["Salariés"]["lignes"]] == [
        "Tutorat des apprentis"
    ]
    assert "Job dating avec France Travail" in contenu
    # Jury and decision
    assert "Jury du 12/06/2025" in contenu and session.get_absolute_url() in contenu
    assert "Démarche exemplaire." in contenu
    assert "1 × Favorable" in contenu and "1 × Favorable avec réserves" in contenu
    # Label dates
    assert "12/06/2028" in contenu
    assert "Historique des modifications" in contenu


def test_fiche_dossier_introuvable(client_for):
    client = client_for("animateur")
    assert client.get(reverse("label:dossier_detail", args=[999999])).status_code == 404


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_liste_dossiers(client_for, django_assert_max_num_queries, n):
    for i in range(n):
        dossier = f.DossierLabelFactory(annee=2000 + i)
        f.ActionLabelFactory(dossier=dossier)
    client = client_for("animateur")
    url = reverse("label:dossier_liste")
    client.get(url)
    with django_assert_max_num_queries(9):  # + the animators of the filter
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(6):
        lignes_xlsx(client.get(url, {"export": "xlsx"}))


# --- sessions -----------------------------------------------------------------------------


def test_liste_sessions(client_for, session):
    f.SessionJuryFactory(
        date=dt.datetime(2026, 1, 20, 9, 0, tzinfo=PARIS),
        lieu="MIFE, Belfort",
        statut=StatutSession.PLANIFIEE,
    )
    client = client_for("direction")
    response = client.get(reverse("label:session_liste"))
    assert response.status_code == 200
    contenu = response.content.decode()
    assert "12/06/2025 14:30" in contenu and "20/01/2026 09:00" in contenu
    assert "Salle du conseil, Belfort" in contenu
    assert badge("tenue", "Tenue") in contenu
    assert badge("planifiee", "Planifiée") in contenu
    assert session.get_absolute_url() in contenu
    lignes = {s.pk: s for s in response.context["object_list"]}
    assert (lignes[session.pk].nb_dossiers, lignes[session.pk].nb_membres) == (2, 2)


@pytest.mark.parametrize(
    "params, attendus",
    [
        ({"statut": StatutSession.PLANIFIEE}, ["MIFE, Belfort"]),
        ({"annee": "2025"}, ["Salle du conseil, Belfort"]),
        ({}, ["MIFE, Belfort", "Salle du conseil, Belfort"]),
    ],
)
def test_filtres_sessions(client_for, session, params, attendus):
    f.SessionJuryFactory(
        date=dt.datetime(2026, 1, 20, 9, 0, tzinfo=PARIS),
        lieu="MIFE, Belfort",
        statut=StatutSession.PLANIFIEE,
    )
    client = client_for("animateur")
    response = client.get(reverse("label:session_liste"), params)
    assert [s.lieu for s in response.context["object_list"]] == attendus


def test_export_sessions(client_for, session):
    client = client_for("animateur")
    lignes = lignes_xlsx(client.get(reverse("label:session_liste"), {"export": "xlsx"}))
    assert lignes == [
        ("Date", "Lieu", "Statut", "Dossiers", "Membres"),
        (dt.datetime(2025, 6, 12, 14, 30), "Salle du conseil, Belfort", "Tenue", 2, 2),
    ]


def test_fiche_session(client_for, session):
    client = client_for("facilitateur")
    response = client.get(session.get_absolute_url())
    assert response.status_code == 200
    contenu = response.content.decode().replace("&#x27;", "'")
    assert "Jury du 12/06/2025" in contenu
    assert badge("tenue", "Tenue") in contenu
    assert "Salle du conseil, Belfort" in contenu and "Trois dossiers examinés." in contenu
    # Members with college and presence
    assert "Mme Anne Dupuis" in contenu and "Chambre consulaire" in contenu
    assert "M. Luc Roux" in contenu and "État" in contenu
    assert "Présent·e" in contenu and "Absent·e" in contenu
    # Agenda with decisions and opinions
    assert "Bâtir Ensemble — 2025" in contenu and "Peintures du Lion — 2026" in contenu
    assert "Labellisé" in contenu and "En attente" in contenu
    assert "Anne Dupuis : Favorable" in contenu
    assert "Luc Roux : Favorable avec réserves" in contenu
    assert contenu.index("Bâtir Ensemble — 2025") < contenu.index("Peintures du Lion — 2026")


@pytest.mark.parametrize("role", ["suivi", None])
def test_sessions_interdites(client_for, session, role):
    client = client_for(role)
    assert client.get(reverse("label:session_liste")).status_code == 403
    assert client.get(session.get_absolute_url()).status_code == 403


def test_fiche_session_introuvable(client_for):
    client = client_for("animateur")
    assert client.get(reverse("label:session_detail", args=[999999])).status_code == 404


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_liste_sessions(client_for, django_assert_max_num_queries, n):
    membre = f.MembreJuryFactory()
    for _ in range(n):
        session = f.SessionJuryFactory()
        f.ConvocationJuryFactory(session=session, membre=membre)
        f.PassageJuryFactory(session=session)
    client = client_for("animateur")
    url = reverse("label:session_liste")
    client.get(url)
    with django_assert_max_num_queries(7):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(6):
        lignes_xlsx(client.get(url, {"export": "xlsx"}))
