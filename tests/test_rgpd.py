"""Personal data of participants: retention and anonymisation, right of access export."""

import datetime as dt
import html
import json
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from heures import selectors as heures_selectors
from heures.models import (
    CritereEligibilite,
    CritereParticipant,
    Mission,
    Participant,
    Sexe,
    StatutDeclaration,
)
from heures.services import participants as services
from mife.core.models import Parametres
from mife.core.mois import ajouter_mois, premier_jour
from tests import factories as f

pytestmark = pytest.mark.django_db

HistoriqueCritere = CritereParticipant.history.model


def critere(code: str) -> CritereEligibilite:
    return CritereEligibilite.objects.get(code=code)


def il_y_a(annees: int = 0, jours: int = 0) -> dt.date:
    jour = services.date_limite_conservation(timezone.localdate(), annees)
    return jour - dt.timedelta(days=jours)


def vieillir(participant: Participant, annees: int) -> None:
    """Pretend the record was created and last modified ``annees`` years ago."""
    moment = timezone.now() - dt.timedelta(days=365 * annees + 10)
    Participant.objects.filter(pk=participant.pk).update(cree_le=moment, modifie_le=moment)


def parcours(participant, debut: dt.date, fin: dt.date | None, heures=(), reference=""):
    """A mission on its own lot, with validated hours (one line per month from ``debut``)."""
    lot = f.LotFactory(date_debut=debut - dt.timedelta(days=30), date_fin=None)
    mission = f.MissionFactory(
        participant=participant,
        lot=lot,
        reference=reference or f"M-{participant.nom[:6]}-{debut:%Y%m}",
        date_debut=debut,
        date_fin=fin,
    )
    for i, h in enumerate(heures):
        mois = ajouter_mois(debut, i)
        d = f.DeclarationMensuelleFactory(lot=lot, mois=mois, statut=StatutDeclaration.VALIDEE)
        f.LigneDeclarationFactory(declaration=d, mission=mission, heures=Decimal(h))
    return mission


@pytest.fixture
def facilitatrice(make_user):
    return make_user("facilitateur", username="camille", first_name="Camille", last_name="Roy")


@pytest.fixture
def population(facilitatrice):
    """A: last mission ended 6 years ago (anonymised); B: ended 2 years ago (kept); C: an old
    mission and a running one (kept); D: no mission, untouched for 6 years (anonymised);
    E: no mission, recent (kept); F: ended 4 years ago (kept with 5 years, not with 3)."""
    a = f.ParticipantFactory(
        nom="Lefèvre",
        prenom="Amélie",
        sexe=Sexe.FEMME,
        date_naissance=dt.date(1980, 7, 14),
        commune="Belfort",
        code_postal="90000",
        resident_qpv=True,
        telephone="0611223344",
        email="amelie.lefevre@exemple.fr",
        notes="Permis B en cours.",
    )
    f.CritereParticipantFactory(
        participant=a,
        critere=critere("rqth"),
        date_validation=il_y_a(annees=8),
        date_fin_validite=None,
        justification="Notification MDPH de Mme Lefèvre",
        prescripteur=f.PrescripteurFactory(nom="MDPH du Territoire de Belfort"),
    )
    f.CritereParticipantFactory(
        participant=a,
        critere=critere("rsa"),
        date_validation=il_y_a(annees=8),
        date_fin_validite=il_y_a(annees=6),
        justification="Attestation CAF d'Amélie",
    )
    # A correction, traced in the history (the old phone number is in a historical row).
    a.telephone = "0699887766"
    services.enregistrer_participant(a, 1, facilitatrice)
    parcours(a, il_y_a(annees=7), il_y_a(annees=6), heures=("35", "70.5"))

    b = f.ParticipantFactory(nom="Bernard", sexe=Sexe.HOMME, date_naissance=dt.date(2001, 3, 3))
    f.CritereParticipantFactory(participant=b, critere=critere("jeune"))
    parcours(b, il_y_a(annees=3), il_y_a(annees=2), heures=("151.67",))

    c = f.ParticipantFactory(nom="Colin", sexe=Sexe.HOMME, date_naissance=dt.date(1968, 1, 30))
    parcours(c, il_y_a(annees=9), il_y_a(annees=8), heures=("20",))
    parcours(c, il_y_a(annees=1), None, heures=("12.5",))

    d = f.ParticipantFactory(
        nom="Dubois", sexe=Sexe.FEMME, date_naissance=dt.date(1995, 12, 31), commune="Delle"
    )
    f.CritereParticipantFactory(participant=d, critere=critere("deld"))
    vieillir(d, 6)

    e = f.ParticipantFactory(nom="Etienne", sexe=Sexe.HOMME, date_naissance=dt.date(1990, 6, 1))

    g = f.ParticipantFactory(nom="Fabre", sexe=Sexe.FEMME, date_naissance=dt.date(1975, 2, 28))
    parcours(g, il_y_a(annees=5), il_y_a(annees=4), heures=("40",))
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "F": g}


