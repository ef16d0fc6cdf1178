"""Creating and editing companies and their contacts; the company page's related tables."""

import datetime as dt
from decimal import Decimal
from html import unescape
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from openpyxl import load_workbook

from entreprises import services
from entreprises.models import Contact, Entreprise, TypeIdentifiant, TypeStructure
from mife import roles
from tests import factories as f

pytestmark = pytest.mark.django_db

SIRET = f.siret(77_001)
SIRET_ESPACES = f"{SIRET[:3]} {SIRET[3:6]} {SIRET[6:9]} {SIRET[9:]}"
CREER = reverse("entreprises:creer")


def texte(response) -> str:
    return unescape(response.content.decode())


def modifier(entreprise) -> str:
    return reverse("entreprises:modifier", args=[entreprise.pk])


def contacts_url(entreprise) -> str:
    return reverse("entreprises:contacts", args=[entreprise.pk])


def donnees_affichees(response) -> dict:
    """The POST data of an edit page as rendered: version, company form, contacts formset."""
    version = response.context["version_form"]["version_lue"].value()
    data = {"version_lue": "" if version is None else str(version)}

    def ajouter(form):
        for nom in form.fields:
            valeur = form[nom].value()
            cle = form.add_prefix(nom)
            if isinstance(valeur, bool):
                if valeur:
                    data[cle] = "on"
            else:
                data[cle] = "" if valeur is None else str(valeur)

    for form in response.context["formulaires"].values():
        if hasattr(form, "management_form"):
            ajouter(form.management_form)
            for sous_form in form.forms:
                ajouter(sous_form)
        else:
            ajouter(form)
    return data


def nouvelle(**champs) -> dict:
    """POST data of the creation page: a company and up to two new contacts."""
    contacts = champs.pop("contacts", [])
    data = {
        "version_lue": "",
        "type_identifiant": TypeIdentifiant.SIRET,
        "identifiant": SIRET_ESPACES,
        "raison_sociale": "Maçonnerie du Lion",
        "nom_commercial": "",
        "type_structure": TypeStructure.CLASSIQUE,
        "code_naf": "43.99c",
        "adresse": "12 rue de la Forge",
        "code_postal": "90000",
        "commune": "Belfort",
        "telephone": "03 84 00 00 00",
        "email": "contact@lion-maconnerie.fr",
        "active": "on",
        "notes": "",
        "contacts-TOTAL_FORMS": "2",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
    }
    data.update(champs)
    for i, contact in enumerate(contacts):
        for nom, valeur in contact.items():
            data[f"contacts-{i}-{nom}"] = valeur
    return data


CLAIRE = {
    "civilite": "Mme",
    "prenom": "Claire",
    "nom": "Fontaine",
    "fonction": "Gérante",
    "email": "claire.fontaine@lion-maconnerie.fr",
    "telephone": "06 00 00 00 01",
    "principal": "on",
}
KARIM = {
    "civilite": "M.",
    "prenom": "Karim",
    "nom": "Benali",
    "fonction": "Conducteur de travaux",
    "email": "karim.benali@lion-maconnerie.fr",
    "destinataire_relances": "on",
}


# --- creation -----------------------------------------------------------------------------


def test_creer_une_entreprise_avec_ses_contacts(client_for):
    client = client_for(roles.FACILITATEUR)
    page = client.get(CREER)
    assert page.status_code == 200
    assert "Nouvelle entreprise" in texte(page)

    response = client.post(CREER, nouvelle(contacts=[CLAIRE, KARIM]))

    entreprise = Entreprise.objects.get()
    assert response.status_code == 302
    assert response["Location"] == entreprise.get_absolute_url()
    assert entreprise.identifiant == SIRET  # spaces removed
    assert entreprise.code_naf == "4399C"  # normalised
    assert (entreprise.version, entreprise.modifie_par) == (1, client.user)
    claire, karim = entreprise.contacts.order_by("prenom")
    assert (claire.nom, claire.principal, claire.destinataire_relances) == ("Fontaine", True, False)
    assert (karim.fonction, karim.principal, karim.destinataire_relances) == (
        "Conducteur de travaux",
        False,
        True,
    )
    assert karim.modifie_par == client.user

    fiche = texte(client.get(response["Location"]))
    assert "Entreprise « Maçonnerie du Lion » enregistrée." in fiche
    assert "SIREN" in fiche and SIRET[:9] in fiche
    assert "Mme Claire Fontaine" in fiche


