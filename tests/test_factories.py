"""Every factory creates valid rows (twice, so unique fields really vary) and builds offline."""

import pytest
from django.apps import apps
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from tests import factories

APPS_DU_DOMAINE = ("mife", "entreprises", "marches", "heures", "label")


@pytest.fixture(autouse=True)
def media_temporaire(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _nom(factory_class) -> str:
    return factory_class.__name__


@pytest.mark.django_db
@pytest.mark.parametrize("factory_class", factories.TOUTES, ids=_nom)
def test_factory_cree_des_lignes_valides(factory_class):
    premiere = factory_class.create()
    seconde = factory_class.create()
    for instance in (premiere, seconde):
        assert instance.pk is not None
        instance.full_clean()
    model = factory_class._meta.model
    assert isinstance(premiere, model)
    assert model._default_manager.filter(pk__in=[premiere.pk, seconde.pk]).count() in (1, 2)


@pytest.mark.django_db
@pytest.mark.parametrize("factory_class", factories.TOUTES, ids=_nom)
def test_factory_build_ne_touche_pas_la_base(factory_class, django_assert_num_queries):
    with django_assert_num_queries(0):
        instance = factory_class.build()
    assert isinstance(instance, factory_class._meta.model)


def test_chaque_modele_a_sa_factory():
    modeles = {
        model
        for label in APPS_DU_DOMAINE
        for model in apps.get_app_config(label).get_models()
        if not model._meta.auto_created and not model.__name__.startswith("Historical")
    }
    couverts = {f._meta.model for f in factories.TOUTES}
    assert modeles - couverts == set()


@pytest.mark.parametrize("n", [0, 1, 9, 10, 123, 999, 1000, 9_999_999, 10_000_000])
def test_siret_genere_valide(n):
    valeur = factories.siret(n)
    assert len(valeur) == 14
    assert stdnum_siret.is_valid(valeur)
    assert stdnum_siren.is_valid(valeur[:9])
    assert stdnum_siret.is_valid(factories.siret(n, premier_chiffre=2))


def test_siret_unique_par_numero():
    assert len({factories.siret(n) for n in range(5000)}) == 5000


@pytest.mark.django_db
def test_coherence_des_objets_lies():
    ligne = factories.LigneDeclarationFactory()
    declaration, mission = ligne.declaration, ligne.mission
    lot = declaration.lot
    assert declaration.entreprise == lot.titulaire
    assert mission.lot == lot
    assert mission.employeur == lot.titulaire
    assert lot.date_debut <= mission.date_debut <= mission.date_fin <= lot.date_fin
    assert declaration.mois.day == 1
    assert lot.date_debut <= declaration.mois <= lot.date_fin
    assert lot.marche.operation.donneur_ordre == lot.marche.donneur_ordre

    clause = factories.ClauseFactory()
    assert clause.heures_requises == clause.heures_calculees > 0

    attestation = factories.AttestationFactory(realisation=True)
    attestation.full_clean()
    assert attestation.declaration is None
    assert attestation.entreprise == attestation.lot.titulaire

    mission = factories.MissionFactory(terminee=True)
    mission.full_clean()
    assert mission.sortie and mission.date_fin

    label = factories.LabelFactory()
    assert label.entreprise == label.dossier.entreprise
    assert label.date_expiration > label.date_obtention


@pytest.mark.django_db
def test_user_factory_avec_role():
    from mife import roles

    user = factories.UserFactory(role=roles.SUIVI)
    assert user.check_password(factories.MOT_DE_PASSE)
    assert user.role == roles.ROLES_PAR_CODE[roles.SUIVI]
    assert user.has_perm("heures.valider_declaration")
