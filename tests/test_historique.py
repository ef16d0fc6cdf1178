"""The history of a record, built once by ``mife.core.historique`` for the detail pages and the
participants' right-of-access export."""

import pytest

from marches.models import Lot
from mife.core.fiches import historique
from mife.core.historique import CHAMPS_TECHNIQUES, lignes_historique
from tests import factories as f

pytestmark = pytest.mark.django_db


def _versions(obj):
    return obj.history.select_related("history_user").order_by("history_date", "history_id")


def test_une_ligne_par_version_avec_les_champs_changes():
    auteur = f.UserFactory(first_name="Camille", last_name="Roy")
    lot = f.LotFactory(intitule="Gros œuvre")
    lot.intitule, lot.version, lot._history_user = "Gros œuvre et VRD", 2, auteur
    lot._change_reason = "Avenant n° 1"
    lot.save()

    creation, modification = lignes_historique(_versions(lot), Lot)
    assert (creation.type, creation.auteur, creation.changements) == ("Création", "système", [])
    assert modification.type == "Modification"
    assert modification.auteur == str(auteur) and modification.motif == "Avenant n° 1"
    # ``version`` and ``modifie_le`` changed too: bookkeeping, not listed.
    assert [str(c) for c in modification.changements] == [
        "intitulé : « Gros œuvre » → « Gros œuvre et VRD »"
    ]


def test_champs_exclus_et_objets_lies():
    lot = f.LotFactory()
    ancien, nouveau = lot.titulaire, f.EntrepriseFactory()
    lot.titulaire = nouveau
    lot.save()

    (changement,) = lignes_historique(_versions(lot), Lot)[-1].changements
    assert (changement.champ, changement.avant, changement.apres) == (
        "titulaire",
        ancien.pk,
        nouveau.pk,
    )
    (changement,) = lignes_historique(_versions(lot), Lot, objets_lies=True)[-1].changements
    assert (changement.avant, changement.apres) == (ancien, nouveau)
    sans_titulaire = lignes_historique(_versions(lot), Lot, CHAMPS_TECHNIQUES | {"titulaire"})
    assert sans_titulaire[-1].changements == []


def test_plusieurs_a_plusieurs_compte_les_elements():
    lot = f.LotFactory()
    lot.cotraitants.add(f.EntrepriseFactory(), f.EntrepriseFactory())  # a version of its own

    (changement,) = lignes_historique(_versions(lot), Lot)[-1].changements
    assert changement.multiple
    assert str(changement) == "cotraitants : 0 → 2 élément(s)"


def test_fiche_les_dernieres_modifications_d_abord():
    lot = f.LotFactory(intitule="v0")
    for i in range(1, 4):
        lot.intitule = f"v{i}"
        lot.save()

    lignes = historique(lot, limite=2)
    # The oldest shown change is still diffed against the version before it, not shown.
    assert [ligne["changements"] for ligne in lignes] == [
        ["intitulé : « v2 » → « v3 »"],
        ["intitulé : « v1 » → « v2 »"],
    ]
    assert [ligne["type"] for ligne in historique(lot)] == [
        "Modification",
        "Modification",
        "Modification",
        "Création",
    ]
