"""Creating and editing participants: identity, eligibility criteria, duplicates, protected
criteria, concurrent edits, eligibility on the participant page."""

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from heures.models import (
    CritereEligibilite,
    CritereParticipant,
    Participant,
    StatutDeclaration,
)
from heures.services import participants as services
from tests import factories as f

pytestmark = pytest.mark.django_db

URL_CREER = reverse("heures:participant_creer")


def critere(code: str) -> CritereEligibilite:
    return CritereEligibilite.objects.get(code=code)


def aujourd_hui() -> dt.date:
    return timezone.localdate()


def il_y_a(annees: int = 0, jours: int = 0) -> dt.date:
    jour = services.date_limite_conservation(aujourd_hui(), annees)
    return jour - dt.timedelta(days=jours)


def donnees(criteres=(), initiales=0, **identite) -> dict:
    """POST data of the participant form with its criteria formset."""
    data = {
        "version_lue": identite.pop("version_lue", ""),
        "nom": "Dupont",
        "prenom": "Élodie",
        "sexe": "F",
        "date_naissance": "1990-05-17",
        "commune": "Belfort",
        "code_postal": "90000",
        "telephone": "03 84 00 00 00",
        "email": "elodie.dupont@exemple.fr",
        "date_information": il_y_a(jours=10).isoformat(),
        "notes": "",
        **identite,
    }
    data.update(
        {
            "criteres-TOTAL_FORMS": str(len(criteres)),
            "criteres-INITIAL_FORMS": str(initiales),
            "criteres-MIN_NUM_FORMS": "0",
            "criteres-MAX_NUM_FORMS": "1000",
        }
    )
    for i, ligne in enumerate(criteres):
        for cle, valeur in ligne.items():
            data[f"criteres-{i}-{cle}"] = "" if valeur is None else str(valeur)
    return data


def ligne_critere(code="rsa", prescripteur=None, **kwargs) -> dict:
    ligne = {
        "critere": critere(code).pk,
        "date_validation": il_y_a(jours=30).isoformat(),
        "date_fin_validite": "",
        "prescripteur": prescripteur.pk if prescripteur else "",
        "justification": "Attestation CAF du mois.",
    }
    ligne.update(kwargs)
    return ligne


def ligne_existante(validation: CritereParticipant, **kwargs) -> dict:
    ligne = {
        "id": validation.pk,
        "participant": validation.participant_id,
        "critere": validation.critere_id,
        "date_validation": validation.date_validation.isoformat(),
        "date_fin_validite": (
            validation.date_fin_validite.isoformat() if validation.date_fin_validite else ""
        ),
        "prescripteur": validation.prescripteur_id or "",
        "justification": validation.justification,
    }
    ligne.update(kwargs)
    return ligne


@pytest.fixture
def prescripteur():
    return f.PrescripteurFactory(nom="France Travail Belfort")


@pytest.fixture
def sans_donnees_sensibles(client, make_user):
    """A user who may create and edit participants but not see protected criteria."""
    user = make_user(None, username="editeur")
    codes = [
        "view_participant",
        "add_participant",
        "change_participant",
        "view_critereparticipant",
        "add_critereparticipant",
        "change_critereparticipant",
    ]
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="heures", codename__in=codes)
    )
    client.force_login(user)
    client.user = user
    return client


def erreurs(response) -> str:
    """The page's text, HTML entities decoded (``d&#x27;`` → ``d'``)."""
    return html.unescape(response.content.decode())


# --- permissions ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["facilitateur", "admin"])
def test_pages_de_saisie_ouvertes(client_for, role):
    p = f.ParticipantFactory()
    client = client_for(role)
    assert client.get(URL_CREER).status_code == 200
    assert client.get(reverse("heures:participant_modifier", args=[p.pk])).status_code == 200


@pytest.mark.parametrize("role", ["suivi", "animateur", "direction", None])
def test_pages_de_saisie_interdites(client_for, role):
    p = f.ParticipantFactory(nom="Intact")
    client = client_for(role)
    url_modifier = reverse("heures:participant_modifier", args=[p.pk])
    assert client.get(URL_CREER).status_code == 403
    assert client.get(url_modifier).status_code == 403
    assert client.post(URL_CREER, donnees()).status_code == 403
    assert client.post(url_modifier, donnees(nom="Pirate", version_lue=1)).status_code == 403
    assert Participant.objects.count() == 1
    p.refresh_from_db()
    assert p.nom == "Intact" and p.version == 1


