"""Jury sessions: members, agenda with time slots, convocations by e-mail with a valid .ics,
attendance and quorum, opinions, decisions (label awarded), closing, PV and dossier PDFs."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from icalendar import Calendar
from pypdf import PdfReader

from label.models import (
    Avis,
    AvisMembre,
    College,
    ConvocationJury,
    Decision,
    Label,
    MembreJury,
    PassageJury,
    SessionJury,
    StatutDossier,
    StatutSession,
)
from tests import factories as f
from tests.outils_label import dossier_complet

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
ROLES_SANS_ECRITURE = ["facilitateur", "direction", "suivi", None]


@pytest.fixture(autouse=True)
def media_temporaire(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def texte(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def messages_de(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def texte_pdf(contenu: bytes) -> str:
    """The PDF's text, whitespace normalised (table cells wrap their lines)."""
    lecteur = PdfReader(io.BytesIO(contenu))
    return " ".join(" ".join(page.extract_text() for page in lecteur.pages).split())


def demain_14h():
    jour = timezone.localdate() + dt.timedelta(days=1)
    return dt.datetime.combine(jour, dt.time(14, 0), tzinfo=PARIS)


@pytest.fixture
def membres():
    return [
        f.MembreJuryFactory(
            civilite="Mme",
            prenom="Anne",
            nom="Dupuis",
            organisme="CCI du Territoire de Belfort",
            college=College.CHAMBRE,
            email="a.dupuis@cci90.fr",
        ),
        f.MembreJuryFactory(
            civilite="M.",
            prenom="Luc",
            nom="Roux",
            organisme="DDETS",
            college=College.ETAT,
            email="l.roux@ddets.gouv.fr",
        ),
        f.MembreJuryFactory(
            civilite="Mme",
            prenom="Sonia",
            nom="Bel",
            organisme="France Travail",
            college=College.FRANCE_TRAVAIL,
            email="",
        ),
    ]


@pytest.fixture
def session(membres):
    session = f.SessionJuryFactory(
        date=demain_14h(), lieu="MIFE, salle du conseil", duree_passage=30
    )
    for membre in membres:
        f.ConvocationJuryFactory(session=session, membre=membre, invite_le=None, present=None)
    return session


def recevable(nom: str):
    entreprise = f.EntrepriseFactory(raison_sociale=nom, commune="Belfort")
    f.ContactFactory(entreprise=entreprise, principal=True, email=f"rh@{slugify(nom)}.fr")
    return dossier_complet(statut=StatutDossier.RECEVABLE, entreprise=entreprise)


def inscrire(client, session, dossier):
    return client.post(
        reverse("label:session_inscrire", args=[session.pk]), {"dossier": dossier.pk}, follow=True
    )


def passer_la_session(session, heures=2):
    """The session took place ``heures`` ago (dates moved in the past, slots with them)."""
    decalage = (timezone.now() - dt.timedelta(hours=heures)) - session.date
    session.date += decalage
    session.save()
    for p in session.passages.all():
        p.debut += decalage
        p.save()


# --- creating a session, members ---------------------------------------------------------------


def test_creer_une_session(client_for):
    client = client_for("animateur")
    response = client.post(
        reverse("label:session_creer"),
        {
            "date": "2027-03-18T14:00",
            "lieu": "CCI du Territoire de Belfort",
            "duree_passage": "40",
            "compte_rendu": "",
            "version_lue": "",
        },
    )
    session = SessionJury.objects.get()
    assert response.url == session.get_absolute_url()
    assert timezone.localtime(session.date) == dt.datetime(2027, 3, 18, 14, 0, tzinfo=PARIS)
    assert session.statut == StatutSession.PLANIFIEE and session.duree_passage == 40


def test_session_saisie_invalide(client_for):
    client = client_for("animateur")
    response = client.post(
        reverse("label:session_creer"),
        {"date": "", "lieu": "", "duree_passage": "2", "version_lue": ""},
    )
    page = texte(response)
    assert "rien n'a été enregistré" in page
    for champ in ("Date et heure", "Lieu", "Durée d'un passage (minutes)"):
        assert f">{champ}</a>" in page
    assert not SessionJury.objects.exists()


