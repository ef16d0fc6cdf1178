"""The Django admin: every model is reachable, lists stay cheap, locked data stays locked."""

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import HistoricalChanges

from entreprises.models import Entreprise
from heures.models import (
    Attestation,
    CompteurNumero,
    CritereEligibilite,
    CritereParticipant,
    DeclarationMensuelle,
    GenerationAttestations,
    Mission,
    Participant,
    Relance,
    StatutDeclaration,
    TotalHeuresLot,
    TotalHeuresMois,
)
from label.models import JournalDossier, LienEntreprise, PieceJointe
from marches.models import Lot, RapportImport, TacheImportDecp
from mife import roles
from mife.core.admin import AUDIT_FIELDS
from mife.models import DemandeBilan, Parametres, RapportDonneur, User
from tests import factories

pytestmark = pytest.mark.django_db

APPS = ("mife", "entreprises", "marches", "heures", "label")
MODELES = [
    model
    for app in APPS
    for model in apps.get_app_config(app).get_models()
    if not issubclass(model, HistoricalChanges)
]
# Issued attestations and numbering counters are created by services only; the settings row
# exists already (data migration).
# Issued documents, counters and service logs are never created by hand.
SANS_AJOUT = {
    Attestation,
    CompteurNumero,
    Parametres,
    Relance,
    GenerationAttestations,
    DemandeBilan,
    RapportDonneur,
    JournalDossier,
    LienEntreprise,
    PieceJointe,
}
SANS_AJOUT |= {RapportImport, TacheImportDecp}
SANS_AJOUT |= {TotalHeuresMois, TotalHeuresLot}  # maintained by heures/services/totaux.py
FACTORIES = {factory._meta.model: factory for factory in factories.TOUTES}


def ids(model) -> str:
    return model._meta.label


