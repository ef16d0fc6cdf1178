"""Pages of the hours area: participants, missions, declarations, attestations (read-only)."""

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from heures.models import (
    CritereEligibilite,
    Modalite,
    Sexe,
    Sortie,
    StatutAttestation,
    StatutDeclaration,
    TypeAttestation,
)
from mife.core.formats import mois_fr
from tests import factories as f
from tests.badges import badge

pytestmark = pytest.mark.django_db

SENSIBLES = ("rqth", "travailleur handicapé", "ass, de l'aah")


@pytest.fixture(autouse=True)
def media_temporaire(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def lignes_xlsx(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    classeur = load_workbook(BytesIO(b"".join(response.streaming_content)))
    return list(classeur.active.iter_rows(values_only=True))


def texte_xlsx(lignes) -> str:
    return " ".join(str(c) for ligne in lignes for c in ligne if c is not None).lower()


def critere(code: str) -> CritereEligibilite:
    return CritereEligibilite.objects.get(code=code)


def participant(nom="DUPONT", prenom="Marie", criteres=(), **kwargs):
    p = f.ParticipantFactory(nom=nom, prenom=prenom, **kwargs)
    for code in criteres:
        f.CritereParticipantFactory(
            participant=p,
            critere=critere(code),
            prescripteur=f.PrescripteurFactory(nom=f"Prescripteur {code} de {nom}"),
        )
    return p


def declaration(heures=(Decimal("10"), Decimal("2.5")), statut=StatutDeclaration.VALIDEE, **kw):
    if statut == StatutDeclaration.REJETEE:
        kw.setdefault("motif_rejet", "Heures non justifiées")
    d = f.DeclarationMensuelleFactory(statut=statut, **kw)
    for h in heures:
        f.LigneDeclarationFactory(declaration=d, heures=h)
    return d


# --- participants -------------------------------------------------------------------------


@pytest.fixture
def deux_participants():
    rqth = participant(
        "DUPONT",
        "Marie",
        criteres=("rqth", "rsa"),
        sexe=Sexe.FEMME,
        commune="Belfort",
        resident_qpv=True,
        date_naissance=dt.date(1985, 4, 2),
    )
    autre = participant(
        "MARTIN",
        "Karim",
        criteres=("deld",),
        sexe=Sexe.HOMME,
        commune="Delle",
        resident_qpv=False,
        date_naissance=dt.date(1999, 1, 20),
    )
    return rqth, autre


def test_liste_participants_facilitateur_voit_tout(client_for, deux_participants):
    client = client_for("facilitateur")
    response = client.get(reverse("heures:participant_liste"))
    assert response.status_code == 200
    contenu = response.content.decode()
    assert "DUPONT" in contenu and "Marie" in contenu and "MARTIN" in contenu
    assert "1985" in contenu and "Belfort" in contenu
    assert "Travailleur handicapé" in contenu
    assert "Bénéficiaire du RSA" in contenu
    assert "critère protégé" not in contenu
    # The criteria filter offers the sensitive criterion to a facilitator.
    assert f'value="{critere("rqth").pk}"' in contenu


def test_liste_participants_suivi_ne_voit_pas_les_criteres_sensibles(client_for, deux_participants):
    client = client_for("suivi")
    response = client.get(reverse("heures:participant_liste"))
    assert response.status_code == 200
    contenu = response.content.decode()
    assert "DUPONT" in contenu and "MARTIN" in contenu
    for mot in SENSIBLES:
        assert mot not in contenu.lower()
    assert "protégé" not in contenu
    assert "Bénéficiaire du RSA" in contenu
    # Neither offered in the filter...
    assert f'value="{critere("rqth").pk}"' not in contenu
    assert f'value="{critere("rsa").pk}"' in contenu


def test_suivi_ne_peut_pas_filtrer_sur_un_critere_sensible(client_for, deux_participants):
    rqth, autre = deux_participants
    client = client_for("suivi")
    url = reverse("heures:participant_liste")
    response = client.get(url, {"critere": critere("rqth").pk})
    assert response.status_code == 200
    # ...nor accepted from a crafted URL: the list is not narrowed to the RQTH holders.
    assert list(response.context["object_list"]) == [rqth, autre]
    assert "travailleur handicapé" not in response.content.decode().lower()
    lignes = lignes_xlsx(client.get(url, {"critere": critere("rqth").pk, "export": "xlsx"}))
    assert [ligne[0] for ligne in lignes[1:]] != ["DUPONT"]
    assert "rqth" not in texte_xlsx(lignes)
    assert "handicap" not in texte_xlsx(lignes)


def test_facilitateur_filtre_sur_un_critere_sensible(client_for, deux_participants):
    rqth, _autre = deux_participants
    client = client_for("facilitateur")
    response = client.get(reverse("heures:participant_liste"), {"critere": critere("rqth").pk})
    assert list(response.context["object_list"]) == [rqth]


@pytest.mark.parametrize(
    "params, attendus",
    [
        ({"q": "dupo"}, ["DUPONT"]),
        ({"q": "karim"}, ["MARTIN"]),
        ({"sexe": "M"}, ["MARTIN"]),
        ({"commune": "belf"}, ["DUPONT"]),
        ({"resident_qpv": "true"}, ["DUPONT"]),
        ({"resident_qpv": "false"}, ["MARTIN"]),
        ({"critere": "deld"}, ["MARTIN"]),
        ({}, ["DUPONT", "MARTIN"]),
    ],
)
def test_filtres_participants(client_for, deux_participants, params, attendus):
    if "critere" in params:
        params = {"critere": critere(params["critere"]).pk}
    client = client_for("suivi")
    response = client.get(reverse("heures:participant_liste"), params)
    assert [p.nom for p in response.context["object_list"]] == attendus


def test_export_participants(client_for, deux_participants):
    client = client_for("facilitateur")
    lignes = lignes_xlsx(
        client.get(reverse("heures:participant_liste"), {"sexe": "F", "export": "xlsx"})
    )
    assert lignes[0] == (
        "Nom",
        "Prénom",
        "Sexe",
        "Année de naissance",
        "Commune",
        "QPV",
        "Critères d'éligibilité",
    )
    assert len(lignes) == 2
    nom, prenom, sexe, annee, commune, qpv, criteres = lignes[1]
    assert (nom, prenom, sexe, commune, qpv) == ("DUPONT", "Marie", "Femme", "Belfort", "Oui")
    assert annee == 1985 and isinstance(annee, int)
    assert "Travailleur handicapé" in criteres and "Bénéficiaire du RSA" in criteres


def test_export_participants_suivi_masque_les_criteres_sensibles(client_for, deux_participants):
    client = client_for("suivi")
    lignes = lignes_xlsx(client.get(reverse("heures:participant_liste"), {"export": "xlsx"}))
    assert len(lignes) == 3
    texte = texte_xlsx(lignes)
    for mot in SENSIBLES:
        assert mot not in texte
    assert "protégé" not in texte
    assert "bénéficiaire du rsa" in texte


def test_participant_anonymise_montre_comme_tel(client_for):
    p = participant("LEFEBVRE", "Paul", anonymise_le=timezone.now(), commune="Valdoie")
    client = client_for("facilitateur")
    liste = client.get(reverse("heures:participant_liste")).content.decode()
    assert "Participant anonymisé" in liste
    assert "LEFEBVRE" not in liste and "Paul" not in liste
    fiche = client.get(p.get_absolute_url())
    assert fiche.status_code == 200
    contenu = fiche.content.decode()
    assert f"Participant anonymisé n° {p.pk}" in contenu
    assert "LEFEBVRE" not in contenu and "Paul" not in contenu
    assert "statut-archivee" in contenu


@pytest.mark.parametrize("role", ["direction", "animateur", None])
def test_participants_interdits_sans_permission(client_for, role, deux_participants):
    rqth, _ = deux_participants
    client = client_for(role)
    assert client.get(reverse("heures:participant_liste")).status_code == 403
    assert client.get(reverse("heures:participant_liste"), {"export": "xlsx"}).status_code == 403
    assert client.get(rqth.get_absolute_url()).status_code == 403


def test_participants_anonyme_redirige_vers_la_connexion(client):
    response = client.get(reverse("heures:participant_liste"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.fixture
def parcours(deux_participants):
    """DUPONT: two missions; 12,5 h validated, 7 h in a draft (not counted)."""
    rqth, _ = deux_participants
    lot = f.LotFactory(
        intitule="Gros œuvre",
        date_debut=dt.date(2024, 1, 1),
        date_fin=dt.date(2026, 12, 31),
    )
    premiere = f.MissionFactory(
        participant=rqth,
        lot=lot,
        reference="M-DUP-1",
        date_debut=dt.date(2024, 2, 1),
        date_fin=dt.date(2024, 6, 30),
        sortie=Sortie.EMPLOI_DURABLE,
        date_sortie=dt.date(2024, 6, 30),
    )
    seconde = f.MissionFactory(
        participant=rqth,
        lot=lot,
        reference="M-DUP-2",
        modalite=Modalite.MISE_A_DISPOSITION,
        date_debut=dt.date(2024, 9, 1),
        date_fin=None,
    )
    validee = f.DeclarationMensuelleFactory(
        lot=lot, mois=dt.date(2024, 3, 1), statut=StatutDeclaration.VALIDEE
    )
    f.LigneDeclarationFactory(declaration=validee, mission=premiere, heures=Decimal("10"))
    validee2 = f.DeclarationMensuelleFactory(
        lot=lot, mois=dt.date(2024, 10, 1), statut=StatutDeclaration.VALIDEE
    )
    f.LigneDeclarationFactory(declaration=validee2, mission=seconde, heures=Decimal("2.5"))
    brouillon = f.DeclarationMensuelleFactory(
        lot=lot, mois=dt.date(2024, 11, 1), statut=StatutDeclaration.BROUILLON
    )
    f.LigneDeclarationFactory(declaration=brouillon, mission=seconde, heures=Decimal("7"))
    return rqth, premiere, seconde


def test_fiche_participant_facilitateur(client_for, parcours):
    p, premiere, _seconde = parcours
    client = client_for("facilitateur")
    response = client.get(p.get_absolute_url())
    assert response.status_code == 200
    contenu = response.content.decode()
    assert "DUPONT Marie" in contenu
    assert "02/04/1985" in contenu
    assert "Travailleur handicapé" in contenu
    assert "Prescripteur rqth de DUPONT" in contenu
    assert "M-DUP-1" in contenu and "M-DUP-2" in contenu
    assert premiere.get_absolute_url() in contenu
    assert "Emploi durable" in contenu
    # 10 + 2,5 validated; the draft's 7 h are not counted.
    assert "12,5 h" in contenu
    assert "19,5 h" not in contenu
    assert contenu.index("M-DUP-1") < contenu.index("M-DUP-2")  # timeline order
    assert "Historique des modifications" in contenu


def test_fiche_participant_suivi_masque_les_criteres_sensibles(client_for, parcours):
    p, _, _ = parcours
    client = client_for("suivi")
    response = client.get(p.get_absolute_url())
    assert response.status_code == 200
    contenu = response.content.decode()
    for mot in SENSIBLES:
        assert mot not in contenu.lower()
    assert "protégé" not in contenu
    # The prescriber of the sensitive criterion (MDPH…) would give it away.
    assert "Prescripteur rqth" not in contenu
    assert "Prescripteur rsa de DUPONT" in contenu
    assert "12,5 h" in contenu


def test_fiche_participant_introuvable(client_for):
    client = client_for("facilitateur")
    assert client.get(reverse("heures:participant_detail", args=[999999])).status_code == 404


def _participants(n):
    for i in range(n):
        participant(f"NOM{i:03d}", "Prénom", criteres=("rqth", "rsa"))


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_liste_participants(client_for, django_assert_max_num_queries, n):
    _participants(n)
    client = client_for("suivi")
    url = reverse("heures:participant_liste")
    client.get(url)  # warm the session
    with django_assert_max_num_queries(9):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(7):
        lignes_xlsx(client.get(url, {"export": "xlsx"}))


# --- missions -----------------------------------------------------------------------------


def test_liste_missions(client_for, parcours):
    _, premiere, _seconde = parcours
    client = client_for("suivi")
    response = client.get(reverse("heures:mission_liste"))
    assert response.status_code == 200
    contenu = response.content.decode()
    assert "M-DUP-1" in contenu and "M-DUP-2" in contenu
    assert "DUPONT Marie" in contenu
    assert str(premiere.lot) in contenu.replace("&#x27;", "'")
    assert premiere.employeur.raison_sociale in contenu.replace("&#x27;", "'").replace("&amp;", "&")
    assert "01/02/2024" in contenu and "30/06/2024" in contenu
    assert "Mise à disposition" in contenu
    assert premiere.get_absolute_url() in contenu


@pytest.mark.parametrize(
    "params, attendues",
    [
        ({"modalite": Modalite.MISE_A_DISPOSITION}, ["M-DUP-2"]),
        ({"etat": "terminee"}, ["M-DUP-1"]),
        ({"etat": "en_cours"}, ["M-DUP-2"]),
        ({"sortie": Sortie.EMPLOI_DURABLE}, ["M-DUP-1"]),
        ({"sortie": "aucune"}, ["M-AUTRE", "M-DUP-2"]),
        ({"etat": "a_venir"}, ["M-AUTRE"]),
        ({"q": "dup-1"}, ["M-DUP-1"]),
        ({"q": "dupont"}, ["M-DUP-1", "M-DUP-2"]),
    ],
)
def test_filtres_missions(client_for, parcours, params, attendues):
    debut = timezone.localdate() + dt.timedelta(days=30)
    f.MissionFactory(
        reference="M-AUTRE",
        date_debut=debut,
        date_fin=None,
        sortie="",
        participant__nom="Lefèvre",  # never a random name « Dupont » matching the search
        participant__prenom="Zoé",
    )
    client = client_for("facilitateur")
    response = client.get(reverse("heures:mission_liste"), params)
    assert sorted(m.reference for m in response.context["object_list"]) == attendues


def test_filtres_missions_lot_et_employeur(client_for, parcours):
    _, premiere, _ = parcours
    autre = f.MissionFactory(reference="M-AUTRE")
    client = client_for("facilitateur")
    url = reverse("heures:mission_liste")
    par_lot = client.get(url, {"lot": autre.lot.pk}).context["object_list"]
    assert [m.reference for m in par_lot] == ["M-AUTRE"]
    par_employeur = client.get(url, {"employeur": premiere.employeur.pk}).context["object_list"]
    assert sorted(m.reference for m in par_employeur) == ["M-DUP-1", "M-DUP-2"]


def test_export_missions(client_for, parcours):
    client = client_for("facilitateur")
    lignes = lignes_xlsx(
        client.get(reverse("heures:mission_liste"), {"etat": "terminee", "export": "xlsx"})
    )
    assert lignes[0] == (
        "Référence",
        "Participant",
        "Lot",
        "Employeur",
        "Modalité",
        "Début",
        "Fin",
        "Sortie",
    )
    assert len(lignes) == 2
    ligne = lignes[1]
    assert ligne[0] == "M-DUP-1" and ligne[1] == "DUPONT Marie"
    assert ligne[5] == dt.datetime(2024, 2, 1) and ligne[6] == dt.datetime(2024, 6, 30)
    assert ligne[7].startswith("Emploi durable")


@pytest.mark.parametrize("role", ["direction", "animateur"])
def test_missions_interdites(client_for, parcours, role):
    _, premiere, _ = parcours
    client = client_for(role)
    assert client.get(reverse("heures:mission_liste")).status_code == 403
    assert client.get(premiere.get_absolute_url()).status_code == 403


def test_fiche_mission(client_for, parcours):
    _, premiere, seconde = parcours
    client = client_for("suivi")
    response = client.get(seconde.get_absolute_url())
    assert response.status_code == 200
    contenu = response.content.decode()
    assert "Mission M-DUP-2" in contenu
    assert "DUPONT Marie" in contenu
    assert "statut-en_cours" in contenu
    assert "octobre 2024" in contenu and "novembre 2024" in contenu
    assert "2,5 h" in contenu and "7 h" in contenu
    # Validated hours only in the header figure.
    assert response.context["sections"][1].champs[3].texte == "2,5 h"
    assert client.get(reverse("heures:mission_detail", args=[999999])).status_code == 404
    assert "statut-termine" in client.get(premiere.get_absolute_url()).content.decode()


def _missions(n):
    lot = f.LotFactory()
    for i in range(n):
        f.MissionFactory(lot=lot, reference=f"M-Q-{i:03d}", participant=f.ParticipantFactory())


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_liste_missions(client_for, django_assert_max_num_queries, n):
    _missions(n)
    f.MissionFactory()  # a second lot and employer in the filter choices
    client = client_for("facilitateur")
    url = reverse("heures:mission_liste")
    client.get(url)
    with django_assert_max_num_queries(10):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(7):
        lignes_xlsx(client.get(url, {"export": "xlsx"}))


# --- declarations -------------------------------------------------------------------------


@pytest.fixture
def declarations():
    validee = declaration(
        mois=dt.date(2025, 11, 1),
        lot=f.LotFactory(titulaire=f.EntrepriseFactory(raison_sociale="Bâtir Ensemble")),
    )
    soumise = declaration(
        heures=(Decimal("35"),),
        statut=StatutDeclaration.SOUMISE,
        mois=dt.date(2025, 10, 1),
        lot=f.LotFactory(titulaire=f.EntrepriseFactory(raison_sociale="Peintures du Lion")),
    )
    return validee, soumise


def test_liste_declarations(client_for, declarations):
    validee, soumise = declarations
    client = client_for("suivi")
    response = client.get(reverse("heures:declaration_liste"))
    assert response.status_code == 200
    contenu = response.content.decode()
    assert "novembre 2025" in contenu and "octobre 2025" in contenu
    assert "Bâtir Ensemble" in contenu and "Peintures du Lion" in contenu
    assert "12,5 h" in contenu and "35 h" in contenu
    assert badge("validee", "Validée") in contenu
    assert badge("soumise", "Soumise") in contenu
    assert validee.get_absolute_url() in contenu
    # Newest month first.
    assert list(response.context["object_list"]) == [validee, soumise]


@pytest.mark.parametrize(
    "params, attendues",
    [
        ({"statut": StatutDeclaration.SOUMISE}, ["octobre 2025"]),
        ({"mois": "2025-11"}, ["novembre 2025"]),
        ({"mois": "10/2025"}, ["octobre 2025"]),
        ({"mois": "2024-01"}, []),
    ],
)
def test_filtres_declarations(client_for, declarations, params, attendues):
    client = client_for("facilitateur")
    response = client.get(reverse("heures:declaration_liste"), params)
    assert [mois_fr(d.mois) for d in response.context["object_list"]] == attendues


def test_filtres_declarations_entreprise_et_lot(client_for, declarations):
    validee, soumise = declarations
    client = client_for("facilitateur")
    url = reverse("heures:declaration_liste")
    assert list(client.get(url, {"entreprise": soumise.entreprise.pk}).context["object_list"]) == [
        soumise
    ]
    assert list(client.get(url, {"lot": validee.lot.pk}).context["object_list"]) == [validee]


def test_filtre_mois_invalide(client_for, declarations):
    client = client_for("facilitateur")
    url = reverse("heures:declaration_liste")
    response = client.get(url, {"mois": "13/2025"})
    assert response.status_code == 200
    assert "Mois invalide" in response.content.decode()
    assert len(lignes_xlsx(client.get(url, {"mois": "13/2025", "export": "xlsx"}))) == 1


def test_export_declarations(client_for, declarations):
    client = client_for("suivi")
    lignes = lignes_xlsx(
        client.get(
            reverse("heures:declaration_liste"),
            {"statut": StatutDeclaration.VALIDEE, "export": "xlsx"},
        )
    )
    assert lignes[0] == ("Mois", "Entreprise", "Lot", "Version", "Statut", "Total heures")
    assert len(lignes) == 2
    mois, entreprise, _lot, version, statut, total = lignes[1]
    assert mois == dt.datetime(2025, 11, 1)
    assert entreprise == "Bâtir Ensemble"
    assert version == 1 and statut == "Validée"
    assert total == 12.5 and isinstance(total, float)


@pytest.mark.parametrize("role", ["animateur", "direction"])
def test_declarations_interdites(client_for, declarations, role):
    validee, _ = declarations
    client = client_for(role)
    assert client.get(reverse("heures:declaration_liste")).status_code == 403
    assert client.get(validee.get_absolute_url()).status_code == 403


def test_fiche_declaration(client_for, declarations):
    validee, _ = declarations
    f.AttestationFactory(declaration=validee, numero="ATT-2025-11-00042")
    ligne = validee.lignes.order_by("heures").first()
    participant_ = ligne.mission.participant
    participant_.nom = "Zébulonnière"  # a name no generated company or place can contain
    participant_.save()
    client = client_for("suivi")
    response = client.get(validee.get_absolute_url())
    assert response.status_code == 200
    contenu = response.content.decode()
    assert "Déclaration de novembre 2025 — Bâtir Ensemble" in contenu
    assert badge("validee", "Validée") in contenu
    assert ligne.mission.reference in contenu
    assert participant_.initiales in contenu
    assert participant_.nom not in contenu  # initials only
    assert "10 h" in contenu and "2,5 h" in contenu and "12,5 h" in contenu
    assert "ATT-2025-11-00042" in contenu
    assert "Historique des modifications" in contenu and "Création" in contenu
    assert client.get(reverse("heures:declaration_detail", args=[999999])).status_code == 404


def _declarations(n):
    lot = f.LotFactory()
    for i in range(n):
        declaration(heures=(Decimal("1"),), lot=lot, mois=dt.date(2000 + i, 1, 1))


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_liste_declarations(client_for, django_assert_max_num_queries, n):
    _declarations(n)
    client = client_for("suivi")
    url = reverse("heures:declaration_liste")
    client.get(url)
    with django_assert_max_num_queries(9):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(6):
        lignes_xlsx(client.get(url, {"export": "xlsx"}))


# --- attestations -------------------------------------------------------------------------


@pytest.fixture
def attestations(declarations):
    validee, _ = declarations
    mensuelle = f.AttestationFactory(
        declaration=validee, numero="ATT-2025-11-00001", total_heures=Decimal("12.5")
    )
    realisation = f.AttestationFactory(
        realisation=True,
        numero="ATT-R-00002",
        total_heures=Decimal("1234.5"),
        statut=StatutAttestation.REMPLACEE,
    )
    return mensuelle, realisation


def test_liste_attestations(client_for, attestations):
    mensuelle, _realisation = attestations
    client = client_for("direction")  # aggregates: allowed
    response = client.get(reverse("heures:attestation_liste"))
    assert response.status_code == 200
    contenu = response.content.decode()
    assert "ATT-2025-11-00001" in contenu and "ATT-R-00002" in contenu
    assert "Attestation mensuelle" in contenu and "Attestation de réalisation" in contenu
    assert "Bâtir Ensemble" in contenu
    assert "novembre 2025" in contenu
    assert "12,5 h" in contenu
    assert "1\xa0234,5 h" in contenu  # French grouping, no-break space
    assert badge("emise", "Émise") in contenu
    assert badge("remplacee", "Remplacée") in contenu
    assert timezone.localtime(mensuelle.emise_le).strftime("%d/%m/%Y") in contenu


@pytest.mark.parametrize(
    "params, attendues",
    [
        ({"type": TypeAttestation.REALISATION}, ["ATT-R-00002"]),
        ({"statut": StatutAttestation.EMISE}, ["ATT-2025-11-00001"]),
        ({"mois": "2025-11"}, ["ATT-2025-11-00001"]),
        ({"q": "r-000"}, ["ATT-R-00002"]),
    ],
)
def test_filtres_attestations(client_for, attestations, params, attendues):
    client = client_for("suivi")
    response = client.get(reverse("heures:attestation_liste"), params)
    assert [a.numero for a in response.context["object_list"]] == attendues


def test_filtre_attestations_entreprise(client_for, attestations):
    mensuelle, _ = attestations
    client = client_for("suivi")
    response = client.get(
        reverse("heures:attestation_liste"), {"entreprise": mensuelle.entreprise.pk}
    )
    assert list(response.context["object_list"]) == [mensuelle]


def test_export_attestations(client_for, attestations):
    client = client_for("suivi")
    lignes = lignes_xlsx(
        client.get(
            reverse("heures:attestation_liste"),
            {"type": TypeAttestation.MENSUELLE, "export": "xlsx"},
        )
    )
    assert lignes[0] == (
        "Numéro",
        "Type",
        "Entreprise",
        "Lot",
        "Mois",
        "Total heures",
        "Statut",
        "Émise le",
    )
    assert len(lignes) == 2
    numero, type_, entreprise, _lot, mois, total, statut, emise_le = lignes[1]
    assert (numero, type_, entreprise, statut) == (
        "ATT-2025-11-00001",
        "Attestation mensuelle",
        "Bâtir Ensemble",
        "Émise",
    )
    assert mois == dt.datetime(2025, 11, 1)
    assert total == 12.5
    assert isinstance(emise_le, dt.datetime)


def test_attestations_interdites_a_l_animateur(client_for, attestations):
    assert client_for("animateur").get(reverse("heures:attestation_liste")).status_code == 403


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_liste_attestations(client_for, django_assert_max_num_queries, n):
    lot = f.LotFactory()
    for _i in range(n):
        f.AttestationFactory(realisation=True, lot=lot, entreprise=lot.titulaire)
    client = client_for("suivi")
    url = reverse("heures:attestation_liste")
    client.get(url)
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(6):
        lignes_xlsx(client.get(url, {"export": "xlsx"}))
