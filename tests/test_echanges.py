"""Accompagnement des entreprises: exchanges with companies and their next actions."""

import datetime as dt
from html import unescape
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from openpyxl import load_workbook

from marches import services
from marches.models import Echange, TypeEchange
from mife import roles
from mife.core import formats
from tests import factories as f

pytestmark = pytest.mark.django_db

AUJOURDHUI = timezone.localdate()
HIER = AUJOURDHUI - dt.timedelta(days=1)


def texte(response) -> str:
    return unescape(response.content.decode())


def creer_url(entreprise, lot=None) -> str:
    url = reverse("marches:echange_creer", args=[entreprise.pk])
    return f"{url}?lot={lot.pk}" if lot else url


def saisie(**champs) -> dict:
    data = {
        "version_lue": "",
        "type": TypeEchange.VISITE_CHANTIER,
        "date": HIER.isoformat(),
        "lot": "",
        "note": "Visite du chantier : deux postes de manœuvre à pourvoir en mars.",
        "prochaine_action": "Envoyer deux candidatures",
        "echeance": (AUJOURDHUI + dt.timedelta(days=5)).isoformat(),
    }
    data.update(champs)
    return data


@pytest.fixture
def lion():
    """A company with a lot in each role, and a lot it has nothing to do with."""
    entreprise = f.EntrepriseFactory(raison_sociale="Maçonnerie du Lion")
    titulaire = f.LotFactory(titulaire=entreprise, intitule="Gros œuvre")
    cotraitance = f.LotFactory(intitule="Voirie", cotraitants=[entreprise])
    sous_traitance = f.LotFactory(intitule="Espaces verts", sous_traitants=[entreprise])
    autre = f.LotFactory(intitule="Peinture d'un autre")
    return entreprise, titulaire, cotraitance, sous_traitance, autre


# --- logging an exchange ------------------------------------------------------------------


def test_noter_un_echange_depuis_la_fiche_entreprise(client_for, lion):
    entreprise, titulaire, cotraitance, sous_traitance, _ = lion
    client = client_for(roles.FACILITATEUR)
    page = client.get(creer_url(entreprise))
    assert page.status_code == 200
    assert "Noter un échange avec Maçonnerie du Lion" in texte(page)
    form = page.context["formulaires"]["echange"]
    assert set(form.fields["lot"].queryset) == {titulaire, cotraitance, sous_traitance}
    assert form["date"].value() == AUJOURDHUI

    response = client.post(creer_url(entreprise), saisie(lot=cotraitance.pk))

    echange = Echange.objects.get()
    assert response.status_code == 302
    assert response["Location"] == entreprise.get_absolute_url()
    assert (echange.entreprise, echange.lot, echange.type) == (
        entreprise,
        cotraitance,
        TypeEchange.VISITE_CHANTIER,
    )
    assert (echange.auteur, echange.modifie_par, echange.version) == (client.user, client.user, 1)
    assert echange.date == HIER
    assert echange.echeance == AUJOURDHUI + dt.timedelta(days=5)
    assert echange.action_faite_le is None
    assert echange.history.count() == 1

    fiche = texte(client.get(entreprise.get_absolute_url()))
    assert "Échange avec « Maçonnerie du Lion » enregistré." in fiche
    assert "Envoyer deux candidatures" in fiche
    assert echange.get_absolute_url() in fiche