def tranche_age(annee_naissance: int, annee: int) -> str:
    age = annee - annee_naissance
    return "moins de 26 ans" if age < 26 else "26 à 49 ans" if age < 50 else "50 ans et plus"


def statistiques() -> dict:
    """The figures of the past reports: they must not change with the anonymisation."""
    participants = list(Participant.objects.order_by("pk"))
    annees = range(timezone.localdate().year - 10, timezone.localdate().year + 1)
    jours = [il_y_a(annees=n) for n in range(10)]
    return {
        "sexe": Counter(p.sexe for p in participants),
        "annee_naissance": Counter(p.date_naissance.year for p in participants),
        "tranche_age": {
            annee: Counter(tranche_age(p.date_naissance.year, annee) for p in participants)
            for annee in annees
        },
        "commune": Counter(p.commune for p in participants),
        "qpv": Counter(p.resident_qpv for p in participants),
        "critere": Counter(CritereParticipant.objects.values_list("critere__code", flat=True)),
        "criteres": sorted(
            CritereParticipant.objects.values_list(
                "participant_id", "critere__code", "date_validation", "date_fin_validite"
            )
        ),
        "eligibles": {
            (p.pk, jour): heures_selectors.eligibilite(p, jour).eligible
            for p in participants
            for jour in jours
        },
        "heures_annee": {annee: heures_selectors.heures_annee(annee) for annee in annees},
        "participants_avec_heures": {
            annee: heures_selectors.participants_avec_heures(annee) for annee in annees
        },
        "heures_participant": {p.pk: heures_selectors.heures_participant(p) for p in participants},
        "missions": list(
            Mission.objects.order_by("pk").values_list(
                "participant_id", "modalite", "sortie", "date_debut", "date_fin"
            )
        ),
    }


def instantane() -> dict:
    """Everything the anonymisation may touch, to prove a run changed nothing."""
    return {
        "participants": list(Participant.objects.order_by("pk").values()),
        "historique": list(Participant.history.order_by("history_id").values()),
        "criteres": list(CritereParticipant.objects.order_by("pk").values()),
        "historique_criteres": list(HistoriqueCritere.objects.order_by("history_id").values()),
    }


def anonymiser(*args) -> str:
    sortie = StringIO()
    call_command("anonymiser_participants", *args, stdout=sortie)
    return sortie.getvalue()


# --- retention rule ------------------------------------------------------------------------


def test_selection_selon_la_duree_de_conservation(population):
    p = population
    assert list(services.participants_a_anonymiser()) == [p["A"], p["D"]]
    assert set(services.participants_a_anonymiser(annees=3)) == {p["A"], p["D"], p["F"]}
    assert set(services.participants_a_anonymiser(annees=10)) == set()


def test_la_duree_vient_des_parametres(population):
    parametres = Parametres.get()
    assert parametres.duree_conservation_annees == 5  # the default
    parametres.duree_conservation_annees = 3
    parametres.save()
    sortie = anonymiser()
    assert "Participants anonymisés : 3" in sortie
    assert "3 ans" in sortie
    assert set(Participant.objects.filter(anonymise_le__isnull=False)) == {
        population["A"],
        population["D"],
        population["F"],
    }


