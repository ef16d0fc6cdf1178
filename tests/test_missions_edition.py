"""Creating and editing missions: every rule with its French message, references, rights."""

import datetime as dt
import html
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from entreprises.models import TypeStructure
from heures.models import CompteurNumero, CritereEligibilite, Mission, Modalite, Sortie, TypeContrat
from heures.services import missions as service
from mife import roles
from tests import factories as f

pytestmark = pytest.mark.django_db

CREER = "heures:mission_creer"
DEBUT_LOT, FIN_LOT = dt.date(2025, 1, 1), dt.date(2026, 12, 31)


def eligible(nom="DURAND", prenom="Léa", code="rsa", debut=dt.date(2024, 6, 1), fin=None):
    participant = f.ParticipantFactory(nom=nom, prenom=prenom)
    f.CritereParticipantFactory(
        participant=participant,
        critere=CritereEligibilite.objects.get(code=code),
        date_validation=debut,
        date_fin_validite=fin,
    )
    return participant


@pytest.fixture
def chantier():
    """A lot with its titulaire, a co- and a subcontractor; an ETTI and an unrelated firm."""
    titulaire = f.EntrepriseFactory(raison_sociale="Bâtiments du Lion")
    cotraitant = f.EntrepriseFactory(raison_sociale="Cotraitant Peinture")
    sous_traitant = f.EntrepriseFactory(raison_sociale="Sous-traitant Plâtre")
    lot = f.LotFactory(
        titulaire=titulaire,
        date_debut=DEBUT_LOT,
        date_fin=FIN_LOT,
        marche__date_notification=dt.date(2024, 11, 1),
        cotraitants=[cotraitant],
        sous_traitants=[sous_traitant],
    )
    return {
        "lot": lot,
        "titulaire": titulaire,
        "cotraitant": cotraitant,
        "sous_traitant": sous_traitant,
        "etti": f.EntrepriseFactory(
            raison_sociale="Intérim Insertion 90", type_structure=TypeStructure.ETTI
        ),
        "autre": f.EntrepriseFactory(raison_sociale="Sans Rapport SA"),
        "participant": eligible(),
    }


def donnees(chantier, **valeurs) -> dict:
    data = {
        "participant": chantier["participant"].pk,
        "lot": chantier["lot"].pk,
        "employeur": chantier["titulaire"].pk,
        "modalite": Modalite.EMBAUCHE_CDD,
        "type_contrat": TypeContrat.CDD,
        "poste": "Maçon",
        "date_debut": "2025-03-03",
        "date_fin": "2025-08-29",
        "heures_prevues": "600",
        "sortie": "",
        "date_sortie": "",
        "motif_derogation_eligibilite": "",
        "version_lue": "",
    }
    data.update(valeurs)
    return {k: ("" if v is None else str(v)) for k, v in data.items()}


def texte(response) -> str:
    return html.unescape(response.content.decode())


def erreurs(response) -> dict:
    assert response.status_code == 200, response.status_code
    return response.context["formulaires"]["mission"].errors


@pytest.fixture
def facilitateur(client_for):
    return client_for(roles.FACILITATEUR, first_name="Fanny", last_name="Martin")


# --- creation ----------------------------------------------------------------------------------


def test_creer_une_mission(facilitateur, chantier):
    response = facilitateur.post(reverse(CREER), donnees(chantier))
    mission = Mission.objects.get()
    assert response.status_code == 302
    assert response["Location"] == mission.get_absolute_url()
    assert mission.reference == "MIS-2025-0001"
    assert mission.participant == chantier["participant"]
    assert mission.lot == chantier["lot"]
    assert mission.employeur == chantier["titulaire"]
    assert mission.modalite == Modalite.EMBAUCHE_CDD
    assert mission.poste == "Maçon"
    assert (mission.date_debut, mission.date_fin) == (dt.date(2025, 3, 3), dt.date(2025, 8, 29))
    assert mission.heures_prevues == Decimal("600")
    assert mission.version == 1 and mission.modifie_par == facilitateur.user
    assert mission.history.get().history_user == facilitateur.user
    page = facilitateur.get(response["Location"]).content.decode()
    assert "Mission MIS-2025-0001 enregistrée." in page
    assert "DURAND Léa" in page