def test_choisir_les_membres(client_for, membres):
    session = f.SessionJuryFactory(date=demain_14h())
    client = client_for("animateur")
    page = texte(client.get(reverse("label:session_membres", args=[session.pk])))
    assert "Chambre consulaire" in page and "France Travail" in page
    client.post(
        reverse("label:session_membres", args=[session.pk]),
        {"membres": [membres[0].pk, membres[1].pk]},
    )
    assert set(session.convocations.values_list("membre", flat=True)) == {
        membres[0].pk,
        membres[1].pk,
    }
    client.post(reverse("label:session_membres", args=[session.pk]), {"membres": [membres[1].pk]})
    assert list(session.convocations.values_list("membre", flat=True)) == [membres[1].pk]


# --- agenda ------------------------------------------------------------------------------------


def test_ordre_du_jour_et_creneaux(client_for, session):
    lion, vauban = recevable("Bâtiments du Lion"), recevable("Menuiserie Vauban")
    client = client_for("animateur")
    assert "passage à 14:00" in messages_de(inscrire(client, session, lion))
    assert "passage à 14:30" in messages_de(inscrire(client, session, vauban))
    premier, second = PassageJury.objects.order_by("ordre")
    assert (premier.dossier, premier.ordre, second.ordre) == (lion, 1, 2)
    assert timezone.localtime(second.debut).time() == dt.time(14, 30) and second.duree == 30
    lion.refresh_from_db()
    assert lion.statut == StatutDossier.INSCRIT
    assert lion.journal.filter(statut_apres=StatutDossier.INSCRIT).exists()

    # Moving the session moves the slots.
    client.post(
        reverse("label:session_modifier", args=[session.pk]),
        {
            "date": (session.date + dt.timedelta(days=7, hours=-5)).strftime("%Y-%m-%dT%H:%M"),
            "lieu": session.lieu,
            "duree_passage": "30",
            "compte_rendu": "",
            "version_lue": session.version,
        },
    )
    second.refresh_from_db()
    assert timezone.localtime(second.debut).time() == dt.time(9, 30)

    # Withdrawn: back to recevable, the others renumbered.
    client.post(reverse("label:passage_retirer", args=[premier.pk]))
    lion.refresh_from_db()
    second.refresh_from_db()
    assert lion.statut == StatutDossier.RECEVABLE and second.ordre == 1


def test_seul_un_dossier_recevable_va_a_l_ordre_du_jour(client_for, session):
    depose = dossier_complet(statut=StatutDossier.DEPOSE)
    client = client_for("animateur")
    response = inscrire(client, session, depose)
    assert "« Inscrire à une session » est impossible : le dossier est « déposé »." in (
        messages_de(response)
    )
    assert not PassageJury.objects.exists()
    depose.refresh_from_db()
    assert depose.statut == StatutDossier.DEPOSE


def test_creneau_qui_chevauche(client_for, session):
    client = client_for("animateur")
    inscrire(client, session, recevable("Bâtiments du Lion"))
    inscrire(client, session, recevable("Menuiserie Vauban"))
    second = PassageJury.objects.get(ordre=2)
    debut = timezone.localtime(session.date + dt.timedelta(minutes=15))
    response = client.post(
        reverse("label:passage_creneau", args=[second.pk]),
        {"ordre": "2", "debut": debut.strftime("%Y-%m-%dT%H:%M"), "duree": "30"},
    )
    assert "Ce créneau chevauche celui de Bâtiments du Lion (14:00–14:30)." in texte(response)
    avant = timezone.localtime(session.date - dt.timedelta(hours=1))
    response = client.post(
        reverse("label:passage_creneau", args=[second.pk]),
        {"ordre": "2", "debut": avant.strftime("%Y-%m-%dT%H:%M"), "duree": "30"},
    )
    assert "Le passage ne peut pas commencer avant la session" in texte(response)
    second.refresh_from_db()
    assert timezone.localtime(second.debut).time() == dt.time(14, 30)
    plus_tard = timezone.localtime(session.date + dt.timedelta(hours=1))
    client.post(
        reverse("label:passage_creneau", args=[second.pk]),
        {"ordre": "2", "debut": plus_tard.strftime("%Y-%m-%dT%H:%M"), "duree": "45"},
    )
    second.refresh_from_db()
    assert (timezone.localtime(second.debut).time(), second.duree) == (dt.time(15, 0), 45)