def url(model, vue: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{vue}", args=args)


@pytest.fixture
def client_admin(client, make_user):
    user = make_user(roles.ADMIN)
    user.is_staff = True
    user.save()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def client_staff(client, make_user):
    """A staff member with the given role (and only that role's permissions)."""

    def _client(role: str):
        user = make_user(role, username=f"staff-{role}", is_staff=True)
        client.force_login(user)
        client.user = user
        return client

    return _client


def donnees_du_formulaire(response) -> dict:
    """The POST data of an admin change form as rendered (main form and inline formsets)."""

    def ajouter(data, form):
        for nom, field in form.fields.items():
            if getattr(field.widget, "input_type", None) == "file":
                continue
            valeur = form[nom].value()
            cle = form.add_prefix(nom)
            if valeur is None:
                data[cle] = ""
            elif isinstance(valeur, bool):
                if valeur:
                    data[cle] = "on"
            elif isinstance(valeur, list | tuple):
                data[cle] = [str(v) for v in valeur]
            else:
                data[cle] = str(valeur)

    data: dict = {}
    ajouter(data, response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):
        ajouter(data, inline.formset.management_form)
        for form in inline.formset.forms:
            ajouter(data, form)
    return data


def declaration(**kwargs) -> DeclarationMensuelle:
    return factories.DeclarationMensuelleFactory(**kwargs)


# --- every model ---------------------------------------------------------------------------


def test_tous_les_modeles_sont_dans_l_admin():
    for model in MODELES:
        assert admin.site.is_registered(model), model
        if hasattr(model, "history"):
            assert isinstance(admin.site.get_model_admin(model), SimpleHistoryAdmin), model


def test_les_fieldsets_declares_n_oublient_aucun_champ():
    """A field added to a model later must not silently vanish from the admin form."""
    for model in MODELES:
        model_admin = admin.site.get_model_admin(model)
        if not model_admin.fieldsets:
            continue
        montres = set(flatten_fieldsets(model_admin.fieldsets)) | set(model_admin.readonly_fields)
        editables = {
            f.name
            for f in [*model._meta.fields, *model._meta.many_to_many]
            if f.editable
            and not f.primary_key
            and not (f.many_to_many and not f.remote_field.through._meta.auto_created)
        }
        # Rights come from the role field of the user form, never from groups or permissions.
        hors_formulaire = {"groups", "user_permissions"} if model is User else set()
        assert editables - montres - set(AUDIT_FIELDS) - hors_formulaire == set(), model


def test_titres_de_l_admin_en_francais(client_admin):
    response = client_admin.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "Clauses &amp; Label — administration" in response.content.decode()


@pytest.mark.parametrize("model", MODELES, ids=ids)
def test_liste_de_chaque_modele(client_admin, model):
    response = client_admin.get(url(model, "changelist"))
    assert response.status_code == 200
    assert escape(model._meta.verbose_name) in response.content.decode()


@pytest.mark.parametrize("model", MODELES, ids=ids)
def test_page_d_ajout_de_chaque_modele(client_admin, model):
    response = client_admin.get(url(model, "add"))
    if model in SANS_AJOUT:
        assert response.status_code == 403
    else:
        assert response.status_code == 200
        assert escape(model._meta.verbose_name) in response.content.decode()


@pytest.mark.parametrize("model", MODELES, ids=ids)
def test_recherche_dans_chaque_liste(client_admin, model):
    response = client_admin.get(url(model, "changelist"), {"q": "Belfort 2024"})
    assert response.status_code == 200


@pytest.mark.parametrize("model", [m for m in MODELES if m in FACTORIES], ids=ids)
def test_liste_fiche_et_historique_avec_des_donnees(client_admin, model):
    obj = FACTORIES[model]()
    liste = client_admin.get(url(model, "changelist"))
    assert liste.status_code == 200
    assert liste.context["cl"].result_count >= 1
    fiche = client_admin.get(url(model, "change", obj.pk))
    assert fiche.status_code == 200
    if hasattr(model, "history"):
        assert client_admin.get(url(model, "history", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", [m for m in MODELES if m in FACTORIES], ids=ids)
def test_chaque_liste_fait_un_nombre_constant_de_requetes(client_admin, model):
    liste = url(model, "changelist")
    FACTORIES[model]()
    client_admin.get(liste)  # warm the caches (content types, session)
    with CaptureQueriesContext(connection) as avec_1:
        client_admin.get(liste)
    FACTORIES[model].create_batch(3)
    with CaptureQueriesContext(connection) as avec_4:
        client_admin.get(liste)
    assert len(avec_4) == len(avec_1)


def test_recherche_d_une_entreprise_par_nom_ou_siret(client_admin):
    cherchee = factories.EntrepriseFactory(
        raison_sociale="Bâtiments du Lion", identifiant=factories.siret(9_424_242)
    )
    factories.EntrepriseFactory(raison_sociale="Autre société")
    liste = url(Entreprise, "changelist")

    par_nom = client_admin.get(liste, {"q": "lion"})
    assert list(par_nom.context["cl"].result_list) == [cherchee]

    siret = cherchee.identifiant
    avec_espaces = f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
    par_siret = client_admin.get(liste, {"q": avec_espaces})
    assert list(par_siret.context["cl"].result_list) == [cherchee]


def test_recherche_d_un_lot_par_reference_du_marche(client_admin):
    lot = factories.LotFactory(marche__reference="2025-TRX-0042")
    factories.LotFactory()
    response = client_admin.get(url(Lot, "changelist"), {"q": "TRX-0042"})
    assert list(response.context["cl"].result_list) == [lot]


# --- cost of the change lists --------------------------------------------------------------


@pytest.mark.parametrize(
    "model, factory",
    [
        (Lot, factories.LotFactory),
        (Mission, factories.MissionFactory),
        (DeclarationMensuelle, factories.DeclarationMensuelleFactory),
        (Entreprise, factories.EntrepriseFactory),
        (User, factories.UserFactory),
    ],
    ids=["lot", "mission", "declaration", "entreprise", "utilisateur"],
)
def test_les_listes_font_un_nombre_constant_de_requetes(client_admin, model, factory):
    liste = url(model, "changelist")
    deja = model.objects.count()
    if model is User:
        factory.create_batch(3, role=roles.FACILITATEUR)
    else:
        factory.create_batch(3)
    client_admin.get(liste)  # warm the caches (content types, session)

    with CaptureQueriesContext(connection) as avec_3:
        response = client_admin.get(liste)
    assert response.context["cl"].result_count == deja + 3

    if model is User:
        factory.create_batch(17, role=roles.SUIVI)
    else:
        factory.create_batch(17)
    with CaptureQueriesContext(connection) as avec_20:
        response = client_admin.get(liste)
    assert response.context["cl"].result_count == deja + 20
    assert len(avec_20) == len(avec_3), [q["sql"] for q in avec_20.captured_queries]


def test_autocompletion_des_lots_depuis_une_mission(client_admin):
    lot = factories.LotFactory(marche__reference="2025-AUTO-7")
    factories.LotFactory.create_batch(3)
    params = {
        "app_label": "heures",
        "model_name": "mission",
        "field_name": "lot",
        "term": "AUTO-7",
    }
    response = client_admin.get(reverse("admin:autocomplete"), params)
    assert response.status_code == 200
    assert response.json()["results"] == [{"id": str(lot.pk), "text": str(lot)}]


# --- access --------------------------------------------------------------------------------


def test_un_utilisateur_non_staff_est_renvoye_vers_la_connexion_de_l_admin(client, make_user):
    client.force_login(make_user(roles.FACILITATEUR))
    for cible in (reverse("admin:index"), url(Lot, "changelist")):
        response = client.get(cible)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_un_anonyme_n_accede_pas_a_l_admin(client):
    response = client.get(url(Lot, "changelist"))
    assert response.status_code == 302


# --- mife ----------------------------------------------------------------------------------


def test_la_liste_des_utilisateurs_montre_les_roles(client_admin):
    factories.UserFactory(username="claire", role=roles.SUIVI)
    response = client_admin.get(url(User, "changelist"), {"q": "claire"})
    assert response.status_code == 200
    assert escape(roles.ROLES_PAR_CODE[roles.SUIVI].groupe) in response.content.decode()


def test_la_fiche_utilisateur_montre_fonction_et_telephone(client_admin):
    user = factories.UserFactory(fonction="Facilitatrice", telephone="03 84 00 00 00")
    response = client_admin.get(url(User, "change", user.pk))
    contenu = response.content.decode()
    assert 'name="fonction"' in contenu
    assert 'name="telephone"' in contenu


def test_les_roles_sont_en_lecture_seule(client_admin):
    groupe = Group.objects.get(name=roles.ROLES_PAR_CODE[roles.ADMIN].groupe)
    assert client_admin.get(url(Group, "changelist")).status_code == 200
    assert client_admin.get(url(Group, "change", groupe.pk)).status_code == 200
    assert client_admin.post(url(Group, "change", groupe.pk), {"name": "X"}).status_code == 403
    assert client_admin.get(url(Group, "add")).status_code == 403
    groupe.refresh_from_db()
    assert groupe.name == roles.ROLES_PAR_CODE[roles.ADMIN].groupe


def test_parametres_ligne_unique_sans_ajout_ni_suppression(client_admin):
    assert Parametres.objects.filter(pk=1).exists()
    response = client_admin.get(url(Parametres, "changelist"))
    assert response.status_code == 200
    assert url(Parametres, "add") not in response.content.decode()
    assert client_admin.get(url(Parametres, "add")).status_code == 403
    assert client_admin.get(url(Parametres, "delete", 1)).status_code == 403


def test_parametres_modifiables(client_admin):
    fiche = client_admin.get(url(Parametres, "change", 1))
    data = donnees_du_formulaire(fiche)
    data["signataire_nom"] = "Camille Martin"
    response = client_admin.post(url(Parametres, "change", 1), data)
    assert response.status_code == 302
    assert Parametres.get().signataire_nom == "Camille Martin"


# --- versioned records ---------------------------------------------------------------------


def test_modifier_une_entreprise_trace_l_auteur_et_la_version(client_admin):
    entreprise = factories.EntrepriseFactory()
    factories.ContactFactory(entreprise=entreprise)
    fiche = client_admin.get(url(Entreprise, "change", entreprise.pk))
    data = donnees_du_formulaire(fiche)
    data["commune"] = "Delle"
    response = client_admin.post(url(Entreprise, "change", entreprise.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entreprise.refresh_from_db()
    assert entreprise.commune == "Delle"
    assert entreprise.version == 2
    assert entreprise.modifie_par == client_admin.user
    assert entreprise.history.first().history_user == client_admin.user


def test_l_admin_n_ecrase_pas_une_modification_faite_entre_temps(client_admin):
    entreprise = factories.EntrepriseFactory(commune="Belfort")
    fiche = client_admin.get(url(Entreprise, "change", entreprise.pk))
    data = donnees_du_formulaire(fiche)
    assert data["version_lue"] == "1"

    # Someone saves the company in the application meanwhile.
    Entreprise.objects.filter(pk=entreprise.pk).update(version=2, notes="modifiée ailleurs")

    data["commune"] = "Delle"
    response = client_admin.post(url(Entreprise, "change", entreprise.pk), data)
    assert response.status_code == 200
    assert "Enregistrement refusé" in response.content.decode()
    entreprise.refresh_from_db()
    assert (entreprise.commune, entreprise.notes) == ("Belfort", "modifiée ailleurs")


def test_restaurer_une_version_passe_par_le_verrou_de_version(client_admin):
    entreprise = factories.EntrepriseFactory(commune="Belfort")
    ancienne = entreprise.history.earliest()
    Entreprise.objects.filter(pk=entreprise.pk).update(version=3)
    entreprise.refresh_from_db()
    entreprise.commune = "Delle"
    entreprise.save()

    revert = url(Entreprise, "simple_history", entreprise.pk, ancienne.history_id)
    fiche = client_admin.get(revert)
    assert fiche.status_code == 200
    response = client_admin.post(revert, donnees_du_formulaire(fiche))
    assert response.status_code == 302, response.context["adminform"].form.errors
    entreprise.refresh_from_db()
    assert (entreprise.commune, entreprise.version) == ("Belfort", 4)
    assert entreprise.modifie_par == client_admin.user


def test_ajouter_une_entreprise_par_l_admin(client_admin):
    data = {
        "type_identifiant": "SIRET",
        "identifiant": factories.siret(777),
        "raison_sociale": "Nouvelle entreprise",
        "type_structure": "classique",
        "active": "on",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
        "contacts-0-nom": "Durand",
    }
    response = client_admin.post(url(Entreprise, "add"), data)
    assert response.status_code == 302
    entreprise = Entreprise.objects.get(raison_sociale="Nouvelle entreprise")
    assert entreprise.version == 1
    assert entreprise.modifie_par == client_admin.user
    contact = entreprise.contacts.get()
    assert contact.modifie_par == client_admin.user


# --- heures: locked records ----------------------------------------------------------------


def test_une_attestation_ne_se_modifie_pas(client_admin):
    attestation = factories.AttestationFactory()
    change = url(Attestation, "change", attestation.pk)
    fiche = client_admin.get(change)
    assert fiche.status_code == 200
    assert 'name="_save"' not in fiche.content.decode()

    response = client_admin.post(change, {"numero": "FALSIFIE", "total_heures": "9999"})
    assert response.status_code == 403
    attestation.refresh_from_db()
    assert attestation.numero != "FALSIFIE"
    assert client_admin.get(url(Attestation, "delete", attestation.pk)).status_code == 403
    assert client_admin.post(url(Attestation, "delete", attestation.pk)).status_code == 403
    assert Attestation.objects.filter(pk=attestation.pk).exists()


def test_un_compteur_de_numerotation_ne_se_modifie_pas(client_admin):
    compteur = factories.CompteurNumeroFactory(dernier=12)
    change = url(CompteurNumero, "change", compteur.pk)
    assert client_admin.get(change).status_code == 200
    assert client_admin.post(change, {"prefixe": compteur.prefixe, "dernier": "1"}).status_code == (
        403
    )
    compteur.refresh_from_db()
    assert compteur.dernier == 12


@pytest.mark.parametrize("statut", [StatutDeclaration.VALIDEE, StatutDeclaration.REMPLACEE])
def test_une_declaration_verrouillee_est_en_lecture_seule(client_admin, statut):
    ligne = factories.LigneDeclarationFactory(declaration__statut=statut, heures=Decimal("35.00"))
    decl = ligne.declaration
    change = url(DeclarationMensuelle, "change", decl.pk)

    fiche = client_admin.get(change)
    assert fiche.status_code == 200
    model_admin = admin.site.get_model_admin(DeclarationMensuelle)
    request = fiche.wsgi_request
    assert set(model_admin.get_readonly_fields(request, decl)) >= {
        "entreprise",
        "lot",
        "mois",
        "statut",
        "motif_correction",
    }
    (inline,) = fiche.context["inline_admin_formsets"]
    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.has_delete_permission

    assert client_admin.post(change, {"motif_correction": "x"}).status_code == 403
    assert client_admin.post(url(DeclarationMensuelle, "delete", decl.pk)).status_code == 403
    ligne_change = url(type(ligne), "change", ligne.pk)
    assert client_admin.post(ligne_change, {"heures": "99"}).status_code == 403
    ligne.refresh_from_db()
    assert ligne.heures == Decimal("35.00")


def test_une_declaration_en_brouillon_reste_modifiable(client_admin):
    ligne = factories.LigneDeclarationFactory(heures=Decimal("35.00"))
    decl = ligne.declaration
    change = url(DeclarationMensuelle, "change", decl.pk)
    fiche = client_admin.get(change)
    statuts = [valeur for valeur, _ in fiche.context["adminform"].form.fields["statut"].choices]
    assert StatutDeclaration.VALIDEE not in statuts
    assert StatutDeclaration.REMPLACEE not in statuts

    data = donnees_du_formulaire(fiche)
    data["lignes-0-heures"] = "40.00"
    data["statut"] = StatutDeclaration.SOUMISE
    response = client_admin.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    decl.refresh_from_db()
    ligne.refresh_from_db()
    assert (decl.statut, decl.version, ligne.heures) == ("soumise", 2, Decimal("40.00"))


def test_on_ne_restaure_pas_une_ancienne_version_d_une_declaration_validee(client_admin):
    decl = declaration()
    ancienne = decl.history.earliest()
    decl.statut = StatutDeclaration.VALIDEE
    decl.save()
    revert = url(DeclarationMensuelle, "simple_history", decl.pk, ancienne.history_id)
    response = client_admin.post(revert, {"statut": StatutDeclaration.BROUILLON})
    assert response.status_code == 403
    decl.refresh_from_db()
    assert decl.statut == StatutDeclaration.VALIDEE


# --- heures: protected criteria ------------------------------------------------------------


@pytest.fixture
def participant_rqth():
    rqth = CritereEligibilite.objects.get(code="rqth")
    autre = CritereEligibilite.objects.filter(sensible=False).first()
    participant = factories.ParticipantFactory()
    factories.CritereParticipantFactory(participant=participant, critere=rqth)
    factories.CritereParticipantFactory(participant=participant, critere=autre)
    return participant, rqth, autre


def test_criteres_sensibles_caches_sans_la_permission(client_staff, participant_rqth):
    participant, rqth, autre = participant_rqth
    client = client_staff(roles.SUIVI)
    assert not client.user.has_perm("heures.voir_donnees_sensibles")

    fiche = client.get(url(participant, "change", participant.pk))
    assert fiche.status_code == 200
    contenu = fiche.content.decode()
    assert escape(autre.libelle) in contenu
    assert "RQTH" not in contenu

    liste = client.get(url(type(participant.criteres_valides.first()), "changelist"))
    assert liste.status_code == 200
    assert [cp.critere for cp in liste.context["cl"].result_list] == [autre]
    assert "RQTH" not in liste.content.decode()

    sensible = participant.criteres_valides.get(critere=rqth)
    assert client.get(url(type(sensible), "change", sensible.pk)).status_code == 302
    assert client.get(url(type(sensible), "history", sensible.pk)).status_code == 404


def test_criteres_sensibles_visibles_avec_la_permission(client_staff, participant_rqth):
    participant, rqth, autre = participant_rqth
    client = client_staff(roles.FACILITATEUR)
    assert client.user.has_perm("heures.voir_donnees_sensibles")

    fiche = client.get(url(participant, "change", participant.pk))
    contenu = fiche.content.decode()
    assert escape(autre.libelle) in contenu
    assert escape(rqth.libelle) in contenu
    (inline,) = fiche.context["inline_admin_formsets"]
    assert len(inline.formset.forms) == 2


def test_sans_la_permission_le_choix_des_criteres_exclut_les_sensibles(rf, make_user):
    model_admin = admin.site.get_model_admin(CritereParticipant)
    champ = CritereParticipant._meta.get_field("critere")
    for role, voit in ((roles.SUIVI, False), (roles.FACILITATEUR, True)):
        request = rf.get("/")
        request.user = make_user(role, is_staff=True)
        choix = model_admin.formfield_for_foreignkey(champ, request).queryset
        assert choix.filter(sensible=True).exists() is voit
        assert choix.filter(sensible=False).exists()
        (inline,) = admin.site.get_model_admin(Participant).get_inline_instances(request)
        choix = inline.formfield_for_foreignkey(champ, request).queryset
        assert choix.filter(sensible=True).exists() is voit


def test_date_hierarchy_des_missions(client_admin):
    factories.MissionFactory(date_debut=dt.date(2024, 3, 1), lot__date_debut=dt.date(2024, 1, 1))
    response = client_admin.get(url(Mission, "changelist"), {"date_debut__year": "2024"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