def test_saisie_anonyme_redirige_vers_la_connexion(client):
    response = client.get(URL_CREER)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_liste_action_nouveau_participant(client_for):
    contenu = client_for("facilitateur").get(reverse("heures:participant_liste")).content
    assert "Nouveau participant" in contenu.decode()
    assert URL_CREER in contenu.decode()


def test_liste_sans_action_pour_le_suivi(client_for):
    contenu = client_for("suivi").get(reverse("heures:participant_liste")).content.decode()
    assert "Nouveau participant" not in contenu


def test_fiche_actions_selon_le_role(client_for):
    p = f.ParticipantFactory()
    url_modifier = reverse("heures:participant_modifier", args=[p.pk])
    url_export = reverse("heures:participant_export", args=[p.pk])
    contenu = client_for("facilitateur").get(p.get_absolute_url()).content.decode()
    assert url_modifier in contenu and url_export in contenu
    assert "Exporter les données" in contenu


def test_fiche_sans_actions_pour_le_suivi(client_for):
    p = f.ParticipantFactory()
    contenu = client_for("suivi").get(p.get_absolute_url()).content.decode()
    assert reverse("heures:participant_modifier", args=[p.pk]) not in contenu
    assert "Exporter les données" not in contenu


# --- creation ------------------------------------------------------------------------------


def test_creer_un_participant_avec_ses_criteres(client_for, prescripteur):
    client = client_for("facilitateur", first_name="Camille", last_name="Facilitatrice")
    data = donnees(
        criteres=[
            ligne_critere("rsa", prescripteur),
            ligne_critere(
                "deld",
                prescripteur,
                date_validation=il_y_a(annees=1).isoformat(),
                date_fin_validite=il_y_a(jours=1).isoformat(),
            ),
        ]
    )
    response = client.post(URL_CREER, data)
    p = Participant.objects.get()
    assert response.status_code == 302 and response["Location"] == p.get_absolute_url()
    assert (p.nom, p.prenom, p.sexe, p.date_naissance) == (
        "Dupont",
        "Élodie",
        "F",
        dt.date(1990, 5, 17),
    )
    assert (p.commune, p.code_postal, p.email) == ("Belfort", "90000", "elodie.dupont@exemple.fr")
    assert p.version == 1 and p.modifie_par == client.user
    validations = list(p.criteres_valides.order_by("critere__ordre"))
    assert [v.critere.code for v in validations] == ["deld", "rsa"]
    assert all(v.prescripteur == prescripteur for v in validations)
    assert validations[0].date_fin_validite == il_y_a(jours=1)
    # Traced: who created the record and its criteria.
    creation = p.history.get()
    assert creation.history_type == "+" and creation.history_user == client.user
    assert CritereParticipant.history.filter(participant_id=p.pk, history_type="+").count() == 2
    suivante = client.get(response["Location"])
    assert "Participante « DUPONT Élodie » créée." in suivante.content.decode()


def test_creer_sans_critere(client_for):
    client = client_for("facilitateur")
    response = client.post(URL_CREER, donnees(criteres=[ligne_critere() | {"critere": ""}]))
    # An untouched extra row is ignored, but a row with a criterion missing is an error…
    assert response.status_code == 200
    assert Participant.objects.count() == 0
    # …and a form without any criterion row is accepted.
    response = client.post(URL_CREER, donnees())
    assert response.status_code == 302
    assert Participant.objects.get().criteres_valides.count() == 0


def test_ligne_de_critere_vide_ignoree(client_for):
    client = client_for("facilitateur")
    vide = dict.fromkeys(ligne_critere(), "")
    response = client.post(URL_CREER, donnees(criteres=[vide]))
    assert response.status_code == 302
    assert CritereParticipant.objects.count() == 0