@pytest.mark.parametrize("cle", ["titulaire", "cotraitant", "sous_traitant", "etti"])
def test_employeurs_admis(facilitateur, chantier, cle):
    response = facilitateur.post(reverse(CREER), donnees(chantier, employeur=chantier[cle].pk))
    assert response.status_code == 302
    assert Mission.objects.get().employeur == chantier[cle]


def test_sortie_avec_sa_date(facilitateur, chantier):
    data = donnees(chantier, sortie=Sortie.EMPLOI_DURABLE, date_sortie="")
    assert facilitateur.post(reverse(CREER), data).status_code == 302
    mission = Mission.objects.get()
    # Without a date of its own, the sortie is dated at the end of the mission.
    assert mission.sortie == Sortie.EMPLOI_DURABLE and mission.date_sortie == dt.date(2025, 8, 29)


def test_mission_sans_fin(facilitateur, chantier):
    assert facilitateur.post(reverse(CREER), donnees(chantier, date_fin="")).status_code == 302
    assert Mission.objects.get().date_fin is None


# --- each rule: a French message on the field, nothing saved -----------------------------------

REGLES = [
    (
        {"employeur": "@autre"},
        "employeur",
        "L'employeur doit être le titulaire du lot, l'un de ses cotraitants ou sous-traitants",
    ),
    (
        {"date_debut": "2024-12-15"},
        "date_debut",
        "Le début est antérieur au début d'exécution du lot (du 01/01/2025 au 31/12/2026).",
    ),
    (
        {"date_debut": "2027-01-04", "date_fin": "2027-02-01"},
        "date_debut",
        "Le début est postérieur à la fin d'exécution du lot",
    ),
    (
        {"date_fin": "2027-01-31"},
        "date_fin",
        "La fin dépasse la fin d'exécution du lot (du 01/01/2025 au 31/12/2026).",
    ),
    ({"date_fin": "2025-03-01"}, "date_fin", "La fin de mission précède son début."),
    (
        {"date_fin": "", "sortie": Sortie.FORMATION_QUALIFIANTE},
        "date_fin",
        "Une sortie exige une date de fin de mission.",
    ),
    (
        {"date_sortie": "2025-08-29"},
        "sortie",
        "Indiquez la sortie correspondant à la date de sortie.",
    ),
    (
        {"sortie": Sortie.AUTRE, "date_sortie": "2025-02-01"},
        "date_sortie",
        "La date de sortie précède le début de la mission.",
    ),
    ({"heures_prevues": "-5"}, "heures_prevues", "supérieure ou égale à 0"),
    ({"modalite": ""}, "modalite", "Ce champ est obligatoire."),
    ({"date_debut": "31/02/2025"}, "date_debut", "Saisissez une date valide."),
]


@pytest.mark.parametrize("valeurs, champ, message", REGLES, ids=[r[1] for r in REGLES])
def test_chaque_regle_refuse_avec_un_message_francais(
    facilitateur, chantier, valeurs, champ, message
):
    valeurs = {k: chantier[v[1:]].pk if v.startswith("@") else v for k, v in valeurs.items()}
    response = facilitateur.post(reverse(CREER), donnees(chantier, **valeurs))
    assert any(message in e for e in erreurs(response)[champ]), erreurs(response)
    assert not Mission.objects.exists()
    assert not CompteurNumero.objects.filter(dernier__gt=0).exists()
    contenu = response.content.decode()
    # The summary at the top links to the field; what was typed is kept.
    assert "Le formulaire contient des erreurs ; rien n'a été enregistré" in contenu
    assert f'href="#id_{champ}"' in contenu
    assert 'value="Maçon"' in contenu


def test_plusieurs_erreurs_a_la_fois(facilitateur, chantier):
    data = donnees(
        chantier, employeur=chantier["autre"].pk, date_debut="2024-12-01", date_fin="2027-06-30"
    )
    champs = set(erreurs(facilitateur.post(reverse(CREER), data)))
    assert {"employeur", "date_debut", "date_fin"} <= champs
    assert not Mission.objects.exists()


