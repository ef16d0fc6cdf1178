"""Each page and action of the contracts area follows its rule of ``marches/perms.py``: a user
holding only the permission behind the rule gets in (or sees the action), anyone else does not."""

import pytest
from django.urls import reverse

from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def objets():
    lot = f.ClauseFactory().lot
    echange = f.EchangeFactory(
        entreprise=lot.titulaire, lot=lot, prochaine_action="Rappeler", action_faite_le=None
    )
    return {"lot": lot, "marche": lot.marche, "echange": echange}


PAGES = [
    ("marches:marche_liste", None, "marches.view_marche"),
    ("marches:marche_detail", "marche", "marches.view_marche"),
    ("marches:lot_liste", None, "marches.view_lot"),
    ("marches:lot_detail", "lot", "marches.view_lot"),
    ("marches:calcul_heures", None, "marches.view_lot"),
    ("marches:operation_liste", None, "marches.view_operation"),
    ("marches:operation_detail", "operation", "marches.view_operation"),
    ("marches:donneur_liste", None, "marches.view_donneurordre"),
    ("marches:donneur_detail", "donneur_ordre", "marches.view_donneurordre"),
    ("marches:echange_liste", None, "marches.view_echange"),
    ("marches:echange_detail", "echange", "marches.view_echange"),
    ("marches:import_decp", None, "marches.importer_decp"),
]


def _url(nom, cle, objets):
    marche = objets["marche"]
    pks = {
        "marche": marche.pk,
        "lot": objets["lot"].pk,
        "operation": marche.operation.pk,
        "donneur_ordre": marche.donneur_ordre.pk,
        "echange": objets["echange"].pk,
    }
    return reverse(nom, args=[pks[cle]] if cle else [])


@pytest.mark.parametrize(("nom", "cle", "permission"), PAGES)
def test_page_ouverte_par_sa_seule_permission(
    client_avec_permissions, objets, nom, cle, permission
):
    url = _url(nom, cle, objets)
    assert client_avec_permissions().get(url).status_code == 403
    assert client_avec_permissions(permission).get(url).status_code == 200


def test_annexe_ouverte_par_la_permission_de_voir_les_lots(client_avec_permissions, objets):
    url = reverse("marches:lot_annexe", args=[objets["lot"].pk, "docx"])
    assert client_avec_permissions().get(url).status_code == 403
    assert client_avec_permissions("marches.view_lot").get(url).status_code == 200


def test_action_faite_reservee_a_qui_modifie_les_echanges(client_avec_permissions, objets):
    echange = objets["echange"]
    url = reverse("marches:echange_action_faite", args=[echange.pk])
    assert client_avec_permissions("marches.view_echange").post(url).status_code == 403
    echange.refresh_from_db()
    assert echange.action_faite_le is None
    reponse = client_avec_permissions("marches.change_echange").post(url)
    assert reponse.status_code == 302
    echange.refresh_from_db()
    assert echange.action_faite_le is not None


ACTIONS = [
    (
        "marches:operation_detail",
        "operation",
        "marches.view_operation",
        [
            ("marches.add_marche", "Nouveau marché"),
            ("marches.change_operation", "Modifier"),
        ],
    ),
    (
        "marches:marche_detail",
        "marche",
        "marches.view_marche",
        [
            ("marches.add_lot", "Nouveau lot"),
            ("marches.change_marche", "Modifier"),
        ],
    ),
    (
        "marches:lot_detail",
        "lot",
        "marches.view_lot",
        [
            ("marches.change_lot", "Modifier le lot et la clause"),
            ("heures.add_mission", "Nouvelle mission"),
            ("heures.add_besoinrecrutement", "Nouveau besoin de recrutement"),
            ("heures.emettre_attestation", "Attestation de réalisation"),
        ],
    ),
    (
        "marches:donneur_detail",
        "donneur_ordre",
        "marches.view_donneurordre",
        [
            ("marches.add_operation", "Nouvelle opération"),
            ("marches.add_marche", "Nouveau marché"),
            ("marches.change_donneurordre", "Modifier"),
        ],
    ),
    (
        "marches:echange_detail",
        "echange",
        "marches.view_echange",
        [
            ("marches.change_echange", "Marquer l'action comme faite"),
            ("marches.change_echange", "Modifier"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("nom", "cle", "lecture", "permission", "libelle"),
    [(nom, cle, lecture, *action) for nom, cle, lecture, actions in ACTIONS for action in actions],
)
def test_action_de_fiche_montree_selon_sa_permission(
    client_avec_permissions, objets, nom, cle, lecture, permission, libelle
):
    url = _url(nom, cle, objets)

    def libelles(*permissions):
        reponse = client_avec_permissions(*permissions).get(url)
        return [action.libelle for action in reponse.context["actions"]]

    assert libelle not in libelles(lecture)
    assert libelle in libelles(lecture, permission)


def test_echanges_sur_les_fiches_lot_et_entreprise(client_avec_permissions, objets):
    """Logging and reading exchanges follow the same two rules on the lot and company pages."""
    lot = objets["lot"]
    pages = {
        lot.get_absolute_url(): "marches.view_lot",
        lot.titulaire.get_absolute_url(): "entreprises.view_entreprise",
    }
    for url, lecture in pages.items():

        def titres(*permissions, url=url):
            reponse = client_avec_permissions(*permissions).get(url)
            return [t.titre for t in reponse.context["tableaux"]]

        assert not any(t.startswith("Échanges") for t in titres(lecture))
        assert any(t.startswith("Échanges") for t in titres(lecture, "marches.view_echange"))
    fiche_entreprise = lot.titulaire.get_absolute_url()
    reponse = client_avec_permissions("entreprises.view_entreprise").get(fiche_entreprise)
    assert "Noter un échange" not in [a.libelle for a in reponse.context["actions"]]
    reponse = client_avec_permissions("entreprises.view_entreprise", "marches.add_echange").get(
        fiche_entreprise
    )
    assert "Noter un échange" in [a.libelle for a in reponse.context["actions"]]