@pytest.mark.parametrize(
    "champ, valeur, message",
    [
        ("date_naissance", "2090-01-01", "La date de naissance est dans le futur"),
        ("date_naissance", None, "moins de 16 ans le jour de son entrée"),
        ("date_naissance", "1850-01-01", "Date de naissance improbable"),
        ("date_naissance", "31/02/1990", "Saisissez une date valide"),
        ("nom", "", "Ce champ est obligatoire"),
        ("sexe", "", "Ce champ est obligatoire"),
        ("date_naissance", "", "Ce champ est obligatoire"),
        ("code_postal", "9000", "Code postal invalide"),
        ("email", "pas-un-email", "Saisissez une adresse de courriel valide"),
        ("date_information", "2090-01-01", "La date d'information ne peut pas être dans le futur"),
    ],
)
def test_identite_invalide_rien_n_est_enregistre(client_for, prescripteur, champ, valeur, message):
    if valeur is None:  # 15 years old today
        valeur = services.date_limite_conservation(aujourd_hui(), 15).isoformat()
    client = client_for("facilitateur")
    data = donnees(criteres=[ligne_critere("rsa", prescripteur)], **{champ: valeur})
    response = client.post(URL_CREER, data)
    assert response.status_code == 200
    contenu = erreurs(response)
    assert message in contenu
    assert "rien n'a été enregistré" in contenu
    form = response.context["formulaires"]["participant"]
    assert champ in form.errors  # next to the field
    assert Participant.objects.count() == 0
    assert CritereParticipant.objects.count() == 0
    # Nothing typed is lost.
    assert "Attestation CAF du mois." in contenu
    assert 'value="Belfort"' in contenu


def test_seize_ans_le_jour_de_l_entree_accepte(client_for):
    client = client_for("facilitateur")
    seize_ans = services.date_limite_conservation(aujourd_hui(), 16).isoformat()
    assert client.post(URL_CREER, donnees(date_naissance=seize_ans)).status_code == 302


@pytest.mark.parametrize(
    "modifs, champ, message",
    [
        (
            {"date_validation": "2024-06-01", "date_fin_validite": "2024-05-31"},
            "date_fin_validite",
            "La fin de validité (31/05/2024) précède la date de validation (01/06/2024).",
        ),
        ({"date_validation": "2090-01-01"}, "date_validation", "ne peut pas être dans le futur"),
        ({"date_validation": ""}, "date_validation", "Ce champ est obligatoire"),
        ({"critere": "999999"}, "critere", "Choisissez un critère de la liste."),
    ],
)
def test_critere_invalide_rien_n_est_enregistre(client_for, prescripteur, modifs, champ, message):
    client = client_for("facilitateur")
    data = donnees(criteres=[ligne_critere("rsa", prescripteur, **modifs)])
    response = client.post(URL_CREER, data)
    assert response.status_code == 200
    assert response.context["formsets"]["criteres"].forms[0].errors[champ]
    assert message in erreurs(response)
    assert "Les critères d'éligibilité contiennent des erreurs" in erreurs(response)
    assert "contrainte" not in erreurs(response)  # one clear message, not the constraint's name
    assert Participant.objects.count() == 0
    assert CritereParticipant.objects.count() == 0


def test_critere_autre_exige_prescripteur_et_justification(client_for):
    client = client_for("facilitateur")
    data = donnees(criteres=[ligne_critere("autre", None, justification="")])
    response = client.post(URL_CREER, data)
    assert response.status_code == 200
    form = response.context["formsets"]["criteres"].forms[0]
    assert "doit être validé par un prescripteur" in str(form.errors["prescripteur"])
    assert "doit être justifié" in str(form.errors["justification"])
    assert Participant.objects.count() == 0


def test_meme_critere_deux_fois_le_meme_jour_refuse(client_for, prescripteur):
    client = client_for("facilitateur")
    data = donnees(criteres=[ligne_critere("rsa", prescripteur), ligne_critere("rsa")])
    response = client.post(URL_CREER, data)
    assert response.status_code == 200
    assert response.context["formsets"]["criteres"].non_form_errors()
    assert Participant.objects.count() == 0


# --- duplicates ----------------------------------------------------------------------------


def test_doublon_signale_puis_creation_confirmee(client_for, prescripteur):
    existant = f.ParticipantFactory(
        nom="DUPONT", prenom="Elodie", sexe="F", date_naissance=dt.date(1990, 5, 17)
    )
    client = client_for("facilitateur")
    data = donnees(nom="dupont", prenom="ÉLODIE", criteres=[ligne_critere("rsa", prescripteur)])
    response = client.post(URL_CREER, data)
    assert response.status_code == 200
    contenu = response.content.decode()
    assert "Un participant <strong>DUPONT Elodie</strong>" in contenu
    assert "existe déjà" in contenu
    assert f'href="{existant.get_absolute_url()}">ouvrir sa fiche</a>' in contenu
    assert "Créer quand même" in contenu
    assert Participant.objects.count() == 1  # nothing saved yet
    assert CritereParticipant.objects.count() == 0
    assert "Attestation CAF du mois." in contenu  # typed data kept

    response = client.post(URL_CREER, {**data, "creer_quand_meme": "1"})
    assert response.status_code == 302
    assert Participant.objects.count() == 2
    nouveau = Participant.objects.exclude(pk=existant.pk).get()
    assert nouveau.criteres_valides.count() == 1