def test_les_lignes_de_contact_laissees_vides_sont_ignorees(client_for):
    client = client_for(roles.ANIMATEUR)
    response = client.post(CREER, nouvelle())
    assert response.status_code == 302
    assert Entreprise.objects.get().contacts.count() == 0


def test_identifiant_etranger_sans_controle_siret(client_for):
    client = client_for(roles.FACILITATEUR)
    response = client.post(
        CREER, nouvelle(type_identifiant=TypeIdentifiant.TVA, identifiant="be 0123 456 789")
    )
    assert response.status_code == 302
    entreprise = Entreprise.objects.get()
    assert (entreprise.type_identifiant, entreprise.identifiant) == ("TVA", "BE0123456789")
    assert "SIREN" not in texte(client.get(entreprise.get_absolute_url()))


@pytest.mark.parametrize(
    "identifiant",
    [SIRET[:-1] + str((int(SIRET[-1]) + 1) % 10), "1234", "ABCDEFGHIJKLMN", ""],
    ids=["cle-fausse", "trop-court", "lettres", "vide"],
)
def test_siret_invalide_refuse_sur_le_champ(client_for, identifiant):
    client = client_for(roles.FACILITATEUR)
    response = client.post(CREER, nouvelle(identifiant=identifiant, contacts=[CLAIRE]))
    assert response.status_code == 200
    erreurs = response.context["formulaires"]["entreprise"].errors
    attendu = "Ce champ est obligatoire." if not identifiant else services.MESSAGE_SIRET
    assert erreurs["identifiant"] == [attendu]
    contenu = texte(response)
    assert "rien n'a été enregistré" in contenu
    assert 'href="#id_identifiant"' in contenu  # the summary links to the field
    assert "Maçonnerie du Lion" in contenu  # nothing typed is lost
    assert "claire.fontaine@lion-maconnerie.fr" in contenu
    assert Entreprise.objects.count() == 0 and Contact.objects.count() == 0


def test_siret_en_double_refuse_sur_le_champ(client_for):
    existante = f.EntrepriseFactory(raison_sociale="Bâtir Ensemble", identifiant=SIRET)
    client = client_for(roles.FACILITATEUR)
    response = client.post(CREER, nouvelle(contacts=[CLAIRE]))
    assert response.status_code == 200
    assert response.context["formulaires"]["entreprise"].errors["identifiant"] == [
        "Une entreprise porte déjà ce SIRET : « Bâtir Ensemble ». Ouvrez sa fiche plutôt que "
        "d'en créer une seconde."
    ]
    assert list(Entreprise.objects.all()) == [existante]
    assert Contact.objects.count() == 0


def test_le_service_refuse_aussi_un_doublon():
    f.EntrepriseFactory(raison_sociale="Bâtir Ensemble", identifiant=SIRET)
    with pytest.raises(ValidationError) as erreur:
        services.enregistrer_entreprise(
            Entreprise(identifiant=SIRET_ESPACES, raison_sociale="Copie"), None, None
        )
    assert "Bâtir Ensemble" in erreur.value.message_dict["identifiant"][0]
    assert Entreprise.objects.count() == 1


@pytest.mark.parametrize("code", ["439C", "43999", "ABCDE", "4399CC", "C4399"])
def test_code_naf_invalide(client_for, code):
    client = client_for(roles.FACILITATEUR)
    response = client.post(CREER, nouvelle(code_naf=code))
    assert response.status_code == 200
    assert response.context["formulaires"]["entreprise"].errors["code_naf"] == [
        "Code NAF invalide : 4 chiffres suivis d'une lettre attendus (ex. : 4399C)."
    ]
    assert Entreprise.objects.count() == 0