def test_noter_un_echange_depuis_la_fiche_du_lot(client_for, lion):
    entreprise, titulaire, *_ = lion
    client = client_for(roles.FACILITATEUR)
    fiche_lot = texte(client.get(titulaire.get_absolute_url()))
    assert "Entreprises du lot" in fiche_lot
    assert creer_url(entreprise, titulaire) in fiche_lot

    page = client.get(creer_url(entreprise, titulaire))
    assert page.context["formulaires"]["echange"]["lot"].value() == titulaire.pk
    response = client.post(
        creer_url(entreprise, titulaire),
        saisie(
            lot=titulaire.pk, type=TypeEchange.REUNION_DEMARRAGE, prochaine_action="", echeance=""
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == titulaire.get_absolute_url()
    echange = Echange.objects.get()
    assert (echange.lot, echange.prochaine_action, echange.echeance) == (titulaire, "", None)

    response = client.get(titulaire.get_absolute_url())
    tableau = next(t for t in response.context["tableaux"] if t.titre.startswith("Échanges"))
    assert tableau.titre == "Échanges avec les entreprises"
    assert tableau.lignes[0][0] == (formats.date_fr(HIER), echange.get_absolute_url())
    assert tableau.lignes[0][1][0] == "Maçonnerie du Lion"
    assert tableau.lignes[0][2][0] == "Réunion de démarrage"


def test_lot_non_lie_a_l_entreprise_refuse(client_for, lion):
    entreprise, *_, autre = lion
    client = client_for(roles.FACILITATEUR)
    response = client.post(creer_url(entreprise), saisie(lot=autre.pk))
    assert response.status_code == 200
    assert response.context["formulaires"]["echange"].errors["lot"] == [
        "Ce lot n'est pas lié à l'entreprise : elle n'en est ni titulaire, ni cotraitante, ni "
        "sous-traitante."
    ]
    assert "Visite du chantier : deux postes" in texte(response)  # nothing typed is lost
    assert Echange.objects.count() == 0


def test_le_service_refuse_aussi_un_lot_non_lie(lion, make_user):
    entreprise, *_, autre = lion
    echange = Echange(
        entreprise=entreprise, lot=autre, type=TypeEchange.APPEL, date=HIER, note="Appel."
    )
    with pytest.raises(ValidationError) as erreur:
        services.enregistrer_echange(echange, None, make_user(roles.FACILITATEUR))
    assert "n'est pas lié à l'entreprise" in erreur.value.message_dict["lot"][0]
    assert Echange.objects.count() == 0


@pytest.mark.parametrize(
    "champs, champ, message",
    [
        (
            {"echeance": (HIER - dt.timedelta(days=1)).isoformat()},
            "echeance",
            "L'échéance ne peut pas précéder la date de l'échange.",
        ),
        ({"echeance": ""}, "echeance", "Indiquez l'échéance de la prochaine action."),
        (
            {"prochaine_action": ""},
            "prochaine_action",
            "Décrivez la prochaine action de cette échéance.",
        ),
        (
            {"date": (AUJOURDHUI + dt.timedelta(days=1)).isoformat()},
            "date",
            "La date de l'échange ne peut pas être dans le futur : notez un rendez-vous à venir "
            "comme prochaine action.",
        ),
        ({"note": ""}, "note", "Ce champ est obligatoire."),
        ({"type": "courrier"}, "type", None),
        ({"date": "31/02/2025"}, "date", "Saisissez une date valide."),
    ],
    ids=[
        "echeance-avant",
        "echeance-manquante",
        "action-manquante",
        "futur",
        "note",
        "type",
        "date",
    ],
)
def test_saisie_invalide(client_for, lion, champs, champ, message):
    entreprise, *_ = lion
    client = client_for(roles.FACILITATEUR)
    response = client.post(creer_url(entreprise), saisie(**champs))
    assert response.status_code == 200
    erreurs = response.context["formulaires"]["echange"].errors
    assert list(erreurs) == [champ]
    if message:
        assert erreurs[champ] == [message]
    assert "rien n'a été enregistré" in texte(response)
    assert Echange.objects.count() == 0


def test_la_base_refuse_une_echeance_avant_l_echange(lion):
    from django.db import IntegrityError

    entreprise, *_ = lion
    with pytest.raises(IntegrityError):
        Echange.objects.create(
            entreprise=entreprise,
            type=TypeEchange.APPEL,
            date=HIER,
            note="Appel.",
            prochaine_action="Rappeler",
            echeance=HIER - dt.timedelta(days=3),
        )


# --- editing, next action done ------------------------------------------------------------


@pytest.fixture
def echange(lion, make_user):
    entreprise, titulaire, *_ = lion
    facilitatrice = make_user(
        roles.FACILITATEUR, username="claire", first_name="Claire", last_name="Fontaine"
    )
    return f.EchangeFactory(
        entreprise=entreprise,
        lot=titulaire,
        auteur=facilitatrice,
        date=HIER - dt.timedelta(days=10),
        echeance=HIER,
        prochaine_action="Relancer pour la candidature de M. Durand",
    )


def test_fiche_d_un_echange(client_for, echange):
    client = client_for(roles.FACILITATEUR)
    response = client.get(echange.get_absolute_url())
    assert response.status_code == 200
    contenu = texte(response)
    assert "statut-en_retard" in contenu and "Action en retard" in contenu
    assert "Relancer pour la candidature de M. Durand" in contenu
    assert "Claire Fontaine" in contenu
    assert reverse("marches:echange_action_faite", args=[echange.pk]) in contenu
    assert reverse("marches:echange_modifier", args=[echange.pk]) in contenu
    assert "Historique des modifications" in contenu


def test_marquer_l_action_faite(client_for, echange):
    client = client_for(roles.FACILITATEUR)
    url = reverse("marches:echange_action_faite", args=[echange.pk])
    assert client.get(url).status_code == 405

    response = client.post(url)

    assert response.status_code == 302
    assert response["Location"] == echange.get_absolute_url()
    echange.refresh_from_db()
    assert (echange.action_faite_le, echange.action_faite_par) == (AUJOURDHUI, client.user)
    assert (echange.version, echange.modifie_par) == (2, client.user)
    assert echange.history.count() == 2
    fiche = texte(client.get(echange.get_absolute_url()))
    assert "marquée comme faite" in fiche
    assert "statut-faite couleur-gris-fonce" in fiche and "Action faite" in fiche
    assert url not in fiche  # no more button

    # A second click (another tab) changes nothing and says so.
    response = client.post(url, follow=True)
    assert f"Action déjà marquée faite le {formats.date_fr(AUJOURDHUI)} par" in texte(response)
    echange.refresh_from_db()
    assert echange.version == 2


def test_marquer_faite_retourne_a_la_page_d_origine_seulement_sur_le_site(client_for, echange):
    client = client_for(roles.FACILITATEUR)
    url = reverse("marches:echange_action_faite", args=[echange.pk])
    response = client.post(url, {"suivant": "https://exemple.com/piege"})
    assert response["Location"] == echange.get_absolute_url()
    autre = f.EchangeFactory()
    url = reverse("marches:echange_action_faite", args=[autre.pk])
    assert client.post(url, {"suivant": "/"})["Location"] == "/"


def test_modifier_un_echange_et_conflit(client_for, echange, make_user):
    client = client_for(roles.FACILITATEUR)
    url = reverse("marches:echange_modifier", args=[echange.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["formulaires"]["echange"]
    data = {
        "version_lue": "1",
        "type": form["type"].value(),
        "date": echange.date.isoformat(),
        "lot": echange.lot_id,
        "note": "Compte rendu complété.",
        "prochaine_action": echange.prochaine_action,
        "echeance": (AUJOURDHUI + dt.timedelta(days=3)).isoformat(),
    }
    # Meanwhile Claire marks the action as done.
    services.marquer_action_faite(echange, echange.auteur)
    response = client.post(url, data)
    assert response.status_code == 200
    echange.refresh_from_db()
    quand = date_format(timezone.localtime(echange.modifie_le), "DATETIME_FORMAT")
    assert f"Enregistrement refusé : Claire Fontaine a modifié cette fiche le {quand}" in texte(
        response
    )
    assert echange.note != "Compte rendu complété."

    data["version_lue"] = "2"
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == echange.get_absolute_url()
    echange.refresh_from_db()
    assert (echange.note, echange.version) == ("Compte rendu complété.", 3)
    assert echange.auteur.username == "claire"  # the author does not change
    assert echange.action_faite_le == AUJOURDHUI


# --- permissions --------------------------------------------------------------------------


@pytest.mark.parametrize("role", [roles.FACILITATEUR, roles.ADMIN])
def test_roles_qui_notent_des_echanges(client_for, lion, role):
    entreprise, *_ = lion
    client = client_for(role)
    assert client.get(creer_url(entreprise)).status_code == 200
    assert client.post(creer_url(entreprise), saisie()).status_code == 302
    assert Echange.objects.get().auteur == client.user


@pytest.mark.parametrize("role", [roles.SUIVI, roles.DIRECTION, roles.ANIMATEUR, None])
def test_roles_qui_ne_notent_pas_d_echange(client_for, echange, role):
    client = client_for(role)
    entreprise = echange.entreprise
    urls = [
        creer_url(entreprise),
        reverse("marches:echange_modifier", args=[echange.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 403
        assert client.post(url, saisie()).status_code == 403
    faite = reverse("marches:echange_action_faite", args=[echange.pk])
    assert client.post(faite).status_code == 403
    assert Echange.objects.count() == 1
    echange.refresh_from_db()
    assert echange.action_faite_le is None and echange.version == 1
    # Reading stays possible for the team's roles.
    lecture = client.get(echange.get_absolute_url()).status_code
    assert lecture == (403 if role is None else 200)
    if role is not None:
        fiche = texte(client.get(entreprise.get_absolute_url()))
        assert "Relancer pour la candidature" in fiche
        assert creer_url(entreprise) not in fiche


def test_anonyme_renvoye_a_la_connexion(client, echange):
    for url in (
        creer_url(echange.entreprise),
        echange.get_absolute_url(),
        reverse("marches:echange_liste"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# --- facilitator's home: the next actions due ---------------------------------------------


@pytest.fixture
def actions(make_user):
    moi = make_user(roles.FACILITATEUR, username="moi", first_name="Camille")
    collegue = f.UserFactory(role=roles.FACILITATEUR)
    mon_lot = f.LotFactory(facilitateur=moi, intitule="Mon lot")
    lot_collegue = f.LotFactory(facilitateur=collegue)

    def echange(lot, auteur, action, echeance_jours, **kwargs):
        return f.EchangeFactory(
            lot=lot,
            entreprise=lot.titulaire,
            auteur=auteur,
            date=AUJOURDHUI - dt.timedelta(days=30),
            prochaine_action=action,
            echeance=AUJOURDHUI + dt.timedelta(days=echeance_jours),
            **kwargs,
        )

    attendues = [
        echange(lot_collegue, moi, "En retard, écrite par moi", -3),
        echange(mon_lot, collegue, "Sur mon lot, par un collègue", 0),
        echange(lot_collegue, moi, "Dans 7 jours", 7),
    ]
    echange(lot_collegue, moi, "Dans 8 jours", 8)
    echange(lot_collegue, collegue, "Ni à moi ni sur mon lot", 1)
    echange(mon_lot, moi, "Déjà faite", 1, action_faite_le=AUJOURDHUI)
    f.EchangeFactory(
        lot=mon_lot, entreprise=mon_lot.titulaire, auteur=moi, prochaine_action="", echeance=None
    )
    return moi, attendues


def test_accueil_facilitateur_prochaines_actions(client, actions):
    moi, attendues = actions
    client.force_login(moi)
    response = client.get(reverse("accueil"))
    assert response.status_code == 200
    assert response.context["prochaines_actions"] == attendues
    assert response.context["nb_prochaines_actions"] == 3
    contenu = texte(response)
    assert "Mes prochaines actions" in contenu
    for echange in attendues:
        assert echange.prochaine_action in contenu
        assert echange.get_absolute_url() in contenu
        assert echange.entreprise.get_absolute_url() in contenu
    assert "Dans 8 jours" not in contenu and "Ni à moi" not in contenu
    assert "Déjà faite" not in contenu
    assert contenu.count("statut-en_retard") >= 1
    assert "?action=a_faire&mes_suivis=true" in contenu

    # « Fait » from the home page: back to the home page, one action fewer.
    premiere = attendues[0]
    url = reverse("marches:echange_action_faite", args=[premiere.pk])
    response = client.post(url, {"suivant": reverse("accueil")})
    assert response["Location"] == reverse("accueil")
    premiere.refresh_from_db()
    assert premiere.action_faite_par == moi
    assert client.get(reverse("accueil")).context["nb_prochaines_actions"] == 2


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_accueil_facilitateur(client, make_user, django_assert_max_num_queries, n):
    moi = make_user(roles.FACILITATEUR, username="moi")
    for _ in range(n):
        lot = f.ClauseFactory(lot__facilitateur=moi).lot
        f.EchangeFactory(lot=lot, entreprise=lot.titulaire, echeance=AUJOURDHUI)
    client.force_login(moi)
    client.get(reverse("accueil"))
    with django_assert_max_num_queries(
        17
    ):  # + the « nouveaux marchés à qualifier » tile, + the second factor's device
        response = client.get(reverse("accueil"))
    assert response.context["nb_prochaines_actions"] == n


# --- the list of exchanges ----------------------------------------------------------------


def lignes_xlsx(response) -> list[tuple]:
    assert response.status_code == 200
    classeur = load_workbook(BytesIO(b"".join(response.streaming_content)))
    return list(classeur.active.iter_rows(values_only=True))


def test_liste_filtree_et_export(client, actions):
    moi, attendues = actions
    client.force_login(moi)
    url = reverse("marches:echange_liste")
    filtre = {"action": "a_faire", "mes_suivis": "true", "tri": "echeance"}
    page = client.get(url, filtre)
    assert page.status_code == 200
    # Mine or on my lot, not done: the three due soon and the one due in 8 days.
    assert [e.prochaine_action for e in page.context["object_list"]] == [
        *(e.prochaine_action for e in attendues),
        "Dans 8 jours",
    ]
    lignes = lignes_xlsx(client.get(url, {**filtre, "export": "xlsx"}))
    assert lignes[0][0] == "Date" and lignes[0][-1] == "Action"
    assert [ligne[6] for ligne in lignes[1:]] == [
        e.prochaine_action for e in page.context["object_list"]
    ]
    assert lignes[1][-1] == "En retard"
    en_retard = client.get(url, {"action": "en_retard"})
    assert [e.prochaine_action for e in en_retard.context["object_list"]] == [
        "En retard, écrite par moi"
    ]
    faites = client.get(url, {"action": "faite"})
    assert [e.prochaine_action for e in faites.context["object_list"]] == ["Déjà faite"]


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_liste_echanges(client_for, django_assert_max_num_queries, n):
    f.EchangeFactory.create_batch(n)
    client = client_for(roles.DIRECTION)
    url = reverse("marches:echange_liste")
    client.get(url)
    with django_assert_max_num_queries(9):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(6):
        lignes_xlsx(client.get(url, {"export": "xlsx"}))


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_fiche_lot_avec_echanges(client_for, django_assert_max_num_queries, n):
    lot = f.ClauseFactory().lot
    cotraitants = f.EntrepriseFactory.create_batch(n)
    lot.cotraitants.set(cotraitants)
    for entreprise in cotraitants:
        f.EchangeFactory(lot=lot, entreprise=entreprise)
    client = client_for(roles.FACILITATEUR)
    client.get(lot.get_absolute_url())
    with django_assert_max_num_queries(18):
        response = client.get(lot.get_absolute_url())
    entreprises = next(t for t in response.context["tableaux"] if t.titre == "Entreprises du lot")
    assert len(entreprises.lignes) == n + 1


# --- roles ---------------------------------------------------------------------------------


def test_permissions_des_echanges_par_role():
    utilisateurs = {role.code: f.UserFactory(role=role.code) for role in roles.ROLES}
    for code, user in utilisateurs.items():
        assert user.has_perm("marches.view_echange"), code
        peut_noter = code in (roles.FACILITATEUR, roles.ADMIN)
        assert user.has_perm("marches.add_echange") is peut_noter, code
        assert user.has_perm("marches.change_echange") is peut_noter, code