def test_confirmation_conservee_si_la_page_revient_en_erreur(client_for, prescripteur):
    """Confirmed, then an error elsewhere: the page keeps the confirmation (hidden field) and
    does not ask again once the error is fixed."""
    f.ParticipantFactory(nom="DUPONT", prenom="Elodie", date_naissance=dt.date(1990, 5, 17))
    client = client_for("facilitateur")
    data = donnees(criteres=[ligne_critere("rsa", prescripteur)], creer_quand_meme="1")
    response = client.post(URL_CREER, {**data, "code_postal": "9000"})
    assert response.status_code == 200
    contenu = response.content.decode()
    assert "Créer quand même" not in contenu
    assert '<input type="hidden" name="creer_quand_meme" value="1">' in contenu
    assert Participant.objects.count() == 1
    response = client.post(URL_CREER, data)
    assert response.status_code == 302
    assert Participant.objects.count() == 2


def test_pas_de_confirmation_demandee_en_modification(client_for):
    existant = f.ParticipantFactory(nom="Martin", prenom="Léa", date_naissance=dt.date(1990, 5, 17))
    autre = f.ParticipantFactory(nom="Martin", prenom="Léa", date_naissance=dt.date(1991, 1, 1))
    client = client_for("facilitateur")
    data = donnees(
        nom="Martin", prenom="Léa", version_lue=autre.version, date_naissance="1990-05-17"
    )
    response = client.post(reverse("heures:participant_modifier", args=[autre.pk]), data)
    assert response.status_code == 302
    autre.refresh_from_db()
    assert autre.date_naissance == existant.date_naissance


def test_pas_de_doublon_si_autre_date_de_naissance(client_for):
    f.ParticipantFactory(nom="Dupont", prenom="Élodie", date_naissance=dt.date(1990, 5, 18))
    client = client_for("facilitateur")
    assert client.post(URL_CREER, donnees()).status_code == 302
    assert Participant.objects.count() == 2


def test_doublons_possibles_ignorent_casse_accents_et_anonymises():
    naissance = dt.date(1985, 1, 2)
    meme = f.ParticipantFactory(nom="Lefèvre", prenom="Jean-Noël", date_naissance=naissance)
    f.ParticipantFactory(nom="Lefèvre", prenom="Jean", date_naissance=naissance)
    f.ParticipantFactory(
        nom="Lefevre", prenom="Jean-Noel", date_naissance=naissance, anonymise_le=timezone.now()
    )
    trouves = services.doublons_possibles("  LEFEVRE ", "jean-noel", naissance)
    assert trouves == [meme]
    assert services.doublons_possibles("Lefevre", "Jean-Noel", naissance, exclure_pk=meme.pk) == []


# --- editing -------------------------------------------------------------------------------