def test_erreurs_du_formulaire_et_regles_du_service_ensemble(facilitateur, chantier):
    sans_critere = f.ParticipantFactory()
    data = donnees(
        chantier,
        participant=sans_critere.pk,
        heures_prevues="-1",
        employeur=chantier["autre"].pk,
        date_fin="2027-06-30",
    )
    champs = set(erreurs(facilitateur.post(reverse(CREER), data)))
    assert champs == {"heures_prevues", "employeur", "date_fin", "motif_derogation_eligibilite"}


def test_participant_anonymise_refuse(facilitateur, chantier):
    participant = chantier["participant"]
    participant.anonymise_le = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    participant.save()
    response = facilitateur.post(reverse(CREER), donnees(chantier))
    assert "participant" in erreurs(response)
    assert not Mission.objects.exists()


# --- eligibility and its override -------------------------------------------------------------


def test_non_eligible_refuse_sans_motif(facilitateur, chantier):
    sans_critere = f.ParticipantFactory(nom="NOEL", prenom="Paul")
    response = facilitateur.post(reverse(CREER), donnees(chantier, participant=sans_critere.pk))
    assert erreurs(response)["motif_derogation_eligibilite"] == [
        "NOEL Paul n'a aucun critère d'éligibilité valable au 03/03/2025 : indiquez le motif "
        "de la dérogation, ou faites d'abord valider un critère."
    ]
    assert "aucun critère d'éligibilité valable au 03/03/2025" in texte(response)
    assert not Mission.objects.exists()


def test_critere_expire_avant_le_debut(facilitateur, chantier):
    expire = eligible("EXPIRE", "Eva", debut=dt.date(2023, 1, 1), fin=dt.date(2025, 2, 28))
    response = facilitateur.post(reverse(CREER), donnees(chantier, participant=expire.pk))
    assert "motif_derogation_eligibilite" in erreurs(response)
    # Valid on the first day: accepted.
    data = donnees(chantier, participant=expire.pk, date_debut="2025-02-03")
    assert facilitateur.post(reverse(CREER), data).status_code == 302


def test_critere_valide_apres_le_debut_ne_compte_pas(facilitateur, chantier):
    tardif = eligible("TARDIF", "Tom", debut=dt.date(2025, 4, 1))
    response = facilitateur.post(reverse(CREER), donnees(chantier, participant=tardif.pk))
    assert "motif_derogation_eligibilite" in erreurs(response)


def test_derogation_motivee_acceptee_et_tracee(facilitateur, chantier):
    sans_critere = f.ParticipantFactory(nom="NOEL", prenom="Paul")
    motif = "Sortie de détention, validation France Travail en cours (avis du 28/02/2025)."
    data = donnees(chantier, participant=sans_critere.pk, motif_derogation_eligibilite=motif)
    response = facilitateur.post(reverse(CREER), data, follow=True)
    mission = Mission.objects.get()
    assert mission.motif_derogation_eligibilite == motif
    trace = mission.history.get()
    assert trace.history_user == facilitateur.user
    assert trace.motif_derogation_eligibilite == motif
    assert trace.history_change_reason.startswith("Dérogation à l'éligibilité au 03/03/2025 : ")
    contenu = texte(response)
    assert "Dérogation à l'éligibilité enregistrée dans l'historique." in contenu
    assert motif in contenu  # shown on the mission's page


def test_derogation_ajoutee_en_modification_visible_dans_l_historique(facilitateur, chantier):
    mission = f.MissionFactory(
        reference="MIS-2025-0042",
        participant=chantier["participant"],
        lot=chantier["lot"],
        date_debut=dt.date(2025, 3, 3),
        date_fin=dt.date(2025, 6, 30),
    )
    motif = "Critère RSA perdu le mois dernier, avis motivé de la Mission Locale."
    url = reverse("heures:mission_modifier", args=[mission.pk])
    data = donnees(
        chantier,
        participant=f.ParticipantFactory().pk,
        date_fin="2025-06-30",
        motif_derogation_eligibilite=motif,
        version_lue=mission.version,
    )
    assert facilitateur.post(url, data).status_code == 302
    page = texte(facilitateur.get(mission.get_absolute_url()))
    assert f"Motif de dérogation à l'éligibilité : « — » → « {motif} »" in page
    assert mission.history.first().history_change_reason.startswith("Dérogation")