def test_un_seul_contact_principal(client_for):
    client = client_for(roles.FACILITATEUR)
    response = client.post(CREER, nouvelle(contacts=[CLAIRE, {**KARIM, "principal": "on"}]))
    assert response.status_code == 200
    assert response.context["formulaires"]["contacts"].non_form_errors() == [
        "Un seul contact peut être le contact principal : décochez les autres."
    ]
    assert "Un seul contact peut être le contact principal" in texte(response)
    assert Entreprise.objects.count() == 0 and Contact.objects.count() == 0


def test_relances_sans_email_refusees(client_for):
    client = client_for(roles.FACILITATEUR)
    response = client.post(CREER, nouvelle(contacts=[{**KARIM, "email": ""}]))
    assert response.status_code == 200
    formset = response.context["formulaires"]["contacts"]
    assert formset.forms[0].errors["email"] == [
        "Un contact qui reçoit les relances d'heures doit avoir une adresse e-mail."
    ]
    assert "Contact 1 — E-mail" in texte(response)
    assert Entreprise.objects.count() == 0


# --- editing ------------------------------------------------------------------------------


@pytest.fixture
def lion():
    entreprise = f.EntrepriseFactory(raison_sociale="Maçonnerie du Lion", identifiant=SIRET)
    claire = f.ContactFactory(
        entreprise=entreprise, prenom="Claire", nom="Fontaine", principal=True
    )
    karim = f.ContactFactory(entreprise=entreprise, prenom="Karim", nom="Benali")
    return entreprise, claire, karim


def _index(data: dict, contact) -> int:
    return next(
        int(cle.split("-")[1])
        for cle, valeur in data.items()
        if cle.endswith("-id") and valeur == str(contact.pk)
    )


def test_modifier_une_entreprise(client_for, lion):
    entreprise, _, _ = lion
    client = client_for(roles.ANIMATEUR)
    page = client.get(modifier(entreprise))
    assert page.status_code == 200
    assert f"SIREN de l'entreprise : {SIRET[:9]}" in texte(page)
    data = donnees_affichees(page)
    assert data["version_lue"] == "1"
    data.update(raison_sociale="Maçonnerie du Lion et Fils", commune="Delle", code_naf="4399c")

    response = client.post(modifier(entreprise), data)

    assert response.status_code == 302
    entreprise.refresh_from_db()
    assert (entreprise.raison_sociale, entreprise.commune, entreprise.code_naf) == (
        "Maçonnerie du Lion et Fils",
        "Delle",
        "4399C",
    )
    assert (entreprise.version, entreprise.modifie_par) == (2, client.user)
    fiche = texte(client.get(entreprise.get_absolute_url()))
    assert "« Maçonnerie du Lion » → « Maçonnerie du Lion et Fils »" in fiche  # history


def test_garder_son_propre_siret_n_est_pas_un_doublon(client_for, lion):
    entreprise, _, _ = lion
    client = client_for(roles.FACILITATEUR)
    data = donnees_affichees(client.get(modifier(entreprise)))
    data["identifiant"] = SIRET_ESPACES
    assert client.post(modifier(entreprise), data).status_code == 302


def test_changer_de_contact_principal_et_supprimer_un_contact(client_for, lion):
    entreprise, claire, karim = lion
    client = client_for(roles.FACILITATEUR)
    data = donnees_affichees(client.get(modifier(entreprise)))
    i_claire, i_karim = _index(data, claire), _index(data, karim)
    del data[f"contacts-{i_claire}-principal"]
    data[f"contacts-{i_karim}-principal"] = "on"
    response = client.post(modifier(entreprise), data)
    assert response.status_code == 302
    karim.refresh_from_db()
    claire.refresh_from_db()
    assert karim.principal and not claire.principal
    assert (claire.version, karim.version) == (2, 2)

    data = donnees_affichees(client.get(modifier(entreprise)))
    data[f"contacts-{_index(data, claire)}-DELETE"] = "on"
    assert client.post(modifier(entreprise), data).status_code == 302
    assert list(entreprise.contacts.all()) == [karim]
    assert entreprise.contacts.model.history.filter(id=claire.pk, history_type="-").exists()