# --- convocations ------------------------------------------------------------------------------


def test_convocations_avec_invitation_ics(client_for, session):
    lion = recevable("Bâtiments du Lion")
    client = client_for("animateur", first_name="Thomas", last_name="Mougin")
    inscrire(client, session, lion)
    response = client.post(reverse("label:session_convocations", args=[session.pk]), follow=True)
    assert (
        "Convocations envoyées : 2 membres du jury, 1 entreprise. Sans adresse e-mail : "
        "Sonia Bel (France Travail)." in messages_de(response)
    )
    destinataires = [m.to for m in mail.outbox]
    assert ["a.dupuis@cci90.fr"] in destinataires and ["l.roux@ddets.gouv.fr"] in destinataires
    assert ["rh@batiments-du-lion.fr"] in destinataires

    membre = next(m for m in mail.outbox if m.to == ["a.dupuis@cci90.fr"])
    assert membre.subject.startswith("Convocation au jury du label Empl'itudes du ")
    assert "14:00 Bâtiments du Lion (dossier" in membre.body
    assert "collège « Chambre consulaire »" in membre.body
    nom, contenu, type_mime = membre.attachments[0]
    assert nom == "invitation.ics" and type_mime.startswith("text/calendar")
    calendrier = Calendar.from_ical(contenu)
    assert calendrier["VERSION"] == "2.0" and calendrier["METHOD"] == "REQUEST"
    assert "PRODID" in calendrier
    (evenement,) = calendrier.walk("VEVENT")
    assert evenement["UID"].endswith("@clauses.mife90.fr") and "DTSTAMP" in evenement
    assert evenement.decoded("DTSTART") == session.date
    assert evenement.decoded("DTEND") == session.date + dt.timedelta(minutes=30)
    assert str(evenement["LOCATION"]) == "MIFE, salle du conseil"
    assert "Bâtiments du Lion" in str(evenement["DESCRIPTION"])

    entreprise = next(m for m in mail.outbox if m.to == ["rh@batiments-du-lion.fr"])
    assert "Heure de votre passage : 14:00 (30 minutes)" in entreprise.body
    (creneau,) = Calendar.from_ical(entreprise.attachments[0][1]).walk("VEVENT")
    assert creneau.decoded("DTSTART") == session.date
    assert "Bâtiments du Lion" in str(creneau["SUMMARY"])

    session.refresh_from_db()
    assert session.convocations_envoyees_le is not None
    assert ConvocationJury.objects.filter(invite_le__isnull=False).count() == 2
    assert PassageJury.objects.get().convocation_envoyee_le is not None


def test_pas_de_convocation_pour_une_session_passee(client_for, session):
    client = client_for("animateur")
    session.date = timezone.now() - dt.timedelta(days=2)
    session.save()
    response = client.post(reverse("label:session_convocations", args=[session.pk]), follow=True)
    assert "est passée : aucune convocation n'a été envoyée" in messages_de(response)
    assert mail.outbox == []
    session.refresh_from_db()
    assert session.convocations_envoyees_le is None
    assert not ConvocationJury.objects.filter(invite_le__isnull=False).exists()


# --- the day: attendance, held, opinions, decisions --------------------------------------------


def presences(client, session, valeurs):
    donnees = {
        f"presence-{c.pk}": valeurs.get(c.membre.nom, "") for c in session.convocations.all()
    }
    return client.post(reverse("label:session_presences", args=[session.pk]), donnees, follow=True)