def test_pas_de_motif_inutile_pour_un_participant_eligible(facilitateur, chantier):
    assert facilitateur.post(reverse(CREER), donnees(chantier)).status_code == 302
    assert not service.derogation_appliquee(Mission.objects.get())
    assert Mission.objects.get().history.get().history_change_reason is None


# --- overlap -----------------------------------------------------------------------------------


@pytest.fixture
def mission_existante(chantier):
    return f.MissionFactory(
        reference="MIS-2025-0007",
        participant=chantier["participant"],
        lot=chantier["lot"],
        date_debut=dt.date(2025, 3, 1),
        date_fin=dt.date(2025, 5, 31),
    )


@pytest.mark.parametrize(
    "debut, fin",
    [
        ("2025-05-31", "2025-07-31"),  # starts on the last day of the other
        ("2025-02-01", "2025-03-01"),  # ends on its first day
        ("2025-02-01", ""),  # open-ended, starting before
        ("2025-04-01", "2025-04-15"),  # inside
    ],
)
def test_chevauchement_refuse(facilitateur, chantier, mission_existante, debut, fin):
    data = donnees(chantier, date_debut=debut, date_fin=fin)
    message = erreurs(facilitateur.post(reverse(CREER), data))["date_debut"][0]
    assert message.startswith(
        "Ces dates chevauchent une autre mission de ce participant sur ce lot : "
        "MIS-2025-0007 (du 01/03/2025 au 31/05/2025)"
    )
    assert Mission.objects.count() == 1


def test_chevauchement_avec_une_mission_sans_fin(facilitateur, chantier, mission_existante):
    mission_existante.date_fin = None
    mission_existante.save()
    data = donnees(chantier, date_debut="2026-01-05", date_fin="2026-02-27")
    assert "sans date de fin" in erreurs(facilitateur.post(reverse(CREER), data))["date_debut"][0]


def test_pas_de_chevauchement(facilitateur, chantier, mission_existante):
    # The day after, on the same lot.
    data = donnees(chantier, date_debut="2025-06-01", date_fin="2025-07-31")
    assert facilitateur.post(reverse(CREER), data).status_code == 302
    # The same dates on another lot.
    autre_lot = f.LotFactory(
        titulaire=chantier["titulaire"], date_debut=DEBUT_LOT, date_fin=FIN_LOT
    )
    data = donnees(chantier, lot=autre_lot.pk, date_debut="2025-03-01", date_fin="2025-05-31")
    assert facilitateur.post(reverse(CREER), data).status_code == 302
    assert Mission.objects.count() == 3


def test_une_mission_ne_se_chevauche_pas_elle_meme(facilitateur, chantier, mission_existante):
    url = reverse("heures:mission_modifier", args=[mission_existante.pk])
    data = donnees(
        chantier,
        date_debut="2025-03-01",
        date_fin="2025-06-30",
        version_lue=mission_existante.version,
    )
    assert facilitateur.post(url, data).status_code == 302
    mission_existante.refresh_from_db()
    assert mission_existante.date_fin == dt.date(2025, 6, 30)


# --- editing and concurrency -------------------------------------------------------------------


def test_modifier_une_mission(facilitateur, chantier, mission_existante):
    url = reverse("heures:mission_modifier", args=[mission_existante.pk])
    page = facilitateur.get(url)
    assert page.status_code == 200
    assert page.context["version_form"]["version_lue"].value() == 1
    data = donnees(
        chantier,
        date_debut="2025-03-01",
        date_fin="2025-05-31",
        sortie=Sortie.EMPLOI_TRANSITION,
        date_sortie="2025-05-31",
        version_lue=1,
    )
    assert facilitateur.post(url, data).status_code == 302
    mission_existante.refresh_from_db()
    assert mission_existante.reference == "MIS-2025-0007"
    assert mission_existante.sortie == Sortie.EMPLOI_TRANSITION
    assert mission_existante.date_sortie == dt.date(2025, 5, 31)
    assert mission_existante.version == 2
    assert mission_existante.modifie_par == facilitateur.user