def test_modification_concurrente_refusee(client_for, lion, make_user):
    entreprise, _, _ = lion
    client = client_for(roles.FACILITATEUR)
    data = donnees_affichees(client.get(modifier(entreprise)))  # version 1 opened

    # Meanwhile, a colleague saves the company.
    alice = make_user(roles.ANIMATEUR, username="alice", first_name="Alice", last_name="Martin")
    copie = Entreprise.objects.get(pk=entreprise.pk)
    copie.commune = "Héricourt"
    services.enregistrer_entreprise(copie, 1, alice)

    data.update(raison_sociale="Nom écrasé ?")
    response = client.post(modifier(entreprise), data)

    assert response.status_code == 200
    copie.refresh_from_db()
    quand = date_format(timezone.localtime(copie.modifie_le), "DATETIME_FORMAT")
    assert f"Enregistrement refusé : Alice Martin a modifié cette fiche le {quand}" in texte(
        response
    )
    entreprise.refresh_from_db()
    assert (entreprise.raison_sociale, entreprise.commune, entreprise.version) == (
        "Maçonnerie du Lion",
        "Héricourt",
        2,
    )
    assert "Nom écrasé ?" in texte(response)  # what the user typed is still there


def test_l_assistante_modifie_les_contacts_seulement(client_for, lion):
    entreprise, claire, _ = lion
    client = client_for(roles.SUIVI)
    fiche = texte(client.get(entreprise.get_absolute_url()))
    assert contacts_url(entreprise) in fiche and modifier(entreprise) not in fiche
    page = client.get(contacts_url(entreprise))
    assert page.status_code == 200
    data = donnees_affichees(page)
    i = _index(data, claire)
    data[f"contacts-{i}-destinataire_relances"] = "on"
    data[f"contacts-{i}-email"] = "claire@lion.fr"
    response = client.post(contacts_url(entreprise), data)
    assert response.status_code == 302
    claire.refresh_from_db()
    assert claire.destinataire_relances and claire.email == "claire@lion.fr"
    entreprise.refresh_from_db()
    assert (entreprise.version, entreprise.modifie_par) == (2, client.user)


def test_contacts_deux_principaux_refuses_par_le_service(lion):
    entreprise, _, karim = lion
    karim.principal = True
    with pytest.raises(ValidationError, match="Un seul contact"):
        services.enregistrer_contacts(
            entreprise, 1, None, services.ContactsModifies(a_enregistrer=[karim])
        )
    karim.refresh_from_db()
    assert not karim.principal


# --- permissions --------------------------------------------------------------------------


@pytest.mark.parametrize("role", [roles.FACILITATEUR, roles.ANIMATEUR, roles.ADMIN])
def test_roles_qui_modifient_les_entreprises(client_for, lion, role):
    entreprise, _, _ = lion
    client = client_for(role)
    assert client.get(CREER).status_code == 200
    assert client.get(modifier(entreprise)).status_code == 200
    liste = texte(client.get(reverse("entreprises:liste")))
    assert "Nouvelle entreprise" in liste and CREER in liste
    assert modifier(entreprise) in texte(client.get(entreprise.get_absolute_url()))


@pytest.mark.parametrize("role", [roles.SUIVI, roles.DIRECTION, None])
def test_roles_en_lecture_seule(client_for, lion, role):
    entreprise, _, _ = lion
    client = client_for(role)
    for url in (CREER, modifier(entreprise)):
        assert client.get(url).status_code == 403
        assert client.post(url, nouvelle(identifiant=f.siret(77_999))).status_code == 403
    assert Entreprise.objects.count() == 1
    if role is not None:
        liste = texte(client.get(reverse("entreprises:liste")))
        assert "Nouvelle entreprise" not in liste


@pytest.mark.parametrize("role", [roles.DIRECTION, None])
def test_contacts_interdits_sans_droit(client_for, lion, role):
    entreprise, _, _ = lion
    client = client_for(role)
    assert client.get(contacts_url(entreprise)).status_code == 403
    assert client.post(contacts_url(entreprise), {}).status_code == 403