def test_presences_et_tenue_seulement_le_jour_venu(client_for, session):
    client = client_for("animateur")
    response = presences(client, session, {"Dupuis": "present"})
    assert "n'a pas encore eu lieu : les présences se notent le jour même" in messages_de(response)
    response = client.post(reverse("label:session_tenue", args=[session.pk]), follow=True)
    assert "ne peut être marquée « tenue » qu'une fois commencée" in messages_de(response)
    session.refresh_from_db()
    assert session.statut == StatutSession.PLANIFIEE
    assert not ConvocationJury.objects.filter(present__isnull=False).exists()


@pytest.fixture
def session_du_jour(client_for, session):
    client = client_for("animateur", username="preparation")
    lion, vauban = recevable("Bâtiments du Lion"), recevable("Menuiserie Vauban")
    inscrire(client, session, lion)
    inscrire(client, session, vauban)
    passer_la_session(session)
    client.post(reverse("label:session_tenue", args=[session.pk]))
    session.refresh_from_db()
    assert session.statut == StatutSession.TENUE
    client.logout()
    return session, lion, vauban


def avis(client, passage, valeurs):
    donnees = {}
    for membre, (code, commentaire) in valeurs.items():
        donnees[f"avis-{membre.pk}"] = code
        donnees[f"commentaire-{membre.pk}"] = commentaire
    return client.post(reverse("label:passage_avis", args=[passage.pk]), donnees, follow=True)


def decider(client, passage, decision, motivation=""):
    return client.post(
        reverse("label:passage_decision", args=[passage.pk]),
        {"decision": decision, "motivation": motivation},
        follow=True,
    )


def test_quorum_avis_et_decisions(client_for, session_du_jour, membres):
    session, lion, vauban = session_du_jour
    dupuis, roux, _bel = membres
    client = client_for("animateur", first_name="Thomas", last_name="Mougin")
    p_lion, p_vauban = PassageJury.objects.order_by("ordre")

    # Quorum not reached: one present of three, two required.
    presences(client, session, {"Dupuis": "present", "Roux": "absent"})
    assert "Quorum non atteint : 1 présent sur 3 membres convoqués, 2 requis" in (
        texte(client.get(session.get_absolute_url()))
    )
    response = decider(client, p_lion, Decision.LABELLISE)
    assert "Quorum non atteint" in messages_de(response)
    lion.refresh_from_db()
    assert lion.statut == StatutDossier.INSCRIT and not Label.objects.exists()

    # Only present members give an opinion.
    response = avis(client, p_lion, {roux: (Avis.FAVORABLE, "")})
    assert "Seuls les membres présents donnent un avis." in messages_de(response)
    assert not AvisMembre.objects.exists()

    presences(client, session, {"Dupuis": "present", "Roux": "present", "Bel": "absent"})
    avis(client, p_lion, {dupuis: (Avis.FAVORABLE, ""), roux: (Avis.RESERVE, "Axe scolaires")})
    assert AvisMembre.objects.filter(passage=p_lion).count() == 2

    response = decider(client, p_lion, Decision.LABELLISE, "Démarche exemplaire.")
    assert "Bâtiments du Lion : labellisé." in messages_de(response)
    lion.refresh_from_db()
    assert lion.statut == StatutDossier.LABELLISE
    label = Label.objects.get()
    obtention = timezone.localtime(session.date).date()
    assert label.dossier == lion and label.entreprise == lion.entreprise
    assert label.date_obtention == obtention
    assert label.date_expiration == obtention.replace(year=obtention.year + 3)
    assert label.numero == f"EMP-{obtention.year}-001" and len(label.code_verification) >= 16
    transitions = lion.journal.filter(statut_apres=StatutDossier.LABELLISE).get()
    assert transitions.auteur == client.user and transitions.commentaire == "Démarche exemplaire."

    response = decider(client, p_lion, Decision.REFUSE, "Changement d'avis")
    assert "La décision « Labellisé » est déjà enregistrée." in messages_de(response)

    response = decider(client, p_vauban, Decision.AJOURNE)
    assert "Motivez l'ajournement ou le refus" in messages_de(response)
    decider(client, p_vauban, Decision.AJOURNE, "Axe scolaires à construire.")
    vauban.refresh_from_db()
    assert vauban.statut == StatutDossier.AJOURNE and Label.objects.count() == 1