def test_modification_concurrente_refusee(facilitateur, chantier, mission_existante, make_user):
    url = reverse("heures:mission_modifier", args=[mission_existante.pk])
    assert facilitateur.get(url).context["version_form"]["version_lue"].value() == 1
    # Meanwhile, a colleague saves the mission.
    collegue = make_user(roles.FACILITATEUR, username="alice", first_name="Alice")
    service.enregistrer_mission(
        Mission.objects.get(pk=mission_existante.pk), version_lue=1, user=collegue
    )
    data = donnees(
        chantier, date_debut="2025-03-01", date_fin="2025-05-31", poste="Coffreur", version_lue=1
    )
    response = facilitateur.post(url, data)
    assert response.status_code == 200
    conflit = response.context["version_form"].non_field_errors()[0]
    assert conflit.startswith("Enregistrement refusé : Alice a modifié cette fiche le ")
    assert "Enregistrement refusé : Alice a modifié cette fiche le" in response.content.decode()
    mission_existante.refresh_from_db()
    assert mission_existante.poste != "Coffreur" and mission_existante.version == 2


# --- references --------------------------------------------------------------------------------


def _creer(chantier, user, debut, fin=None):
    mission = Mission(
        participant=chantier["participant"],
        lot=chantier["lot"],
        employeur=chantier["titulaire"],
        modalite=Modalite.EMBAUCHE_CDD,
        type_contrat=TypeContrat.CDD,
        date_debut=debut,
        date_fin=fin,
    )
    return service.enregistrer_mission(mission, None, user)


def test_references_uniques_et_suivies(make_user, chantier):
    user = make_user(roles.FACILITATEUR)
    missions = [
        _creer(chantier, user, dt.date(2025, m, 1), dt.date(2025, m, 20)) for m in range(1, 6)
    ]
    assert [m.reference for m in missions] == [f"MIS-2025-000{i}" for i in range(1, 6)]
    assert _creer(chantier, user, dt.date(2026, 1, 5)).reference == "MIS-2026-0001"
    assert CompteurNumero.objects.get(prefixe="MIS-2025").dernier == 5


def test_references_existantes_sautees(make_user, chantier):
    """References written by other means (demo data, import) are never handed out again."""
    f.MissionFactory(reference="MIS-2025-0001", lot=chantier["lot"])
    f.MissionFactory(reference="MIS-2025-0002", lot=chantier["lot"])
    user = make_user(roles.FACILITATEUR)
    assert _creer(chantier, user, dt.date(2025, 3, 1)).reference == "MIS-2025-0003"


def test_un_refus_ne_consomme_pas_de_numero(make_user, chantier):
    user = make_user(roles.FACILITATEUR)
    _creer(chantier, user, dt.date(2025, 1, 6), dt.date(2025, 1, 31))
    with pytest.raises(Exception, match="chevauchent"):
        _creer(chantier, user, dt.date(2025, 1, 20), dt.date(2025, 2, 28))
    assert _creer(chantier, user, dt.date(2025, 2, 3)).reference == "MIS-2025-0002"