def test_date_de_sortie_recente_garde_les_donnees():
    p = f.ParticipantFactory()
    mission = parcours(p, il_y_a(annees=7), il_y_a(annees=6))
    Mission.objects.filter(pk=mission.pk).update(sortie="autre", date_sortie=il_y_a(annees=1))
    assert not services.participants_a_anonymiser().exists()


# --- anonymisation -------------------------------------------------------------------------


def test_anonymisation_garde_les_statistiques(population):
    avant = statistiques()
    sortie = anonymiser()
    assert "Participants anonymisés : 2" in sortie
    assert "Anonymisation terminée." in sortie
    assert statistiques() == avant


def test_anonymisation_remplace_l_identite(population):
    a = population["A"]
    anonymiser()
    a.refresh_from_db()
    assert a.nom == "ANONYME" and a.prenom == f"P-{a.pk:06d}"
    assert a.date_naissance == dt.date(1980, 1, 1)
    assert (a.telephone, a.email, a.notes, a.code_postal) == ("", "", "", "")
    # Kept for the statistics.
    assert (a.sexe, a.commune, a.resident_qpv) == (Sexe.FEMME, "Belfort", True)
    assert a.anonymise_le is not None
    assert a.version == 3  # through the optimistic lock: an open form can no longer save
    assert sorted(a.criteres_valides.values_list("critere__code", "justification")) == [
        ("rqth", ""),
        ("rsa", ""),
    ]
    assert a.criteres_valides.get(critere__code="rqth").prescripteur.nom.startswith("MDPH")
    # The others are untouched.
    for cle in ("B", "C", "E", "F"):
        autre = Participant.objects.get(pk=population[cle].pk)
        assert autre.anonymise_le is None and autre.nom == population[cle].nom


def test_anonymisation_nettoie_l_historique(population, client_for):
    a = population["A"]
    identites = ["Lefèvre", "Amélie", "0611223344", "0699887766", "amelie.lefevre", "Permis B"]
    assert a.history.count() == 2
    anonymiser()
    lignes = list(Participant.history.filter(id=a.pk).order_by("history_date").values())
    assert len(lignes) == 3  # creation, correction, anonymisation: the trace stays
    for ligne in lignes:
        assert ligne["nom"] == "ANONYME" and ligne["prenom"] == f"P-{a.pk:06d}"
        assert ligne["date_naissance"] == dt.date(1980, 1, 1)
        assert ligne["telephone"] == ligne["email"] == ligne["notes"] == ligne["code_postal"] == ""
        texte = " ".join(str(v) for v in ligne.values())
        for identite in identites:
            assert identite not in texte
    assert lignes[-1]["history_change_reason"] == services.MOTIF_ANONYMISATION
    justifications = HistoriqueCritere.objects.filter(participant_id=a.pk).values_list(
        "justification", flat=True
    )
    assert set(justifications) == {""}
    # The page says what happened, without the former identity.
    contenu = html.unescape(client_for("facilitateur").get(a.get_absolute_url()).content.decode())
    assert f"Participant anonymisé n° {a.pk}" in contenu
    assert "Motif : Anonymisation (durée de conservation dépassée)" in contenu
    for identite in identites:
        assert identite not in contenu


def test_anonymisation_idempotente(population):
    premiere = anonymiser()
    assert "Participants anonymisés : 2" in premiere
    assert "Lignes d'historique des participants nettoyées : 3" in premiere  # A: 2, D: 1
    apres_premiere = instantane()
    seconde = anonymiser()
    assert "Participants anonymisés : 0" in seconde
    assert "Lignes d'historique des participants nettoyées : 0" in seconde
    assert instantane() == apres_premiere


def test_simulation_ne_change_rien(population):
    avant = instantane()
    sortie = anonymiser("--dry-run")
    assert "Participants seraient anonymisés : 2" in sortie
    assert "Lignes d'historique des participants à nettoyer : 3" in sortie
    assert "Justifications de critères à effacer : 3 (historique : 3)" in sortie
    assert "rien n'a été modifié" in sortie
    assert instantane() == avant