def test_pas_de_decision_avant_la_session(client_for, session):
    client = client_for("animateur")
    inscrire(client, session, recevable("Bâtiments du Lion"))
    passage = PassageJury.objects.get()
    response = decider(client, passage, Decision.LABELLISE)
    assert "la session doit d'abord avoir eu lieu" in messages_de(response)
    passage.refresh_from_db()
    assert passage.decision == "" and not Label.objects.exists()


def test_cloture_et_proces_verbal(client_for, session_du_jour, membres):
    session, _lion, _vauban = session_du_jour
    dupuis, roux, _ = membres
    client = client_for("animateur")
    p_lion, p_vauban = PassageJury.objects.order_by("ordre")
    presences(client, session, {"Dupuis": "present", "Roux": "present", "Bel": "absent"})
    avis(client, p_lion, {dupuis: (Avis.FAVORABLE, ""), roux: (Avis.RESERVE, "Axe scolaires")})
    decider(client, p_lion, Decision.LABELLISE, "Démarche exemplaire.")

    response = client.post(reverse("label:session_cloturer", args=[session.pk]), follow=True)
    assert "Décision manquante pour : Menuiserie Vauban" in messages_de(response)
    session.refresh_from_db()
    assert session.statut == StatutSession.TENUE and not session.proces_verbal

    avis(client, p_vauban, {dupuis: (Avis.DEFAVORABLE, "Trop tôt"), roux: (Avis.RESERVE, "")})
    decider(client, p_vauban, Decision.AJOURNE, "Axe scolaires à construire.")
    client.post(reverse("label:session_cloturer", args=[session.pk]))
    session.refresh_from_db()
    assert session.statut == StatutSession.CLOTUREE and session.proces_verbal

    pdf = client_for("direction", username="dir").get(
        reverse("label:session_pv", args=[session.pk])
    )
    assert pdf["Content-Type"] == "application/pdf"
    contenu = texte_pdf(pdf.content)
    assert "Procès-verbal du jury du label Empl'itudes" in contenu
    assert "Mme Anne Dupuis" in contenu and "M. Luc Roux" in contenu
    assert "Mme Sonia Bel" in contenu and "Absent·e" in contenu
    assert "Quorum atteint : 2 présents sur 3 membres convoqués, 2 requis" in contenu
    assert "1. Bâtiments du Lion" in contenu and "2. Menuiserie Vauban" in contenu
    assert "Favorable avec réserves" in contenu and "Axe scolaires" in contenu
    assert "Décision : Labellisé" in contenu and "Décision : Ajourné" in contenu
    assert "Motivation : Axe scolaires à construire." in contenu