def test_modifier_identite_et_criteres(client_for, prescripteur):
    p = f.ParticipantFactory(nom="Martin", prenom="Karim", telephone="0600000000")
    garde = f.CritereParticipantFactory(participant=p, critere=critere("deld"))
    supprime = f.CritereParticipantFactory(participant=p, critere=critere("rsa"))
    client = client_for("facilitateur")
    url = reverse("heures:participant_modifier", args=[p.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="version_lue" value="1"' in page.content.decode()
    data = donnees(
        nom="Martin",
        prenom="Karim",
        sexe=p.sexe,
        date_naissance=p.date_naissance.isoformat(),
        telephone="0700000000",
        version_lue=1,
        initiales=2,
        criteres=[
            ligne_existante(garde, date_fin_validite=il_y_a(jours=-365).isoformat()),
            ligne_existante(supprime, DELETE="on"),
            ligne_critere("jeune", prescripteur),
        ],
    )
    response = client.post(url, data)
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.telephone == "0700000000" and p.version == 2
    assert sorted(p.criteres_valides.values_list("critere__code", flat=True)) == ["deld", "jeune"]
    garde.refresh_from_db()
    assert garde.date_fin_validite == il_y_a(jours=-365)
    assert not CritereParticipant.objects.filter(pk=supprime.pk).exists()
    modification = p.history.latest()
    assert modification.history_type == "~" and modification.history_user == client.user
    assert modification.prev_record.telephone == "0600000000"
    assert CritereParticipant.history.filter(id=supprime.pk, history_type="-").exists()
    fiche = client.get(p.get_absolute_url()).content.decode()
    assert "« 0600000000 » → « 0700000000 »" in fiche


def test_modification_concurrente_refusee(client_for, make_user):
    p = f.ParticipantFactory(nom="Martin", prenom="Karim", telephone="0600000000")
    client = client_for("facilitateur")
    url = reverse("heures:participant_modifier", args=[p.pk])
    client.get(url)  # opened with version 1
    collegue = make_user("facilitateur", username="collegue", first_name="Nadia", last_name="Roux")
    p.telephone = "0611111111"
    services.enregistrer_participant(p, 1, collegue)
    p.refresh_from_db()
    data = donnees(
        nom="Martin",
        prenom="Karim",
        sexe=p.sexe,
        date_naissance=p.date_naissance.isoformat(),
        telephone="0799999999",
        version_lue=1,
    )
    response = client.post(url, data)
    assert response.status_code == 200
    contenu = response.content.decode()
    quand = date_format(timezone.localtime(p.modifie_le), "DATETIME_FORMAT")
    assert f"Enregistrement refusé : Nadia Roux a modifié cette fiche le {quand}" in contenu
    p.refresh_from_db()
    assert p.telephone == "0611111111" and p.version == 2
    assert 'value="0799999999"' in contenu  # what was typed is still there


def test_participant_anonymise_non_modifiable(client_for):
    p = f.ParticipantFactory(anonymise_le=timezone.now(), nom="ANONYME")
    client = client_for("facilitateur")
    url = reverse("heures:participant_modifier", args=[p.pk])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == p.get_absolute_url()
    response = client.post(url, donnees(version_lue=1), follow=True)
    assert "anonymisé : sa fiche ne peut plus être modifiée" in response.content.decode()
    p.refresh_from_db()
    assert p.nom == "ANONYME" and p.version == 1
    fiche = client.get(p.get_absolute_url()).content.decode()
    assert url not in fiche


def test_modifier_introuvable(client_for):
    client = client_for("facilitateur")
    assert client.get(reverse("heures:participant_modifier", args=[999999])).status_code == 404


# --- protected criteria --------------------------------------------------------------------


def test_facilitateur_saisit_un_critere_protege(client_for, prescripteur):
    client = client_for("facilitateur")
    page = client.get(URL_CREER).content.decode()
    assert f'value="{critere("rqth").pk}"' in page
    response = client.post(URL_CREER, donnees(criteres=[ligne_critere("rqth", prescripteur)]))
    assert response.status_code == 302
    assert Participant.objects.get().criteres_valides.get().critere.code == "rqth"


def test_critere_protege_ni_propose_ni_accepte(sans_donnees_sensibles, prescripteur):
    client = sans_donnees_sensibles
    page = client.get(URL_CREER).content.decode()
    assert f'value="{critere("rqth").pk}"' not in page
    assert "Travailleur handicapé" not in page
    assert f'value="{critere("rsa").pk}"' in page
    # A crafted POST with the protected criterion's id is refused, nothing saved.
    response = client.post(URL_CREER, donnees(criteres=[ligne_critere("rqth", prescripteur)]))
    assert response.status_code == 200
    assert "Choisissez un critère de la liste." in response.content.decode()
    assert Participant.objects.count() == 0 and CritereParticipant.objects.count() == 0


def test_critere_protege_existant_preserve(sans_donnees_sensibles, prescripteur):
    p = f.ParticipantFactory(nom="Martin", prenom="Karim")
    rqth = f.CritereParticipantFactory(
        participant=p,
        critere=critere("rqth"),
        prescripteur=f.PrescripteurFactory(nom="MDPH du Territoire"),
        justification="Notification MDPH",
    )
    rsa = f.CritereParticipantFactory(participant=p, critere=critere("rsa"))
    avant = CritereParticipant.objects.filter(pk=rqth.pk).values().get()
    historique_avant = CritereParticipant.history.filter(id=rqth.pk).count()
    client = sans_donnees_sensibles
    url = reverse("heures:participant_modifier", args=[p.pk])
    page = client.get(url).content.decode()
    assert "Travailleur handicapé" not in page and "Notification MDPH" not in page
    assert "protégé" not in page and "données de santé" not in page
    assert page.count('name="criteres-0-id"') == 1 and f'value="{rsa.pk}"' in page
    data = donnees(
        nom="Martin",
        prenom="Karim",
        sexe=p.sexe,
        date_naissance=p.date_naissance.isoformat(),
        telephone="0700000000",
        version_lue=1,
        initiales=1,
        criteres=[ligne_existante(rsa, DELETE="on")],
    )
    response = client.post(url, data)
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.telephone == "0700000000"
    assert list(p.criteres_valides.all()) == [rqth]
    assert CritereParticipant.objects.filter(pk=rqth.pk).values().get() == avant
    assert CritereParticipant.history.filter(id=rqth.pk).count() == historique_avant


@pytest.mark.parametrize("action", ["modifier", "supprimer", "requalifier"])
def test_critere_protege_requete_fabriquee_refusee(sans_donnees_sensibles, action):
    p = f.ParticipantFactory(nom="Martin", prenom="Karim")
    rqth = f.CritereParticipantFactory(participant=p, critere=critere("rqth"))
    avant = CritereParticipant.objects.filter(pk=rqth.pk).values().get()
    modifs = {
        "modifier": {"justification": "changé"},
        "supprimer": {"DELETE": "on"},
        "requalifier": {"critere": critere("rsa").pk},
    }[action]
    data = donnees(
        nom="Martin",
        prenom="Karim",
        sexe=p.sexe,
        date_naissance=p.date_naissance.isoformat(),
        telephone="0700000000",
        version_lue=1,
        initiales=1,
        criteres=[ligne_existante(rqth, **modifs)],
    )
    response = sans_donnees_sensibles.post(
        reverse("heures:participant_modifier", args=[p.pk]), data
    )
    assert response.status_code == 200
    assert "rien n'a été enregistré" in erreurs(response).lower()
    p.refresh_from_db()
    assert p.version == 1 and p.telephone != "0700000000"
    assert CritereParticipant.objects.filter(pk=rqth.pk).values().get() == avant


def test_service_refuse_un_critere_protege_sans_le_droit(make_user):
    user = make_user("suivi")
    p = f.ParticipantFactory()
    nouveau = CritereParticipant(
        critere=critere("rqth"), date_validation=il_y_a(jours=3), justification=""
    )
    with pytest.raises(PermissionDenied):
        services.enregistrer_participant(p, 1, user, criteres=[nouveau])
    existant = f.CritereParticipantFactory(participant=p, critere=critere("rqth"))
    with pytest.raises(PermissionDenied):
        services.enregistrer_participant(p, 1, user, criteres_supprimes=[existant])
    existant.critere = critere("rsa")  # hiding a protected criterion under another label
    with pytest.raises(PermissionDenied):
        services.enregistrer_participant(p, 1, user, criteres=[existant])
    p.refresh_from_db()
    assert p.version == 1
    assert CritereParticipant.objects.get(pk=existant.pk).critere.code == "rqth"


# --- eligibility on the participant page ---------------------------------------------------


@pytest.fixture
def eligible():
    p = f.ParticipantFactory(nom="Petit", prenom="Léa")
    f.CritereParticipantFactory(
        participant=p,
        critere=critere("rqth"),
        date_validation=il_y_a(annees=1),
        date_fin_validite=None,
    )
    f.CritereParticipantFactory(
        participant=p,
        critere=critere("rsa"),
        date_validation=il_y_a(annees=2),
        date_fin_validite=il_y_a(annees=1, jours=1),
    )
    return p


def test_fiche_eligible_aujourd_hui_et_pourquoi(client_for, eligible):
    response = client_for("facilitateur").get(eligible.get_absolute_url())
    contenu = erreurs(response)
    assert f"Éligibilité aujourd'hui ({aujourd_hui():%d/%m/%Y})" in contenu
    assert "Éligible</span>" in contenu
    assert "au titre de : Travailleur handicapé" in contenu
    assert response.context["eligibilite"]["raisons"] == [critere("rqth").libelle]


def test_fiche_eligibilite_a_une_autre_date(client_for, eligible):
    client = client_for("facilitateur")
    jour = il_y_a(annees=1, jours=10)  # only the RSA was valid then
    response = client.get(eligible.get_absolute_url(), {"eligible_le": jour.isoformat()})
    assert f"Éligibilité au {jour:%d/%m/%Y}" in response.content.decode()
    assert response.context["eligibilite"]["raisons"] == ["Bénéficiaire du RSA"]
    avant = il_y_a(annees=3)
    response = client.get(eligible.get_absolute_url(), {"eligible_le": avant.isoformat()})
    assert response.context["eligibilite"]["eligible"] is False
    assert "Non éligible" in response.content.decode()
    response = client.get(eligible.get_absolute_url(), {"eligible_le": "pas-une-date"})
    assert response.status_code == 200
    assert response.context["eligibilite"]["jour"] == aujourd_hui()
    assert "Date invalide" in response.content.decode()


def test_fiche_eligibilite_masque_le_critere_protege(client_for, eligible):
    response = client_for("suivi").get(eligible.get_absolute_url())
    contenu = response.content.decode()
    assert "Éligible</span>" in contenu
    assert "handicap" not in contenu.lower() and "protégé" not in contenu
    assert response.context["eligibilite"]["raisons"] == []


def test_fiche_heures_par_mois(client_for):
    p = f.ParticipantFactory()
    mission = f.MissionFactory(participant=p, reference="M-TL-1")
    for mois, heures, statut in [
        (dt.date(2024, 3, 1), "35", StatutDeclaration.VALIDEE),
        (dt.date(2024, 4, 1), "12.5", StatutDeclaration.VALIDEE),
        (dt.date(2024, 5, 1), "99", StatutDeclaration.BROUILLON),
    ]:
        d = f.DeclarationMensuelleFactory(lot=mission.lot, mois=mois, statut=statut)
        f.LigneDeclarationFactory(declaration=d, mission=mission, heures=Decimal(heures))
    response = client_for("facilitateur").get(p.get_absolute_url())
    tableau = response.context["tableaux"][-1]
    assert tableau.titre == "Heures validées par mois"
    assert [(ligne[0][0], ligne[3][0]) for ligne in tableau.lignes] == [
        ("mars 2024", "35 h"),
        ("avril 2024", "12,5 h"),
    ]


# --- query counts --------------------------------------------------------------------------


def _participant_charge(n: int) -> Participant:
    p = f.ParticipantFactory()
    lot = f.LotFactory(date_debut=dt.date(2020, 1, 1), date_fin=dt.date(2026, 1, 1))
    codes = ["deld", "rsa", "rqth", "jeune", "siae", "qpv", "senior", "ass_aah", "autre"]
    for i in range(n):
        f.CritereParticipantFactory(
            participant=p,
            critere=critere(codes[i % len(codes)]),
            date_validation=dt.date(2020, 1, 1) + dt.timedelta(days=i),
        )
        mission = f.MissionFactory(participant=p, lot=lot, reference=f"M-N-{i:03d}")
        d = f.DeclarationMensuelleFactory(
            lot=lot,
            entreprise=lot.titulaire,
            mois=dt.date(2020 + i // 12, i % 12 + 1, 1),
            statut=StatutDeclaration.VALIDEE,
        )
        f.LigneDeclarationFactory(declaration=d, mission=mission, heures=Decimal("7"))
    return p


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_fiche_participant(client_for, django_assert_max_num_queries, n):
    p = _participant_charge(n)
    client = client_for("facilitateur")
    client.get(p.get_absolute_url())  # warm the session
    with django_assert_max_num_queries(16):  # 13 + second factor + access log (+1 margin)
        response = client.get(p.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["tableaux"][1].lignes) == n


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_page_de_modification(client_for, django_assert_max_num_queries, n):
    p = _participant_charge(n)
    client = client_for("facilitateur")
    url = reverse("heures:participant_modifier", args=[p.pk])
    client.get(url)
    # 10 for the page, plus the access log entry of the consultation (one INSERT).
    with django_assert_max_num_queries(11):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_liste_participants_facilitateur(client_for, django_assert_max_num_queries, n):
    for i in range(n):
        p = f.ParticipantFactory(nom=f"NOM{i:03d}")
        f.CritereParticipantFactory(participant=p, critere=critere("rqth"))
    client = client_for("facilitateur")
    url = reverse("heures:participant_liste")
    client.get(url)
    # 11: the page shows protected criteria to a facilitator, so it writes one access-log
    # entry (journal.Action.CONSULTATION_LISTE), whatever the number of rows.
    with django_assert_max_num_queries(11):
        assert client.get(url).status_code == 200
