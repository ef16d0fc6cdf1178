"""The administration speaks French throughout: app names (ours and third-party ones), model
and field names of third-party packages (project translation in locale/)."""

import gettext
import re
from pathlib import Path

import lxml.html
import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from mife import roles

pytestmark = pytest.mark.django_db

LOCALE = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES"

NOMS_ATTENDUS = {
    "mife": "Comptes et paramètres",
    "entreprises": "Entreprises",
    "marches": "Marchés",
    "heures": "Participants et heures",
    "label": "Label Empl'itudes",
    "journal": "Journal des accès et de la sécurité",
    "axes": "Connexions et blocages",
    "django_otp": "Double authentification",
    "otp_totp": "Double authentification — applications d'authentification",
    "otp_static": "Double authentification — codes de secours",
    "django_tasks": "Tâches de fond",
    "django_tasks_database": "Tâches de fond (file en base de données)",
    "simple_history": "Historique des modifications",
}


@pytest.fixture
def client_admin(client, make_user):
    user = make_user(roles.ADMIN)
    user.is_staff = True
    user.save()
    client.force_login(user)
    return client


@pytest.mark.parametrize(("label", "nom"), NOMS_ATTENDUS.items())
def test_nom_francais_de_chaque_app(label, nom):
    assert str(apps.get_app_config(label).verbose_name) == nom


def test_aucune_app_avec_modeles_sous_un_nom_par_defaut():
    """An app with models shows its name in the admin: never the label capitalised by Django
    (« Axes », « Django_Otp »), never an English name."""
    with translation.override("fr"):
        for config in apps.get_app_configs():
            if not list(config.get_models()) or config.name.startswith("django.contrib."):
                continue
            nom = str(config.verbose_name)
            assert "_" not in nom, config.label
            # The name is chosen (by the app or by mife/apps_tierces.py), not Django's default.
            definie = any("verbose_name" in vars(k) for k in type(config).__mro__[:-2])
            assert definie, config.label
            assert not re.search(r"\b(Backend|Database|Tasks?|Devices?)\b", nom), config.label


def test_index_de_l_admin_en_francais(client_admin):
    reponse = client_admin.get(reverse("admin:index"))
    doc = lxml.html.fromstring(reponse.content.decode())
    titres = [" ".join(c.text_content().split()) for c in doc.xpath("//caption")]
    assert titres == [
        "Authentification et autorisation",
        "Comptes et paramètres",
        "Connexions et blocages",
        "Entreprises",
        "Label Empl'itudes",
        "Marchés",
        "Participants et heures",
        "Tâches de fond (file en base de données)",
    ]
    modeles = {" ".join(a.text_content().split()) for a in doc.xpath("//th[@scope='row']/a")}
    assert "Résultats des tâches" in modeles
    assert "Task Results" not in modeles
    # Django's own « Aucun(e) disponible » under « Mes actions »: no « (e) » in our pages.
    assert "Aucune action pour l'instant" in reponse.content.decode()
    assert "(e)" not in doc.text_content()


def test_modeles_et_champs_des_taches_de_fond_traduits(client_admin):
    with translation.override("fr"):
        assert str(DBTaskResult._meta.verbose_name) == "résultat de tâche"
        assert str(DBTaskResult._meta.get_field("priority").verbose_name) == "priorité"
    reponse = client_admin.get(reverse("admin:django_tasks_database_dbtaskresult_changelist"))
    assert reponse.status_code == 200
    contenu = reponse.content.decode()
    assert "résultat de tâche" in contenu
    filtres = lxml.html.fromstring(contenu).xpath('//*[@id="changelist-filter"]//summary')
    textes = {" ".join(f.text_content().split()) for f in filtres}
    assert {"Par statut", "Par priorité", "Par file"} <= textes
    assert "En attente" in contenu and "Réussie" in contenu  # the statuses of a task


def test_nos_modeles_ont_des_noms_francais():
    """Every model of our apps declares its French name (Django's default would be the class
    name without its accents: « declarationmensuelle »)."""
    for label in ("mife", "entreprises", "marches", "heures", "label", "journal"):
        for model in apps.get_app_config(label).get_models():
            if model.__name__.startswith("Historical"):
                continue  # named by simple_history after the model
            assert "verbose_name" in model._meta.original_attrs, model
            assert (
                "verbose_name_plural" in model._meta.original_attrs
                or str(model._meta.verbose_name_plural) == f"{model._meta.verbose_name}s"
            ), model


def test_traductions_compilees_a_jour():
    """The committed .mo holds every translation of the .po (re-run msgfmt after editing)."""
    po = (LOCALE / "django.po").read_text(encoding="utf-8")
    entrees = re.findall(r'(?:msgctxt "([^"]*)"\n)?msgid "([^"]+)"\nmsgstr "([^"]*)"', po)
    assert len(entrees) > 10
    with (LOCALE / "django.mo").open("rb") as fichier:
        mo = gettext.GNUTranslations(fichier)
    for contexte, source, traduction in entrees:
        if contexte:
            assert mo.pgettext(contexte, source) == traduction, source
        else:
            assert mo.gettext(source) == traduction, source


def test_l_admin_reste_interdite_hors_administrateur(client, make_user):
    client.force_login(make_user(roles.FACILITATEUR))
    reponse = client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist"))
    assert reponse.status_code == 302
    assert reponse.url.startswith(reverse("admin:login"))
