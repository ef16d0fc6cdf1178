"""Detail pages keep their tables bounded (LIMITE_TABLEAU rows, then a link to the filtered
list), and issuing an attestation reads its rows in a constant number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from heures.models import DeclarationMensuelle
from heures.services import attestations
from mife.core import fiches, formats
from tests import factories as f

pytestmark = pytest.mark.django_db
LIMITE = fiches.LIMITE_TABLEAU


def _tableau(reponse, debut_titre):
    return next(t for t in reponse.context["tableaux"] if t.titre.startswith(debut_titre))


def test_lots_comme_titulaire_bornes_avec_lien(client_for):
    entreprise = f.EntrepriseFactory()
    lots = [f.LotFactory(titulaire=entreprise) for _ in range(LIMITE + 2)]
    client = client_for("facilitateur")
    reponse = client.get(reverse("entreprises:detail", args=[entreprise.pk]))
    tableau = _tableau(reponse, "Lots comme titulaire")
    assert tableau.titre == f"Lots comme titulaire ({LIMITE} plus récents)"
    assert len(tableau.lignes) == LIMITE + 1  # the rows, then the link
    lien = reverse("marches:lot_liste") + f"?entreprise={entreprise.pk}"
    assert tableau.lignes[-1] == [("Voir tous les lots de l'entreprise comme titulaire", lien)]
    assert f'href="{lien}"' in reponse.content.decode()
    # the full list behind the link has every lot
    liste = client.get(lien)
    assert liste.context["paginator"].count == len(lots)


def test_lots_comme_titulaire_sans_lien_quand_tout_tient(client_for):
    entreprise = f.EntrepriseFactory()
    f.LotFactory(titulaire=entreprise)
    reponse = client_for("facilitateur").get(reverse("entreprises:detail", args=[entreprise.pk]))
    tableau = _tableau(reponse, "Lots comme titulaire")
    assert tableau.titre == "Lots comme titulaire" and len(tableau.lignes) == 1


def test_missions_du_lot_bornees_lien_selon_le_droit(client_for, django_assert_max_num_queries):
    lot = f.LotFactory()
    for _ in range(LIMITE + 3):
        f.MissionFactory(lot=lot, employeur=lot.titulaire)
    url = reverse("marches:lot_detail", args=[lot.pk])
    client = client_for("facilitateur")
    client.get(url)
    with CaptureQueriesContext(connection) as avant:
        reponse = client.get(url)
    tableau = _tableau(reponse, "Missions")
    assert tableau.titre == f"Missions ({LIMITE} plus récentes)"
    assert tableau.lignes[-1] == [
        ("Voir toutes les missions du lot", reverse("heures:mission_liste") + f"?lot={lot.pk}")
    ]
    for _ in range(20):  # more missions: same number of queries
        f.MissionFactory(lot=lot, employeur=lot.titulaire)
    with django_assert_max_num_queries(len(avant.captured_queries)):
        client.get(url)


def test_missions_du_lot_sans_lien_pour_qui_ne_voit_pas_les_missions(client_for):
    lot = f.LotFactory()
    for _ in range(LIMITE + 1):
        f.MissionFactory(lot=lot, employeur=lot.titulaire)
    reponse = client_for("direction").get(reverse("marches:lot_detail", args=[lot.pk]))
    tableau = _tableau(reponse, "Missions")
    assert len(tableau.lignes) == LIMITE  # bounded, no link to a list it may not open
    assert all(cellule == ("—", "") for cellule in (ligne[1] for ligne in tableau.lignes))


def test_heures_du_participant_bornees(client_for):
    mission = f.MissionFactory(date_debut=dt.date(2020, 1, 1), date_fin=None)
    for i in range(LIMITE + 2):
        mois = dt.date(2020 + i // 12, 1 + i % 12, 1)
        d = f.DeclarationMensuelleFactory(
            lot=mission.lot, entreprise=mission.employeur, mois=mois, validee=True
        )
        f.LigneDeclarationFactory(declaration=d, mission=mission, heures=Decimal("2"))
    reponse = client_for("facilitateur").get(
        reverse("heures:participant_detail", args=[mission.participant_id])
    )
    tableau = _tableau(reponse, "Heures validées par mois")
    assert tableau.titre == f"Heures validées par mois ({LIMITE} plus récents)"
    assert len(tableau.lignes) == LIMITE
    # the latest 50 months, in chronological order: the 3rd month to the 52nd
    assert tableau.lignes[0][0] == ("mars 2020", "")
    assert tableau.lignes[-1][0] == ("avril 2024", "")
    missions = _tableau(reponse, "Missions")
    assert missions.lignes[0][-1] == (formats.heures(Decimal(2 * (LIMITE + 2))), "")


def _declaration_validee(nombre_lignes: int) -> DeclarationMensuelle:
    lot = f.ClauseFactory(heures_requises=Decimal("100")).lot
    d = f.DeclarationMensuelleFactory(
        lot=lot, entreprise=lot.titulaire, mois=dt.date(2026, 3, 1), validee=True
    )
    for _ in range(nombre_lignes):
        mission = f.MissionFactory(lot=lot, employeur=lot.titulaire, date_debut=dt.date(2026, 1, 1))
        f.LigneDeclarationFactory(declaration=d, mission=mission, heures=Decimal("3"))
    return d


def test_emission_d_une_attestation_en_requetes_constantes(make_user):
    user = make_user("suivi")
    une, dix = _declaration_validee(1), _declaration_validee(10)
    attestations.emettre_mensuelle(_declaration_validee(1), user)  # warm-up (parameters…)
    with CaptureQueriesContext(connection) as pour_une:
        a1 = attestations.emettre_mensuelle(une, user)
    with CaptureQueriesContext(connection) as pour_dix:
        a10 = attestations.emettre_mensuelle(dix, user)
    assert a1.total_heures == Decimal("3") and a10.total_heures == Decimal("30")
    assert len(pour_dix.captured_queries) == len(pour_une.captured_queries)
    assert len(pour_une.captured_queries) <= 20
