"""Labels: list with state, dates changed by the administrator with a reason, renewal reminder
and pre-filled renewal dossier, certificate, public directory and verification."""

import datetime as dt
import io
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from label.models import Axe, DossierLabel, Label, StatutDossier
from label.services import labels as labels_service
from tests import factories as f
from tests.badges import badge

pytestmark = pytest.mark.django_db

AUJOURDHUI = timezone.localdate()
JOUR = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def media_temporaire(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "https://clauses.mife90.fr"


def texte(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def texte_pdf(contenu: bytes) -> str:
    lecteur = PdfReader(io.BytesIO(contenu))
    return " ".join(" ".join(page.extract_text() for page in lecteur.pages).split())


def label_de(nom, obtention, expiration, commune="Belfort", naf="4120A", **kwargs):
    entreprise = f.EntrepriseFactory(
        raison_sociale=nom, commune=commune, code_naf=naf, telephone="03 84 00 00 00"
    )
    f.ContactFactory(entreprise=entreprise, principal=True, email=f"direction@{nom[:5]}.fr")
    animateur = f.UserFactory(email="t.mougin@mife90.fr", role="animateur")
    dossier = f.DossierLabelFactory(
        entreprise=entreprise,
        annee=obtention.year,
        statut=StatutDossier.LABELLISE,
        animateur=animateur,
    )
    return f.LabelFactory(
        dossier=dossier, date_obtention=obtention, date_expiration=expiration, **kwargs
    )


@pytest.fixture
def labels():
    return {
        "valide": label_de("Bâtiments du Lion", AUJOURDHUI - 100 * JOUR, AUJOURDHUI + 900 * JOUR),
        "bientot": label_de(
            "Propreté 90",
            AUJOURDHUI - 1000 * JOUR,
            AUJOURDHUI + 60 * JOUR,
            commune="Delle",
            naf="8121Z",
        ),
        "expire": label_de("Miotte Services", AUJOURDHUI - 1200 * JOUR, AUJOURDHUI - 5 * JOUR),
        "a_venir": label_de("Savoureuse Bois", AUJOURDHUI + 10 * JOUR, AUJOURDHUI + 1100 * JOUR),
    }


# --- list --------------------------------------------------------------------------------------


def test_liste_des_labels_avec_leur_etat(client_for, labels):
    client = client_for("direction")
    response = client.get(reverse("label:label_liste"))
    page = texte(response)
    assert badge("valide", "En cours de validité") in page
    assert badge("expire", "Expiré") in page
    assert badge("a_venir", "Pas encore en vigueur") in page
    noms = [label.entreprise.raison_sociale for label in response.context["object_list"]]
    assert noms == ["Miotte Services", "Propreté 90", "Bâtiments du Lion", "Savoureuse Bois"]


@pytest.mark.parametrize(
    "etat, attendus",
    [
        ("valide", ["Propreté 90", "Bâtiments du Lion"]),
        ("expire", ["Miotte Services"]),
        ("a_venir", ["Savoureuse Bois"]),
        ("a_renouveler", ["Propreté 90"]),
    ],
)
def test_filtre_par_etat(client_for, labels, etat, attendus):
    response = client_for("animateur").get(reverse("label:label_liste"), {"etat": etat})
    assert [x.entreprise.raison_sociale for x in response.context["object_list"]] == attendus


def test_export_des_labels(client_for, labels):
    response = client_for("animateur").get(
        reverse("label:label_liste"), {"etat": "expire", "export": "xlsx"}
    )
    lignes = list(
        load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(
            values_only=True
        )
    )
    assert lignes[0] == (
        "Entreprise",
        "Commune",
        "Numéro",
        "Obtenu le",
        "Expire le",
        "État",
        "Rappel envoyé le",
    )
    label = labels["expire"]
    assert lignes[1][:6] == (
        "Miotte Services",
        "Belfort",
        label.numero,
        dt.datetime.combine(label.date_obtention, dt.time()),
        dt.datetime.combine(label.date_expiration, dt.time()),
        "Expiré",
    )


@pytest.mark.parametrize("role", ["suivi", None])
def test_liste_interdite(client_for, labels, role):
    assert client_for(role).get(reverse("label:label_liste")).status_code == 403


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_liste_labels(client_for, django_assert_max_num_queries, n):
    for i in range(n):
        f.LabelFactory(date_obtention=AUJOURDHUI - i * JOUR)
    client = client_for("animateur")
    url = reverse("label:label_liste")
    client.get(url)
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(6):  # + the access-log entry of the export
        export = client.get(url, {"export": "xlsx"})
        assert b"".join(export.streaming_content).startswith(b"PK")


# --- dates: administrator only, with a reason --------------------------------------------------


def test_l_administrateur_modifie_les_dates_avec_un_motif(client_for, labels):
    label = labels["valide"]
    client = client_for("admin")
    url = reverse("label:label_dates", args=[label.pk])
    response = client.post(
        url,
        {
            "date_obtention": label.date_obtention.isoformat(),
            "date_expiration": (label.date_expiration + 30 * JOUR).isoformat(),
            "motif": "Session reportée d'un mois par la préfecture.",
            "version_lue": label.version,
        },
    )
    assert response.status_code == 302
    label.refresh_from_db()
    assert label.date_expiration == AUJOURDHUI + 930 * JOUR
    derniere = label.history.first()
    assert derniere.history_change_reason == "Session reportée d'un mois par la préfecture."
    assert derniere.history_user == client.user
    entree = label.dossier.journal.get()
    assert entree.commentaire == "Session reportée d'un mois par la préfecture."


@pytest.mark.parametrize(
    "modifs, champ, message",
    [
        ({"date_expiration": "2020-01-01"}, "date_expiration", "ne peut pas se terminer avant"),
        ({"motif": ""}, "motif", "Ce champ est obligatoire."),
        ({"date_obtention": "32/13/2026"}, "date_obtention", "Saisissez une date valide."),
    ],
)
def test_dates_invalides(client_for, labels, modifs, champ, message):
    label = labels["valide"]
    donnees = {
        "date_obtention": label.date_obtention.isoformat(),
        "date_expiration": label.date_expiration.isoformat(),
        "motif": "Correction.",
        "version_lue": label.version,
        **modifs,
    }
    response = client_for("admin").post(reverse("label:label_dates", args=[label.pk]), donnees)
    assert response.status_code == 200
    erreurs = response.context["formulaires"]["dates"].errors[champ]
    assert any(message in e for e in erreurs), erreurs
    avant = (label.date_obtention, label.date_expiration, label.version)
    label.refresh_from_db()
    assert (label.date_obtention, label.date_expiration, label.version) == avant


def test_service_refuse_une_fin_avant_le_debut(labels):
    label = labels["valide"]
    with pytest.raises(Exception, match="ne peut pas se terminer avant"):
        labels_service.modifier_dates(
            label, AUJOURDHUI, AUJOURDHUI - JOUR, "Erreur", label.version, None
        )


@pytest.mark.parametrize("role", ["animateur", "facilitateur", "direction", "suivi", None])
def test_dates_reservees_a_l_administrateur(client_for, labels, role):
    label = labels["valide"]
    response = client_for(role).post(
        reverse("label:label_dates", args=[label.pk]),
        {
            "date_obtention": "2020-01-01",
            "date_expiration": "2030-01-01",
            "motif": "x",
            "version_lue": label.version,
        },
    )
    assert response.status_code == 403
    label.refresh_from_db()
    assert label.date_obtention == AUJOURDHUI - 100 * JOUR


# --- renewal -----------------------------------------------------------------------------------


def test_rappel_de_renouvellement_six_mois_avant(labels):
    sortie = StringIO()
    call_command("rappels_label", "--dry-run", stdout=sortie)
    assert "À envoyer : Propreté 90" in sortie.getvalue() and mail.outbox == []

    call_command("rappels_label", stdout=StringIO())
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["direction@Propr.fr", "t.mougin@mife90.fr"]
    label = labels["bientot"]
    assert label.numero in message.body
    assert f"arrive à échéance le {label.date_expiration:%d/%m/%Y}" in message.body
    label.refresh_from_db()
    assert label.relance_renouvellement_le is not None

    call_command("rappels_label", stdout=StringIO())  # once per label
    assert len(mail.outbox) == 1


def test_accueil_de_l_animateur_montre_les_labels_a_renouveler(client_for, labels):
    page = texte(client_for("animateur").get(reverse("accueil")))
    assert "Propreté 90" in page and "Bâtiments du Lion" not in page
    assert reverse("label:label_detail", args=[labels["bientot"].pk]) in page


def test_preparer_le_renouvellement(client_for, labels):
    label = labels["bientot"]
    precedent = label.dossier
    precedent.bonnes_pratiques = "Témoignages au réseau."
    precedent.save()
    f.ActionLabelFactory(dossier=precedent, axe=Axe.SCOLAIRES, theme="", intitule="Stages de 3e")
    client = client_for("animateur")
    page = texte(client.get(label.get_absolute_url()))
    assert "Préparer le renouvellement" in page
    response = client.post(reverse("label:label_renouveler", args=[label.pk]))
    dossier = DossierLabel.objects.get(renouvellement=True)
    assert response.url == dossier.get_absolute_url()
    assert dossier.statut == StatutDossier.EN_PREPARATION
    assert dossier.dossier_precedent == precedent and dossier.annee == AUJOURDHUI.year
    assert dossier.bonnes_pratiques == "Témoignages au réseau."
    action = dossier.actions.get()
    assert (action.intitule, action.date_debut, action.personnes) == ("Stages de 3e", None, None)
    assert "Renouvellement du label" in dossier.journal.get().description
    # Only one dossier in progress: a second renewal is refused.
    response = client.post(reverse("label:label_renouveler", args=[label.pk]), follow=True)
    assert "a déjà un dossier en cours" in texte(response)
    assert DossierLabel.objects.filter(renouvellement=True).count() == 1


@pytest.mark.parametrize("role", ["facilitateur", "direction", "suivi", None])
def test_renouvellement_interdit(client_for, labels, role):
    response = client_for(role).post(reverse("label:label_renouveler", args=[labels["bientot"].pk]))
    assert response.status_code == 403
    assert not DossierLabel.objects.filter(renouvellement=True).exists()


# --- certificate, directory, verification ------------------------------------------------------


def test_certificat(client_for, labels):
    label = labels["valide"]
    response = client_for("direction").get(reverse("label:label_certificat", args=[label.pk]))
    assert response["Content-Type"] == "application/pdf"
    contenu = texte_pdf(response.content)
    assert "Certificat de labellisation Empl'itudes" in contenu
    assert "Bâtiments du Lion" in contenu and "Belfort — Construction" in contenu
    assert f"Label n° {label.numero}" in contenu
    assert (
        f"valable du {label.date_obtention:%d/%m/%Y} au {label.date_expiration:%d/%m/%Y}" in contenu
    )
    url = f"https://clauses.mife90.fr/label/verifier/{label.code_verification}/"
    assert url in contenu
    assert "SIRET" not in contenu and "03 84 00 00 00" not in contenu


def test_annuaire_public(labels):
    anonyme = Client()
    response = anonyme.get(reverse("label:annuaire"))
    assert response.status_code == 200
    page = texte(response)
    assert "Bâtiments du Lion" in page and "Propreté 90" in page
    assert "Miotte Services" not in page and "Savoureuse Bois" not in page
    assert "Construction" in page and "Delle" in page
    label = labels["valide"]
    assert label.date_obtention.strftime("%d/%m/%Y") in page
    # Nothing else: no identifier, contact, number or link to the internal pages.
    for interdit in (
        label.entreprise.identifiant,
        "03 84 00 00 00",
        "direction@",
        label.numero,
        label.code_verification,
        "/entreprises/",
        "/label/dossiers/",
    ):
        assert interdit not in page, interdit


@pytest.mark.parametrize(
    "params, attendus",
    [
        ({"commune": "Delle"}, ["Propreté 90"]),
        ({"secteur": "Construction"}, ["Bâtiments du Lion"]),
        ({"q": "lion"}, ["Bâtiments du Lion"]),
        ({"secteur": "Inconnu"}, []),
    ],
)
def test_annuaire_filtres(labels, params, attendus):
    response = Client().get(reverse("label:annuaire"), params)
    assert [x.entreprise for x in response.context["fiches"]] == attendus


@pytest.mark.parametrize("n", [3, 40])
def test_requetes_annuaire(django_assert_max_num_queries, n):
    for i in range(n):
        f.LabelFactory(date_obtention=AUJOURDHUI - i * JOUR)
    anonyme = Client()
    url = reverse("label:annuaire")
    anonyme.get(url)
    with django_assert_max_num_queries(4):
        assert anonyme.get(url).status_code == 200


def test_verification_publique(labels):
    anonyme = Client()
    label = labels["valide"]
    page = texte(anonyme.get(reverse("label:verifier", args=[label.code_verification])))
    assert "Certificat authentique, label en cours de validité." in page
    assert "Bâtiments du Lion" in page and label.numero in page and "Construction" in page
    assert label.entreprise.identifiant not in page
    expire = labels["expire"]
    page = texte(anonyme.get(reverse("label:verifier", args=[expire.code_verification])))
    assert "mais le label a expiré le" in page
    response = anonyme.get(reverse("label:verifier", args=["code-inconnu"]))
    assert response.status_code == 404
    assert "Aucun certificat ne correspond à ce code." in texte(response)


def test_admin_dates_sans_motif_refusees(client, make_user, labels):
    admin = make_user("admin", is_staff=True)
    client.force_login(admin)
    label = labels["valide"]
    url = reverse("admin:label_label_change", args=[label.pk])
    donnees = {
        "entreprise": label.entreprise_id,
        "dossier": label.dossier_id,
        "date_obtention": label.date_obtention.isoformat(),
        "date_expiration": (label.date_expiration + JOUR).isoformat(),
        "motif": "",
        "version_lue": label.version,
    }
    response = client.post(url, donnees)
    assert response.status_code == 200
    assert "Indiquez le motif de la modification des dates." in texte(response)
    donnees["motif"] = "Erreur de saisie."
    assert client.post(url, donnees).status_code == 302
    label.refresh_from_db()
    assert label.history.first().history_change_reason == "Erreur de saisie."


def test_numerotation_des_labels():
    dossier = f.DossierLabelFactory(statut=StatutDossier.LABELLISE)
    premier = labels_service.attribuer(dossier, dt.date(2026, 6, 12), None)
    autre = f.DossierLabelFactory(statut=StatutDossier.LABELLISE)
    second = labels_service.attribuer(autre, dt.date(2026, 6, 12), None)
    assert (premier.numero, second.numero) == ("EMP-2026-001", "EMP-2026-002")
    assert premier.date_expiration == dt.date(2029, 6, 12)
    assert Label.objects.count() == 2
