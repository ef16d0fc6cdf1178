"""The history of a record, built once by ``mife.core.historique`` for the detail pages and the
participants' right-of-access export."""

import datetime as dt
import html
from decimal import Decimal

import pytest

from marches.models import Lot
from mife import roles
from mife.core import formats
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
        "Intitulé : « Gros œuvre » → « Gros œuvre et VRD »"
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


def test_plusieurs_a_plusieurs_par_leurs_noms():
    lot = f.LotFactory()
    a = f.EntrepriseFactory(raison_sociale="Alpha Bâtiment")
    b = f.EntrepriseFactory(raison_sociale="Bêta Peinture")
    lot.cotraitants.add(a, b)  # a version of its own

    (changement,) = lignes_historique(_versions(lot), Lot)[-1].changements
    assert changement.multiple
    assert (changement.avant, sorted(changement.apres)) == ([], sorted([a.pk, b.pk]))
    assert changement.apres_texte in (
        "Alpha Bâtiment, Bêta Peinture",
        "Bêta Peinture, Alpha Bâtiment",
    )
    assert str(changement) == f"Cotraitants : « — » → « {changement.apres_texte} »"
    # The right-of-access export keeps simple-history's related rows: counted.
    (exporte,) = lignes_historique(_versions(lot), Lot, objets_lies=True)[-1].changements
    assert str(exporte) == "Cotraitants : 0 → 2 élément(s)"


def test_fiche_les_dernieres_modifications_d_abord():
    lot = f.LotFactory(intitule="v0")
    for i in range(1, 4):
        lot.intitule = f"v{i}"
        lot.save()

    lignes = historique(lot, limite=2)
    # The oldest shown change is still diffed against the version before it, not shown.
    assert [ligne["changements"] for ligne in lignes] == [
        ["Intitulé : « v2 » → « v3 »"],
        ["Intitulé : « v1 » → « v2 »"],
    ]
    assert [ligne["type"] for ligne in historique(lot)] == [
        "Modification",
        "Modification",
        "Modification",
        "Création",
    ]


# --- what a reader sees: labels, choice labels, names, local time --------------------------------


def test_valeurs_lisibles_choix_cles_etrangeres_dates_et_auteur():
    from heures.models import DeclarationMensuelle, StatutDeclaration

    suivi = f.UserFactory(first_name="Sandrine", last_name="Morel", username="smorel")
    declaration = f.DeclarationMensuelleFactory(statut=StatutDeclaration.SOUMISE)
    declaration.statut = StatutDeclaration.VALIDEE
    declaration.traitee_par = suivi
    declaration.traitee_le = dt.datetime(2026, 7, 1, 8, 5, 30, 123456, tzinfo=dt.UTC)
    declaration._history_user = suivi
    declaration.save()

    lignes = historique(declaration)
    assert lignes[0]["auteur"] == "Sandrine Morel"
    assert sorted(lignes[0]["changements"]) == [
        "Statut : « Soumise » → « Validée »",
        "Validée ou rejetée le : « — » → « 01/07/2026 10:05 »",  # Paris time, no seconds
        "Validée ou rejetée par : « — » → « Sandrine Morel »",
    ]
    modification = lignes_historique(_versions(declaration), DeclarationMensuelle)[-1]
    changement = next(c for c in modification.changements if c.champ == "validée ou rejetée par")
    # The stored values stay available (the right-of-access export writes them).
    assert (changement.avant, changement.apres) == (None, suivi.pk)


def test_booleens_nombres_et_objet_supprime():
    from marches.models import Clause

    clause = f.ClauseFactory(heures_requises=Decimal("833"))
    clause.heures_requises = Decimal("1250.5")
    clause.save()
    (changement,) = lignes_historique(_versions(clause), Clause)[-1].changements
    assert str(changement).replace("\u202f", " ").replace("\xa0", " ") == (
        "Heures d'insertion requises : « 833 » → « 1 250,5 »"
    )

    lot = f.LotFactory()
    ancien = lot.titulaire
    lot.titulaire = f.EntrepriseFactory(raison_sociale="Bâtir Ensemble")
    lot.save()
    ancien_pk = ancien.pk
    lot.history.filter(titulaire=ancien).update(titulaire=None)  # history rows keep ids only
    f.EntrepriseFactory._meta.model.objects.filter(pk=ancien_pk).delete()
    versions = list(_versions(lot))
    versions[0].titulaire_id = ancien_pk
    (changement,) = lignes_historique(versions, Lot)[-1].changements
    assert changement.avant_texte == f"n° {ancien_pk} (supprimé)"
    assert changement.apres_texte == "Bâtir Ensemble"


def test_cles_etrangeres_chargees_en_lot(django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lot = f.LotFactory()

    def changer(n):
        for _ in range(n):
            lot.titulaire = f.EntrepriseFactory()
            lot.facilitateur = f.UserFactory()
            lot.save()
            lot.cotraitants.add(f.EntrepriseFactory())

    changer(2)
    with CaptureQueriesContext(connection) as requetes:
        historique(lot)
    changer(15)
    with django_assert_max_num_queries(len(requetes)):
        lignes = historique(lot)
    titulaires = [c for ligne in lignes for c in ligne["changements"] if "Titulaire" in c]
    assert len(titulaires) == 17
    assert str(lot.titulaire) in titulaires[0]


def test_page_d_historique_de_l_administration(client_for):
    from heures.models import StatutDeclaration

    client = client_for(roles.ADMIN, is_staff=True, last_name="Martin", first_name="Alex")
    declaration = f.DeclarationMensuelleFactory(statut=StatutDeclaration.SOUMISE)
    declaration.statut = StatutDeclaration.REJETEE
    declaration.traitee_par = client.user
    declaration.motif_rejet = "Heures de juin en double."
    declaration._history_user = client.user
    declaration.save()

    reponse = client.get(f"/admin/heures/declarationmensuelle/{declaration.pk}/history/")

    texte = " ".join(html.unescape(reponse.content.decode()).split())
    assert "Statut :</strong> « Soumise » → « Rejetée »" in texte
    assert "Validée ou rejetée par :</strong> « — » → « Alex Martin »" in texte
    assert "Motif du rejet :</strong> « — » → « Heures de juin en double. »" in texte
    assert "<td>Modification</td> <td>Alex Martin</td>" in texte
    assert "<td>Création</td> <td>système</td>" in texte
    version = declaration.history.order_by("-history_date").first()
    assert f"<td>{formats.date_fr(version.history_date)}</td>" in texte  # Paris, no seconds
    assert "None" not in texte and "Aucun(e)" not in texte


@pytest.mark.parametrize("role", [roles.SUIVI, roles.DIRECTION])
def test_page_d_historique_de_l_administration_refusee(client_for, role):
    declaration = f.DeclarationMensuelleFactory()
    reponse = client_for(role).get(f"/admin/heures/declarationmensuelle/{declaration.pk}/history/")
    assert reponse.status_code in (302, 403)