def test_anonyme_renvoye_a_la_connexion(client, lion):
    entreprise, _, _ = lion
    for url in (CREER, modifier(entreprise), contacts_url(entreprise)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# --- list: filters and export -------------------------------------------------------------


def lignes_xlsx(response) -> list[tuple]:
    assert response.status_code == 200
    classeur = load_workbook(BytesIO(b"".join(response.streaming_content)))
    return list(classeur.active.iter_rows(values_only=True))


def test_export_excel_exactement_la_liste_filtree(client_for):
    for n, (nom, commune, type_structure) in enumerate(
        [
            ("Alpha Intérim", "Belfort", TypeStructure.ETTI),
            ("Bêta Insertion", "Belfort", TypeStructure.ETTI),
            ("Gamma Travaux", "Belfort", TypeStructure.CLASSIQUE),
            ("Delta Intérim", "Delle", TypeStructure.ETTI),
        ]
    ):
        f.EntrepriseFactory(
            raison_sociale=nom,
            commune=commune,
            type_structure=type_structure,
            identifiant=f.siret(78_000 + n),
        )
    client = client_for(roles.DIRECTION)
    filtre = {"type_structure": TypeStructure.ETTI, "commune": "belf", "tri": "-raison_sociale"}
    page = client.get(reverse("entreprises:liste"), filtre)
    affichees = [e.raison_sociale for e in page.context["object_list"]]
    assert affichees == ["Bêta Insertion", "Alpha Intérim"]
    lignes = lignes_xlsx(client.get(reverse("entreprises:liste"), {**filtre, "export": "xlsx"}))
    assert [ligne[0] for ligne in lignes[1:]] == affichees
    assert lignes[1][1] == f.siret(78_001)


# --- the company page ---------------------------------------------------------------------


@pytest.fixture
def lion_complete(lion):
    entreprise, _, _ = lion
    lot = f.LotFactory(titulaire=entreprise, intitule="Gros œuvre", marche__reference="2025-GO")
    f.LotFactory(intitule="Voirie", cotraitants=[entreprise])
    f.LotFactory(intitule="Espaces verts", sous_traitants=[entreprise])
    mission = f.MissionFactory(
        lot=lot, participant__prenom="Nadia", participant__nom="Haddad", reference="M-LION-1"
    )
    declaration = f.DeclarationMensuelleFactory(
        lot=lot, entreprise=entreprise, mois=dt.date(2025, 3, 1), validee=True
    )
    f.LigneDeclarationFactory(declaration=declaration, mission=mission, heures=Decimal("70"))
    f.AttestationFactory(
        declaration=declaration, numero="ATT-2025-03-00042", total_heures=Decimal("70")
    )
    f.EchangeFactory(
        lot=lot, entreprise=entreprise, prochaine_action="Relancer pour la candidature"
    )
    return entreprise, lot, mission


def test_fiche_complete_pour_la_facilitatrice(client_for, lion_complete):
    entreprise, _, mission = lion_complete
    client = client_for(roles.FACILITATEUR)
    contenu = texte(client.get(entreprise.get_absolute_url()))
    titres = [t.titre for t in client.get(entreprise.get_absolute_url()).context["tableaux"]]
    assert titres == [
        "Contacts",
        "Échanges avec l'entreprise",
        "Lots comme titulaire",
        "Lots comme cotraitant",
        "Lots comme sous-traitant",
        "Missions (employeur)",
        "Heures d'insertion validées par année",
        "Attestations",
        "Dossiers de labellisation",
        "Historique du label Empl'itudes",
        "Événements du réseau auxquels elle a participé",
    ]
    assert "Gros œuvre" in contenu and "Voirie" in contenu and "Espaces verts" in contenu
    # Missions: identity and link for the team
    assert "M-LION-1" in contenu and mission.get_absolute_url() in contenu
    assert "HADDAD Nadia" in contenu
    assert "Embauche directe en CDD" in contenu
    # Hours by year, attestations
    assert "70 h" in contenu
    assert "ATT-2025-03-00042" in contenu and "mars 2025" in contenu and "Émise" in contenu
    # Exchanges and the actions
    assert "Relancer pour la candidature" in contenu
    assert reverse("marches:echange_creer", args=[entreprise.pk]) in contenu
    assert "Noter un échange" in contenu


@pytest.mark.parametrize("role", [roles.DIRECTION, roles.ANIMATEUR])
def test_fiche_sans_identite_des_participants(client_for, lion_complete, role):
    entreprise, _, mission = lion_complete
    client = client_for(role)
    response = client.get(entreprise.get_absolute_url())
    contenu = texte(response)
    assert "M-LION-1" in contenu
    assert "Haddad" not in contenu and "HADDAD" not in contenu
    assert "N.H." not in contenu  # aggregates only: not even the initials
    assert mission.get_absolute_url() not in contenu
    titres = [t.titre for t in response.context["tableaux"]]
    # The animator has no access to hours documents; the direction reads attestations.
    assert ("Attestations" in titres) is (role == roles.DIRECTION)
    assert "Noter un échange" not in contenu


def test_fiche_limite_les_longs_tableaux(client_for, lion, monkeypatch):
    from entreprises import views

    monkeypatch.setattr(views, "LIMITE_TABLEAU", 2)
    entreprise, _, _ = lion
    lot = f.LotFactory(titulaire=entreprise)
    f.EchangeFactory.create_batch(3, lot=lot, entreprise=entreprise)
    client = client_for(roles.FACILITATEUR)
    response = client.get(entreprise.get_absolute_url())
    echanges = response.context["tableaux"][1]
    assert echanges.titre == "Échanges avec l'entreprise (2 plus récents)"
    assert echanges.lignes[-1] == [
        (
            "Voir tous les échanges avec l'entreprise",
            reverse("marches:echange_liste") + f"?entreprise={entreprise.pk}",
        )
    ]


# --- constant number of queries -----------------------------------------------------------


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_liste_entreprises(client_for, django_assert_max_num_queries, n):
    for _ in range(n):
        f.EntrepriseFactory()
    client = client_for(roles.FACILITATEUR)
    url = reverse("entreprises:liste")
    client.get(url)
    with django_assert_max_num_queries(8):
        assert client.get(url, {"type_structure": TypeStructure.CLASSIQUE}).status_code == 200
    with django_assert_max_num_queries(7):
        lignes_xlsx(client.get(url, {"export": "xlsx"}))


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_fiche_entreprise(client_for, django_assert_max_num_queries, n):
    entreprise = f.EntrepriseFactory()
    f.ContactFactory.create_batch(n, entreprise=entreprise)
    lots = f.LotFactory.create_batch(n, titulaire=entreprise)
    for lot in lots:
        f.ClauseFactory(lot=lot)
        f.MissionFactory(lot=lot)
        f.EchangeFactory(lot=lot, entreprise=entreprise)
    for lot in f.LotFactory.create_batch(n, cotraitants=[entreprise]):
        f.EchangeFactory(lot=lot, entreprise=entreprise)
    f.LotFactory.create_batch(n, sous_traitants=[entreprise])
    f.AttestationFactory.create_batch(n, declaration__entreprise=entreprise)
    for i in range(n):
        dossier = f.DossierLabelFactory(entreprise=entreprise, annee=1990 + i, statut="labellise")
        f.LabelFactory(dossier=dossier, entreprise=entreprise)
        f.ParticipationEvenementFactory(entreprise=entreprise)
    client = client_for(roles.FACILITATEUR)
    url = entreprise.get_absolute_url()
    client.get(url)
    with django_assert_max_num_queries(20):  # + label history, events attended, + the access log
        response = client.get(url)
    assert response.status_code == 200
    echanges = response.context["tableaux"][1]
    # 2n exchanges; beyond the limit (50), the last row links to the full list.
    assert len(echanges.lignes) == (2 * n if 2 * n <= 50 else 51)