def test_participant_modifie_pendant_l_anonymisation_reporte(population, facilitatrice):
    candidats = list(services.participants_a_anonymiser())
    a = Participant.objects.get(pk=population["A"].pk)
    a.notes = "Rendez-vous pris."
    services.enregistrer_participant(a, a.version, facilitatrice)
    rapport = services.anonymiser(candidats)
    assert rapport.refuses == [a.pk] and rapport.participants == 1
    a.refresh_from_db()
    assert a.anonymise_le is None and a.nom == "Lefèvre"


def test_fiche_anonymisee_ne_se_modifie_plus(population, facilitatrice):
    anonymiser()
    a = Participant.objects.get(pk=population["A"].pk)
    a.nom = "Lefèvre"
    with pytest.raises(services.ValidationError):
        services.enregistrer_participant(a, a.version, facilitatrice)
    a.refresh_from_db()
    assert a.nom == "ANONYME"


# --- right of access -----------------------------------------------------------------------


@pytest.fixture
def dossier(population):
    """A's record, with a draft declaration line too (everything must be exported)."""
    a = population["A"]
    mission = a.missions.get()
    brouillon = f.DeclarationMensuelleFactory(
        lot=mission.lot, mois=premier_jour(il_y_a(annees=6)), statut=StatutDeclaration.BROUILLON
    )
    f.LigneDeclarationFactory(
        declaration=brouillon, mission=mission, heures=Decimal("8"), commentaire="Dernier mois"
    )
    return a


