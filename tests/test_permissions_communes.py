"""The kernel's permission mixins, used by every app: edit pages open with the model's ``add``
permission (creation) or ``change`` permission (edition); read-only admins refuse any change."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from heures.models import (
    Attestation,
    CompteurNumero,
    GenerationAttestations,
    Relance,
    TotalHeuresLot,
    TotalHeuresMois,
)
from mife import roles
from mife.core.admin import LectureSeuleAdminMixin
from mife.models import DemandeBilan, RapportDonneur
from tests import factories as f

pytestmark = pytest.mark.django_db

# (creation URL, edition URL, factory of the edited record, permissions always needed)
EDITIONS = {
    "entreprise": (
        lambda o: reverse("entreprises:creer"),
        lambda o: reverse("entreprises:modifier", args=[o.pk]),
        f.EntrepriseFactory,
        (),
    ),
    "donneurordre": (
        lambda o: reverse("marches:donneur_creer"),
        lambda o: reverse("marches:donneur_modifier", args=[o.pk]),
        f.DonneurOrdreFactory,
        (),
    ),
    "operation": (
        lambda o: reverse("marches:operation_creer"),
        lambda o: reverse("marches:operation_modifier", args=[o.pk]),
        f.OperationFactory,
        (),
    ),
    "marche": (
        lambda o: reverse("marches:marche_creer"),
        lambda o: reverse("marches:marche_modifier", args=[o.pk]),
        f.MarcheFactory,
        (),
    ),
    "lot": (
        lambda o: reverse("marches:lot_creer", args=[o.marche.pk]),
        lambda o: reverse("marches:lot_modifier", args=[o.pk]),
        f.LotFactory,
        (),
    ),
    "echange": (
        lambda o: reverse("marches:echange_creer", args=[o.entreprise.pk]),
        lambda o: reverse("marches:echange_modifier", args=[o.pk]),
        f.EchangeFactory,
        (),
    ),
    "mission": (
        lambda o: reverse("heures:mission_creer"),
        lambda o: reverse("heures:mission_modifier", args=[o.pk]),
        f.MissionFactory,
        (),
    ),
    "besoinrecrutement": (
        lambda o: reverse("heures:besoin_creer"),
        lambda o: reverse("heures:besoin_modifier", args=[o.pk]),
        f.BesoinRecrutementFactory,
        (),
    ),
    "participant": (
        lambda o: reverse("heures:participant_creer"),
        lambda o: reverse("heures:participant_modifier", args=[o.pk]),
        f.ParticipantFactory,
        ("heures.view_participant",),
    ),
}


@pytest.mark.parametrize("modele", EDITIONS)
def test_creer_demande_add_et_modifier_demande_change(client_avec_permissions, modele):
    url_creation, url_edition, fabrique, communes = EDITIONS[modele]
    objet = fabrique()
    creer, modifier = url_creation(objet), url_edition(objet)
    app_label = objet._meta.app_label
    ajout, changement = f"{app_label}.add_{modele}", f"{app_label}.change_{modele}"

    client = client_avec_permissions(*communes, ajout)
    assert client.get(creer).status_code == 200
    assert client.get(modifier).status_code == 403
    client = client_avec_permissions(*communes, changement)
    assert client.get(creer).status_code == 403
    assert client.get(modifier).status_code == 200
    if communes:  # without them, neither page opens
        client = client_avec_permissions(ajout, changement)
        assert client.get(creer).status_code == 403
        assert client.get(modifier).status_code == 403


def test_admins_en_lecture_seule(rf, make_user):
    en_lecture_seule = {
        model
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, LectureSeuleAdminMixin)
    }
    assert en_lecture_seule == {
        Attestation,
        CompteurNumero,
        Relance,
        GenerationAttestations,
        Group,
        DemandeBilan,
        RapportDonneur,
        TotalHeuresMois,
        TotalHeuresLot,
    }
    request = rf.get("/")
    request.user = make_user(roles.ADMIN, is_staff=True, is_superuser=True)
    for model in en_lecture_seule:
        model_admin = admin.site.get_model_admin(model)
        assert model_admin.has_view_permission(request), model
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_delete_permission(request), model