@pytest.mark.django_db(transaction=True)
def test_references_uniques_en_concurrence(make_user, chantier):
    """Several requests at once (PostgreSQL: real concurrent transactions)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite sérialise les écritures : test de concurrence sur PostgreSQL")
    user = make_user(roles.FACILITATEUR)
    participants = [eligible(f"NOM{i}", "Prénom") for i in range(6)]
    references, erreurs_fils = [], []
    depart = threading.Barrier(len(participants))

    def creer(participant):
        try:
            depart.wait()
            mission = Mission(
                participant=participant,
                lot=chantier["lot"],
                employeur=chantier["titulaire"],
                modalite=Modalite.EMBAUCHE_CDD,
                type_contrat=TypeContrat.CDD,
                date_debut=dt.date(2025, 3, 3),
            )
            references.append(service.enregistrer_mission(mission, None, user).reference)
        except Exception as erreur:  # pragma: no cover - reported below
            erreurs_fils.append(erreur)
        finally:
            connection.close()

    fils = [threading.Thread(target=creer, args=(p,)) for p in participants]
    for fil in fils:
        fil.start()
    for fil in fils:
        fil.join()
    assert erreurs_fils == []
    assert sorted(references) == [f"MIS-2025-000{i}" for i in range(1, 7)]


# --- rights and entry points -------------------------------------------------------------------


@pytest.mark.parametrize("role", [roles.FACILITATEUR, roles.ADMIN])
def test_facilitateur_et_admin_creent_et_modifient(client_for, chantier, mission_existante, role):
    client = client_for(role)
    assert client.get(reverse(CREER)).status_code == 200
    url = reverse("heures:mission_modifier", args=[mission_existante.pk])
    assert client.get(url).status_code == 200
    data = donnees(chantier, date_debut="2025-06-02", date_fin="2025-06-30")
    assert client.post(reverse(CREER), data).status_code == 302


@pytest.mark.parametrize("role", [roles.SUIVI, roles.ANIMATEUR, roles.DIRECTION, None])
def test_les_autres_roles_ne_creent_ni_ne_modifient(client_for, chantier, mission_existante, role):
    client = client_for(role)
    url = reverse("heures:mission_modifier", args=[mission_existante.pk])
    assert client.get(reverse(CREER)).status_code == 403
    assert client.post(reverse(CREER), donnees(chantier)).status_code == 403
    assert client.get(url).status_code == 403
    assert client.post(url, donnees(chantier, version_lue=1)).status_code == 403
    assert Mission.objects.count() == 1


def test_suivi_lit_sans_bouton_de_modification(client_for, mission_existante):
    client = client_for(roles.SUIVI)
    assert client.get(mission_existante.get_absolute_url()).status_code == 200
    liste = client.get(reverse("heures:mission_liste")).content.decode()
    assert "Nouvelle mission" not in liste
    fiche = client.get(mission_existante.get_absolute_url()).content.decode()
    assert reverse("heures:mission_modifier", args=[mission_existante.pk]) not in fiche


def test_actions_nouvelle_mission(facilitateur, chantier, mission_existante):
    liste = facilitateur.get(reverse("heures:mission_liste")).content.decode()
    assert f'href="{reverse(CREER)}"' in liste and "Nouvelle mission" in liste
    fiche = facilitateur.get(mission_existante.get_absolute_url()).content.decode()
    assert reverse("heures:mission_modifier", args=[mission_existante.pk]) in fiche
    participant = chantier["participant"]
    page = facilitateur.get(participant.get_absolute_url()).content.decode()
    assert f"{reverse(CREER)}?participant={participant.pk}" in page
    lot = chantier["lot"]
    page = facilitateur.get(lot.get_absolute_url()).content.decode()
    assert f"{reverse(CREER)}?lot={lot.pk}" in page


def test_formulaire_prerempli_depuis_le_participant_et_le_lot(facilitateur, chantier):
    participant, lot = chantier["participant"], chantier["lot"]
    response = facilitateur.get(reverse(CREER), {"participant": participant.pk, "lot": lot.pk})
    form = response.context["formulaires"]["mission"]
    assert form["participant"].value() == participant.pk
    assert form["lot"].value() == lot.pk
    assert form["employeur"].value() == chantier["titulaire"].pk
    assert form["date_debut"].value() == DEBUT_LOT
    # Eligibility on the first day is shown beside the form.
    assert "DURAND Léa est éligible au 01/01/2025 : Bénéficiaire du RSA" in texte(response)
    # Nonsense parameters are ignored.
    assert facilitateur.get(reverse(CREER), {"participant": "x", "lot": "999"}).status_code == 200


# --- cost of the list --------------------------------------------------------------------------


def _missions(n):
    lot = f.LotFactory()
    for _ in range(n):
        f.MissionFactory(lot=lot, participant=f.ParticipantFactory())


def _requetes(client, url) -> int:
    with CaptureQueriesContext(connection) as requetes:
        assert client.get(url).status_code == 200
    return len(requetes)


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_liste_missions_avec_action(facilitateur, django_assert_max_num_queries, n):
    _missions(n)
    url = reverse("heures:mission_liste")
    facilitateur.get(url)
    with django_assert_max_num_queries(10):
        assert "Nouvelle mission" in facilitateur.get(url).content.decode()


def test_requetes_liste_missions_constantes(facilitateur):
    url = reverse("heures:mission_liste")
    _missions(3)
    facilitateur.get(url)
    avec_3 = _requetes(facilitateur, url)
    _missions(27)
    assert _requetes(facilitateur, url) == avec_3