def test_export_json(client_for, dossier):
    a = dossier
    client = client_for("facilitateur", first_name="Nadia", last_name="Roux")
    avant = Participant.objects.values("modifie_le", "version").get(pk=a.pk)
    response = client.get(reverse("heures:participant_export_json", args=[a.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="donnees-participant-{a.pk}-'
    )
    d = json.loads(response.content)
    assert set(d) == {
        "document",
        "responsable_du_traitement",
        "genere_le",
        "genere_par",
        "duree_conservation_annees",
        "participant",
        "criteres",
        "missions",
        "heures_declarees",
        "heures_validees_total",
        "historique",
        "historique_criteres",
    }
    assert d["genere_par"] == "Nadia Roux" and d["duree_conservation_annees"] == 5
    assert d["participant"] | {"cree_le": None, "modifie_le": None} == {
        "id": a.pk,
        "nom": "Lefèvre",
        "prenom": "Amélie",
        "sexe": "Femme",
        "date_naissance": "1980-07-14",
        "commune": "Belfort",
        "code_postal": "90000",
        "resident_qpv": True,
        "niveau_qualification": "",
        "situation_entree": "",
        "telephone": "0699887766",
        "email": "amelie.lefevre@exemple.fr",
        "date_information_rgpd": a.date_information.isoformat(),
        "notes": "Permis B en cours.",
        "cree_le": None,
        "modifie_le": None,
        "anonymise_le": None,
    }
    rqth = next(c for c in d["criteres"] if c["code"] == "rqth")
    assert rqth["donnee_sensible"] is True
    assert rqth["justification"] == "Notification MDPH de Mme Lefèvre"
    assert rqth["prescripteur"]["nom"] == "MDPH du Territoire de Belfort"
    assert rqth["date_fin_validite"] is None
    assert [c["code"] for c in d["criteres"]] == ["rsa", "rqth"]
    (mission,) = d["missions"]
    assert mission["heures_validees"] == "105.50"
    assert mission["date_fin"] == il_y_a(annees=6).isoformat()
    assert [(ligne["heures"], ligne["statut_declaration"]) for ligne in d["heures_declarees"]] == [
        ("35.00", "Validée"),
        ("70.50", "Validée"),
        ("8.00", "Brouillon"),
    ]
    assert d["heures_validees_total"] == "105.50"
    creation, correction, export = d["historique"]
    assert creation["type"] == "Création"
    assert correction["auteur"] == "Camille Roy"
    assert correction["changements"] == [
        {"champ": "téléphone", "avant": "0611223344", "apres": "0699887766"}
    ]
    assert export["motif"] == "Export des données (droit d'accès)"
    assert export["type"] == "Export des données"
    assert export["auteur"] == "Nadia Roux" and export["changements"] == []
    assert {h["critere"] for h in d["historique_criteres"]} == {
        critere("rqth").libelle,
        critere("rsa").libelle,
    }
    # Logged in the history, without touching the record (its retention clock).
    journal = Participant.history.filter(id=a.pk).latest()
    assert journal.history_change_reason == services.MOTIF_EXPORT
    assert journal.history_user == client.user and journal.history_type == "~"
    assert Participant.objects.values("modifie_le", "version").get(pk=a.pk) == avant


def test_export_page_imprimable(client_for, dossier):
    a = dossier
    client = client_for("admin")
    response = client.get(reverse("heures:participant_export", args=[a.pk]))
    assert response.status_code == 200
    contenu = html.unescape(response.content.decode())
    assert "Données personnelles — LEFÈVRE Amélie" in contenu
    assert "14/07/1980" in contenu and "0699887766" in contenu
    assert "Travailleur handicapé" in contenu and "donnée sensible" in contenu
    assert "MDPH du Territoire de Belfort" in contenu
    assert "105,5 h" in contenu and "8 h" in contenu
    assert "téléphone : « 0611223344 » → « 0699887766 »" in contenu
    assert 'export-donnees.css" media="print"' in contenu and "Imprimer" in contenu
    assert reverse("heures:participant_export_json", args=[a.pk]) in contenu
    assert (
        Participant.history.filter(id=a.pk, history_change_reason=services.MOTIF_EXPORT).count()
        == 1
    )
    fiche = html.unescape(client.get(a.get_absolute_url()).content.decode())
    assert "Export des données (droit d'accès)</strong> le" in fiche


@pytest.mark.parametrize("role", ["suivi", "animateur", "direction", None])
def test_export_interdit(client_for, dossier, role):
    client = client_for(role)
    historique = Participant.history.count()
    for nom in ("participant_export", "participant_export_json"):
        assert client.get(reverse(f"heures:{nom}", args=[dossier.pk])).status_code == 403
    assert Participant.history.count() == historique


def test_export_exige_aussi_le_droit_aux_donnees_sensibles(client, make_user, dossier):
    """The export shows the protected criteria: exporting alone is not enough."""
    user = make_user(None, username="exportateur")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="heures",
            codename__in=["view_participant", "exporter_donnees_personnelles"],
        )
    )
    client.force_login(user)
    assert (
        client.get(reverse("heures:participant_export_json", args=[dossier.pk])).status_code == 403
    )
    fiche = client.get(dossier.get_absolute_url())
    assert fiche.status_code == 200
    assert "Exporter les données" not in fiche.content.decode()


def test_export_d_un_participant_anonymise(client_for, population):
    anonymiser()
    a = population["A"]
    d = json.loads(
        client_for("facilitateur")
        .get(reverse("heures:participant_export_json", args=[a.pk]))
        .content
    )
    texte = json.dumps(d, ensure_ascii=False)
    for identite in ("Lefèvre", "Amélie", "0611223344", "0699887766", "amelie.lefevre"):
        assert identite not in texte
    assert d["participant"]["nom"] == "ANONYME" and d["participant"]["anonymise_le"]


def test_export_introuvable(client_for):
    client = client_for("facilitateur")
    assert client.get(reverse("heures:participant_export_json", args=[999999])).status_code == 404


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_export(client_for, django_assert_max_num_queries, n):
    p = f.ParticipantFactory()
    for i in range(n):
        f.CritereParticipantFactory(
            participant=p,
            critere=critere(["deld", "rsa", "rqth"][i % 3]),
            date_validation=dt.date(2020, 1, 1) + dt.timedelta(days=i),
        )
        parcours(p, dt.date(2020, 1, 1) + dt.timedelta(days=40 * i), None, heures=("7",))
    client = client_for("facilitateur")
    url = reverse("heures:participant_export_json", args=[p.pk])
    client.get(url)
    with django_assert_max_num_queries(16):  # + second factor, + access log
        assert client.get(url).status_code == 200
