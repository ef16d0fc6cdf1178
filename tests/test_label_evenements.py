"""Network events: creation, invitations by e-mail (.ics), attendance, Excel export; the
company's page shows its label history and the events it attended."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from openpyxl import load_workbook

from label.models import EvenementAnimation, ParticipationEvenement, StatutDossier
from tests import factories as f

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
ROLES_SANS_ECRITURE = ["facilitateur", "direction", "suivi", None]


def texte(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def messages_de(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


@pytest.fixture
def entreprises():
    lion = f.EntrepriseFactory(raison_sociale="Bâtiments du Lion", commune="Belfort")
    f.ContactFactory(
        entreprise=lion,
        civilite="Mme",
        prenom="Julie",
        nom="Perrin",
        principal=True,
        email="j.perrin@lion.fr",
    )
    f.ContactFactory(entreprise=lion, principal=False, email="autre@lion.fr")
    vauban = f.EntrepriseFactory(raison_sociale="Menuiserie Vauban", commune="Delle", email="")
    f.ContactFactory(entreprise=vauban, prenom="Marc", nom="Weber", email="m.weber@vauban.fr")
    f.ContactFactory(entreprise=vauban, prenom="Léa", nom="Roy", email="l.roy@vauban.fr")
    sans = f.EntrepriseFactory(raison_sociale="Sans Adresse SARL", email="")
    return lion, vauban, sans


def evenement_a_venir(**kwargs):
    date = dt.datetime.combine(
        timezone.localdate() + dt.timedelta(days=20), dt.time(8, 30), tzinfo=PARIS
    )
    return f.EvenementAnimationFactory(
        titre="Petit-déjeuner du réseau Empl'itudes",
        theme="Recruter autrement",
        date=date,
        lieu="CCI du Territoire de Belfort",
        **kwargs,
    )


def test_creer_un_evenement(client_for):
    client = client_for("animateur")
    response = client.post(
        reverse("label:evenement_creer"),
        {
            "titre": "Visite de chantier",
            "theme": "Tutorat sur chantier",
            "date": "2027-02-11T14:00",
            "lieu": "Quartier des Résidences, Belfort",
            "description": "",
            "version_lue": "",
        },
    )
    evenement = EvenementAnimation.objects.get()
    assert response.url == evenement.get_absolute_url()
    assert timezone.localtime(evenement.date) == dt.datetime(2027, 2, 11, 14, tzinfo=PARIS)


def test_evenement_saisie_invalide(client_for):
    response = client_for("animateur").post(
        reverse("label:evenement_creer"),
        {"titre": "", "date": "demain", "version_lue": ""},
    )
    page = texte(response)
    assert ">Titre</a>" in page and ">Date</a>" in page
    assert not EvenementAnimation.objects.exists()


def test_invitations_par_e_mail(client_for, entreprises):
    lion, vauban, sans = entreprises
    evenement = evenement_a_venir()
    client = client_for("animateur")
    response = client.post(
        reverse("label:evenement_inviter", args=[evenement.pk]),
        {"entreprises": [lion.pk, vauban.pk, sans.pk], "envoyer": "1"},
        follow=True,
    )
    assert (
        "3 entreprises ajoutées, 2 invitations envoyées. Sans adresse e-mail : "
        "Sans Adresse SARL." in messages_de(response)
    )
    envoyes = {tuple(m.to): m for m in mail.outbox}
    assert set(envoyes) == {("j.perrin@lion.fr",), ("l.roy@vauban.fr", "m.weber@vauban.fr")}
    message = envoyes[("j.perrin@lion.fr",)]
    assert message.subject.startswith("Invitation — Petit-déjeuner du réseau Empl'itudes")
    assert "Thème : Recruter autrement" in message.body
    assert "Bâtiments du Lion y est invitée." in message.body
    (vevent,) = Calendar.from_ical(message.attachments[0][1]).walk("VEVENT")
    assert vevent.decoded("DTSTART") == evenement.date
    assert str(vevent["LOCATION"]) == "CCI du Territoire de Belfort"
    participation = ParticipationEvenement.objects.get(entreprise=lion)
    assert participation.invitee_le is not None and participation.present is None
    assert [c.nom for c in participation.contacts.all()] == ["Perrin"]
    page = texte(client.get(evenement.get_absolute_url()))
    assert "Mme Julie Perrin" in page


def test_pas_d_invitation_pour_un_evenement_passe(client_for, entreprises):
    lion, *_ = entreprises
    evenement = evenement_a_venir()
    evenement.date = timezone.now() - dt.timedelta(days=1)
    evenement.save()
    client = client_for("animateur")
    response = client.post(
        reverse("label:evenement_inviter", args=[evenement.pk]),
        {"entreprises": [lion.pk], "envoyer": "1"},
        follow=True,
    )
    assert "est passé : aucune invitation n'a été envoyée" in messages_de(response)
    assert mail.outbox == [] and not ParticipationEvenement.objects.exists()
    # Without sending: a company that came without invitation is added.
    client.post(
        reverse("label:evenement_inviter", args=[evenement.pk]),
        {"entreprises": [lion.pk], "envoyer": "0"},
    )
    assert ParticipationEvenement.objects.get().invitee_le is None


def presences(client, evenement, valeurs):
    donnees = {}
    for participation in evenement.participations.all():
        present, nombre = valeurs.get(participation.entreprise.raison_sociale, ("", ""))
        donnees[f"present-{participation.pk}"] = present
        donnees[f"nombre-{participation.pk}"] = nombre
    return client.post(
        reverse("label:evenement_presences", args=[evenement.pk]), donnees, follow=True
    )


def test_presences_et_export_excel(client_for, entreprises):
    lion, vauban, sans = entreprises
    evenement = evenement_a_venir()
    client = client_for("animateur")
    client.post(
        reverse("label:evenement_inviter", args=[evenement.pk]),
        {"entreprises": [lion.pk, vauban.pk, sans.pk], "envoyer": "1"},
    )
    response = presences(client, evenement, {"Bâtiments du Lion": ("oui", "2")})
    assert "n'a pas encore eu lieu" in messages_de(response)

    evenement.date = timezone.now() - dt.timedelta(hours=3)
    evenement.save()
    response = presences(
        client,
        evenement,
        {"Bâtiments du Lion": ("oui", ""), "Menuiserie Vauban": ("non", "")},
    )
    assert "Bâtiments du Lion : indiquez le nombre de personnes présentes." in messages_de(response)
    assert not ParticipationEvenement.objects.filter(present__isnull=False).exists()
    response = presences(
        client,
        evenement,
        {"Bâtiments du Lion": ("oui", "deux")},
    )
    assert "« deux » n'est pas un nombre de personnes" in messages_de(response)

    presences(
        client,
        evenement,
        {"Bâtiments du Lion": ("oui", "2"), "Menuiserie Vauban": ("non", "")},
    )
    etats = dict(
        ParticipationEvenement.objects.values_list("entreprise__raison_sociale", "present")
    )
    assert etats == {
        "Bâtiments du Lion": True,
        "Menuiserie Vauban": False,
        "Sans Adresse SARL": None,
    }

    export = client_for("direction", username="dir").get(
        reverse("label:evenement_presences_xlsx", args=[evenement.pk])
    )
    classeur = load_workbook(io.BytesIO(b"".join(export.streaming_content)))
    lignes = list(classeur.active.iter_rows(values_only=True))
    assert lignes[0][0] == "Petit-déjeuner du réseau Empl'itudes"
    assert lignes[3] == (
        "Entreprise",
        "Commune",
        "Invitée le",
        "Présence",
        "Personnes présentes",
        "Personnes invitées",
    )
    lion_ligne = lignes[4]
    assert lion_ligne[0] == "Bâtiments du Lion" and lion_ligne[1] == "Belfort"
    assert isinstance(lion_ligne[2], dt.datetime)
    assert lion_ligne[3:5] == ("Présente", 2)
    assert lion_ligne[5] == "Mme Julie Perrin <j.perrin@lion.fr>"
    assert lignes[5][3:5] == ("Absente", 0)
    assert lignes[6][0] == "Sans Adresse SARL" and lignes[6][3] == "Non renseignée"
    assert lignes[7][0] == "Total" and lignes[7][4] == 2


@pytest.mark.parametrize("role", ROLES_SANS_ECRITURE)
def test_evenements_en_ecriture_interdits(client_for, entreprises, role):
    lion, *_ = entreprises
    evenement = evenement_a_venir()
    client = client_for(role)
    assert client.get(reverse("label:evenement_creer")).status_code == 403
    response = client.post(
        reverse("label:evenement_inviter", args=[evenement.pk]),
        {"entreprises": [lion.pk], "envoyer": "1"},
    )
    assert response.status_code == 403
    assert client.post(reverse("label:evenement_presences", args=[evenement.pk])).status_code == 403
    assert mail.outbox == [] and not ParticipationEvenement.objects.exists()


def test_liste_des_evenements(client_for, entreprises):
    lion, vauban, _ = entreprises
    passe = f.EvenementAnimationFactory(
        titre="Forum de l'alternance", date=timezone.now() - dt.timedelta(days=30)
    )
    f.ParticipationEvenementFactory(
        evenement=passe, entreprise=lion, present=True, nombre_personnes=3
    )
    f.ParticipationEvenementFactory(
        evenement=passe, entreprise=vauban, present=False, nombre_personnes=0
    )
    evenement_a_venir()
    client = client_for("direction")
    response = client.get(reverse("label:evenement_liste"), {"a_venir": "false"})
    (ligne,) = response.context["object_list"]
    assert (ligne.titre, ligne.nb_invitees, ligne.nb_presentes, ligne.nb_personnes) == (
        "Forum de l'alternance",
        2,
        1,
        3,
    )
    response = client.get(reverse("label:evenement_liste"), {"entreprise": vauban.pk})
    assert list(response.context["object_list"]) == []


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_liste_evenements(client_for, django_assert_max_num_queries, n):
    for _ in range(n):
        f.ParticipationEvenementFactory()
    client = client_for("animateur")
    url = reverse("label:evenement_liste")
    client.get(url)
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(6):  # + the access-log entry of the export
        export = client.get(url, {"export": "xlsx"})
        assert b"".join(export.streaming_content).startswith(b"PK")


# --- the company's page ------------------------------------------------------------------------


def test_fiche_entreprise_historique_label_et_evenements(client_for, entreprises):
    lion, *_ = entreprises
    aujourdhui = timezone.localdate()
    ancien = f.LabelFactory(
        dossier=f.DossierLabelFactory(entreprise=lion, annee=2020, statut=StatutDossier.LABELLISE),
        numero="EMP-2020-004",
        date_obtention=dt.date(2020, 6, 1),
        date_expiration=dt.date(2023, 6, 1),
    )
    courant = f.LabelFactory(
        dossier=f.DossierLabelFactory(entreprise=lion, annee=2024, statut=StatutDossier.LABELLISE),
        numero="EMP-2024-002",
        date_obtention=aujourdhui - dt.timedelta(days=300),
        date_expiration=aujourdhui + dt.timedelta(days=800),
    )
    forum = f.EvenementAnimationFactory(
        titre="Forum de l'alternance", date=timezone.now() - dt.timedelta(days=40)
    )
    f.ParticipationEvenementFactory(
        evenement=forum, entreprise=lion, present=True, nombre_personnes=3
    )
    absent = f.EvenementAnimationFactory(
        titre="Visite manquée", date=timezone.now() - dt.timedelta(days=10)
    )
    f.ParticipationEvenementFactory(evenement=absent, entreprise=lion, present=False)
    for role in ("animateur", "direction", "facilitateur"):
        client = client_for(role, username=f"u-{role}")
        response = client.get(lion.get_absolute_url())
        tableaux = {t.titre: t for t in response.context["tableaux"]}
        historique = tableaux["Historique du label Empl'itudes"]
        assert [ligne[0][0] for ligne in historique.lignes] == ["EMP-2024-002", "EMP-2020-004"]
        assert [ligne[3][0] for ligne in historique.lignes] == ["En cours de validité", "Expiré"]
        assert historique.lignes[0][0][1] == courant.get_absolute_url()
        evenements = tableaux["Événements du réseau auxquels elle a participé"]
        assert [ligne[1][0] for ligne in evenements.lignes] == ["Forum de l'alternance"]
        assert evenements.lignes[0][3][0] == "3"
    assert ancien.pk


def test_fiche_entreprise_sans_droits_label(client_for, entreprises):
    lion, *_ = entreprises
    response = client_for("suivi").get(lion.get_absolute_url())
    titres = [t.titre for t in response.context["tableaux"]]
    assert "Historique du label Empl'itudes" not in titres
    assert "Événements du réseau auxquels elle a participé" not in titres