def test_pdf_d_un_dossier(client_for):
    dossier = dossier_complet(
        statut=StatutDossier.INSCRIT,
        entreprise=f.EntrepriseFactory(raison_sociale="Bâtiments du Lion", commune="Belfort"),
    )
    response = client_for("direction").get(reverse("label:dossier_pdf", args=[dossier.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    contenu = texte_pdf(response.content)
    assert f"Dossier de labellisation Empl'itudes {dossier.annee}" in contenu
    assert "Bâtiments du Lion" in contenu and "Belfort" in contenu
    assert "Axe Demandeurs d'emploi" in contenu and "Immersions professionnelles" in contenu
    assert "Tutorat des apprentis (Tutorat)" in contenu
    assert "05/01/2026 → 30/06/2026" in contenu and "35 h" in contenu
    assert "Preuve Stages de 3e" in contenu
    assert "Former deux tuteurs." in contenu and "Dossier complet" in contenu


def test_annuler_une_session(client_for, session):
    lion = recevable("Bâtiments du Lion")
    client = client_for("animateur")
    inscrire(client, session, lion)
    response = client.post(reverse("label:session_annuler", args=[session.pk]), follow=True)
    assert "Session annulée" in messages_de(response)
    session.refresh_from_db()
    lion.refresh_from_db()
    assert session.statut == StatutSession.ANNULEE and not session.passages.exists()
    assert lion.statut == StatutDossier.RECEVABLE
    response = client.post(reverse("label:session_convocations", args=[session.pk]), follow=True)
    assert "La session est « annulée » : convoquer n'est plus possible." in messages_de(response)
    assert mail.outbox == []


# --- permissions -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES_SANS_ECRITURE)
def test_gestion_des_sessions_interdite(client_for, session, role):
    lion = recevable("Bâtiments du Lion")
    client = client_for(role)
    assert client.get(reverse("label:session_creer")).status_code == 403
    for nom in (
        "session_convocations",
        "session_tenue",
        "session_cloturer",
        "session_presences",
        "session_membres",
        "session_annuler",
    ):
        assert client.post(reverse(f"label:{nom}", args=[session.pk])).status_code == 403, nom
    assert inscrire(client, session, lion).status_code == 403
    assert mail.outbox == [] and not PassageJury.objects.exists()
    passage = f.PassageJuryFactory(session=session)
    for nom in ("passage_avis", "passage_decision", "passage_retirer", "passage_creneau"):
        assert client.post(reverse(f"label:{nom}", args=[passage.pk])).status_code == 403, nom


@pytest.mark.parametrize("role", ["direction", "facilitateur"])
def test_lecture_de_la_session(client_for, session, role):
    client = client_for(role)
    page = texte(client.get(session.get_absolute_url()))
    assert "MIFE, salle du conseil" in page and "Mme Anne Dupuis" in page
    assert "Envoyer les convocations" not in page and "Inscrire à l'ordre du jour" not in page


def test_membres_du_jury(client_for):
    client = client_for("animateur")
    client.post(
        reverse("label:membre_creer"),
        {
            "civilite": "Mme",
            "prenom": "Aurélie",
            "nom": "Tisserand",
            "organisme": "France Travail Belfort",
            "college": College.FRANCE_TRAVAIL,
            "email": "pas-une-adresse",
            "actif": "on",
            "version_lue": "",
        },
    )
    assert not MembreJury.objects.exists()
    response = client.post(
        reverse("label:membre_creer"),
        {
            "civilite": "Mme",
            "prenom": "Aurélie",
            "nom": "Tisserand",
            "organisme": "France Travail Belfort",
            "college": College.FRANCE_TRAVAIL,
            "email": "a.tisserand@francetravail.fr",
            "actif": "on",
            "version_lue": "",
        },
    )
    membre = MembreJury.objects.get()
    assert response.status_code == 302 and membre.college == College.FRANCE_TRAVAIL
    liste = texte(client.get(reverse("label:membre_liste")))
    assert "Tisserand" in liste and "France Travail Belfort" in liste


@pytest.mark.parametrize("role", ROLES_SANS_ECRITURE)
def test_membres_interdits(client_for, role):
    response = client_for(role).post(
        reverse("label:membre_creer"),
        {"nom": "X", "organisme": "Y", "college": College.ETAT, "version_lue": ""},
    )
    assert response.status_code == 403
    assert not MembreJury.objects.exists()


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_liste_membres(client_for, django_assert_max_num_queries, n):
    session = f.SessionJuryFactory()
    for _ in range(n):
        f.ConvocationJuryFactory(session=session)
    client = client_for("animateur")
    url = reverse("label:membre_liste")
    client.get(url)
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(6):  # + the access-log entry of the export
        export = client.get(url, {"export": "xlsx"})
        assert b"".join(export.streaming_content).startswith(b"PK")
