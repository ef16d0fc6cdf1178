"""The month board: expected company × lot pairs, statuses, filters, export, queries, roles."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from heures.models import StatutDeclaration
from heures.selectors_mois import lignes_du_mois
from mife.core.mois import mois_precedent
from tests import factories as f

pytestmark = pytest.mark.django_db

MOIS = dt.date(2025, 6, 1)
URL = reverse("heures:tableau_mois")


def _lot(**kwargs):
    return f.LotFactory(date_debut=dt.date(2025, 1, 1), date_fin=dt.date(2026, 12, 31), **kwargs)


def _paire(lot=None, employeur=None, statut=None, heures=Decimal("35"), **decl):
    """A mission active in MOIS, and optionally the month's declaration with one line."""
    lot = lot or _lot()
    employeur = employeur or lot.titulaire
    mission = f.MissionFactory(
        lot=lot,
        employeur=employeur,
        date_debut=dt.date(2025, 3, 1),
        date_fin=dt.date(2025, 9, 30),
    )
    declaration = None
    if statut:
        if statut == StatutDeclaration.REJETEE:
            decl.setdefault("motif_rejet", "Heures incomplètes.")
        declaration = f.DeclarationMensuelleFactory(
            lot=lot, entreprise=employeur, mois=MOIS, statut=statut, **decl
        )
        f.LigneDeclarationFactory(declaration=declaration, mission=mission, heures=heures)
    return lot, employeur, declaration


def _statuts(lignes):
    return {(li.entreprise_id, li.lot_id): li.statut for li in lignes}


def test_chaque_statut_et_remplacee_ignoree():
    lot_nr, ent_nr, _ = _paire()
    lot_b, ent_b, _ = _paire(statut=StatutDeclaration.BROUILLON)
    lot_s, ent_s, _ = _paire(statut=StatutDeclaration.SOUMISE)
    lot_v, ent_v, _ = _paire(statut=StatutDeclaration.VALIDEE, heures=Decimal("12"))
    lot_r, ent_r, _ = _paire(statut=StatutDeclaration.REJETEE)
    # A corrected declaration: version 1 replaced (10 h), version 2 validated (42,5 h).
    lot_c, ent_c, v1 = _paire(statut=StatutDeclaration.REMPLACEE, heures=Decimal("10"))
    v2 = f.DeclarationMensuelleFactory(
        lot=lot_c, entreprise=ent_c, mois=MOIS, numero_version=2, remplace=v1, validee=True
    )
    f.LigneDeclarationFactory(
        declaration=v2, mission=v1.lignes.get().mission, heures=Decimal("42.5")
    )
    # Not expected: mission over before the month, lot not active, other month's declaration.
    f.MissionFactory(lot=_lot(), date_debut=dt.date(2025, 1, 2), date_fin=dt.date(2025, 5, 31))
    vieux = f.LotFactory(date_debut=dt.date(2023, 1, 1), date_fin=dt.date(2024, 12, 31))
    f.MissionFactory(lot=vieux, date_debut=dt.date(2023, 2, 1), date_fin=None)

    lignes = lignes_du_mois(MOIS)
    assert _statuts(lignes) == {
        (ent_nr.pk, lot_nr.pk): "non_recue",
        (ent_b.pk, lot_b.pk): "brouillon",
        (ent_s.pk, lot_s.pk): "soumise",
        (ent_v.pk, lot_v.pk): "validee",
        (ent_r.pk, lot_r.pk): "rejetee",
        (ent_c.pk, lot_c.pk): "validee",
    }
    par_paire = {(li.entreprise_id, li.lot_id): li for li in lignes}
    assert par_paire[(ent_c.pk, lot_c.pk)].total_heures == Decimal("42.5")
    assert par_paire[(ent_c.pk, lot_c.pk)].declaration_id == v2.pk
    assert par_paire[(ent_nr.pk, lot_nr.pk)].total_heures is None
    assert par_paire[(ent_v.pk, lot_v.pk)].total_heures == Decimal("12")


def test_mois_par_defaut_et_liens(client_for):
    lot, ent, _ = _paire()
    _, _, decl = _paire(statut=StatutDeclaration.SOUMISE)
    client = client_for("suivi")
    reponse = client.get(URL)
    assert reponse.status_code == 200
    assert reponse.context["mois"] == mois_precedent(dt.date.today())

    reponse = client.get(URL, {"mois": "2025-06"})
    html = reponse.content.decode()
    assert "Tableau du mois — juin 2025" in html
    assert "statut-non_recue" in html and "statut-soumise" in html
    ouvrir = reverse("heures:declaration_ouvrir")
    assert f"{ouvrir}?entreprise={ent.pk}&amp;lot={lot.pk}&amp;mois=2025-06" in html
    assert reverse("heures:declaration_detail", args=[decl.pk]) in html


def test_la_grille_de_saisie_est_preremplie(client_for):
    lot, ent, _ = _paire()
    client = client_for("suivi")
    reponse = client.get(
        reverse("heures:declaration_ouvrir"),
        {"entreprise": ent.pk, "lot": lot.pk, "mois": "2025-06"},
    )
    assert reponse.status_code == 200
    form = reponse.context["form"]
    assert str(form["entreprise"].value()) == str(ent.pk)
    assert str(form["lot"].value()) == str(lot.pk)


def test_filtres(client_for):
    lot_a, ent_a, _ = _paire()
    lot_b, ent_b, _ = _paire(statut=StatutDeclaration.VALIDEE)
    lot_b.titulaire.raison_sociale = "Bâtiments Élégants"
    lot_b.titulaire.save()
    client = client_for("facilitateur")

    def paires(**params):
        reponse = client.get(URL, {"mois": "2025-06", **params})
        assert reponse.status_code == 200
        return {(li.entreprise_id, li.lot_id) for li in reponse.context["page_obj"].object_list}

    assert paires() == {(ent_a.pk, lot_a.pk), (ent_b.pk, lot_b.pk)}
    assert paires(statut="non_recue") == {(ent_a.pk, lot_a.pk)}
    assert paires(statut="validee") == {(ent_b.pk, lot_b.pk)}
    assert paires(statut="rejetee") == set()
    assert paires(entreprise=ent_a.pk) == {(ent_a.pk, lot_a.pk)}
    assert paires(lot=lot_b.pk) == {(ent_b.pk, lot_b.pk)}
    assert paires(donneur_ordre=lot_a.marche.donneur_ordre_id) == {(ent_a.pk, lot_a.pk)}
    assert paires(q="batiments elegants") == {(ent_b.pk, lot_b.pk)}  # accents, case ignored
    assert paires(q=lot_a.marche.reference) == {(ent_a.pk, lot_a.pk)}


def test_export_excel_des_lignes_filtrees(client_for):
    lot, ent, _ = _paire(statut=StatutDeclaration.VALIDEE, heures=Decimal("12.5"))
    f.RelanceFactory(lot=lot, entreprise=ent, mois=MOIS)
    _paire()  # non reçue: filtered out
    client = client_for("suivi")
    reponse = client.get(URL, {"mois": "2025-06", "statut": "validee", "export": "xlsx"})
    assert reponse.status_code == 200
    classeur = load_workbook(io.BytesIO(b"".join(reponse.streaming_content)))
    lignes = list(classeur.active.iter_rows(values_only=True))
    assert lignes[0] == (
        "Entreprise",
        "Lot",
        "Donneur d'ordre",
        "Statut",
        "Heures déclarées",
        "Dernière relance",
    )
    assert len(lignes) == 2
    entreprise, libelle_lot, donneur, statut, heures, relance = lignes[1]
    assert entreprise == ent.raison_sociale
    assert libelle_lot == f"{lot.marche.reference} lot {lot.numero} — {lot.intitule}"
    assert donneur == lot.marche.donneur_ordre.nom
    assert statut == "Validée"
    assert heures == 12.5
    assert relance.date() == dt.date.today()


def _requetes_page(client) -> int:
    with CaptureQueriesContext(connection) as contexte:
        assert client.get(URL, {"mois": "2025-06"}).status_code == 200
    return len(contexte.captured_queries)


def test_nombre_de_requetes_constant(client_for, django_assert_max_num_queries):
    lot = _lot()
    for i in range(3):
        _paire(lot=lot, employeur=f.EntrepriseFactory(), statut="validee" if i else None)
    client = client_for("suivi")
    client.get(URL, {"mois": "2025-06"})  # warm up (session, permissions cache)
    trois = _requetes_page(client)
    for i in range(27):
        _paire(lot=lot, employeur=f.EntrepriseFactory(), statut="brouillon" if i % 2 else None)
        if i % 3 == 0:
            f.RelanceFactory(lot=lot, entreprise=f.EntrepriseFactory(), mois=MOIS)
    assert len(lignes_du_mois(MOIS)) == 30
    with django_assert_max_num_queries(trois):
        client.get(URL, {"mois": "2025-06"})


@pytest.mark.parametrize(
    ("role", "attendu"),
    [
        ("facilitateur", 200),
        ("suivi", 200),
        ("admin", 200),
        ("direction", 403),
        ("animateur", 403),
    ],
)
def test_permissions_du_tableau(client_for, role, attendu):
    _paire()
    reponse = client_for(role).get(URL, {"mois": "2025-06"})
    assert reponse.status_code == attendu
    if attendu == 200:
        assert "Tableau du mois" in reponse.content.decode()


def test_navigation(client_for):
    html = client_for("suivi").get(reverse("heures:declaration_liste")).content.decode()
    assert URL in html and "Tableau du mois" in html


def test_pagine_trie_et_compte_en_sql(client_for):
    """55 expected pairs: the database sorts by company, pages by 50, counts with the filter;
    the page query reads 50 rows (LIMIT), not the whole month."""
    lot = _lot()
    for i in range(55):
        employeur = f.EntrepriseFactory(raison_sociale=f"Entreprise {i:02d}")
        _paire(lot=lot, employeur=employeur, statut=StatutDeclaration.VALIDEE if i % 5 else None)
    client = client_for("suivi")
    with CaptureQueriesContext(connection) as contexte:
        page1 = client.get(URL, {"mois": "2025-06"}).context
    noms = [li.entreprise for li in page1["lignes"]]
    assert noms == [f"Entreprise {i:02d}" for i in range(50)]
    assert page1["total"] == 55 and page1["non_recues"] == 11
    sql_page = [q["sql"] for q in contexte.captured_queries if "LIMIT 50" in q["sql"]]
    assert len(sql_page) == 1
    page2 = client.get(URL, {"mois": "2025-06", "page": 2}).context
    assert [li.entreprise for li in page2["lignes"]] == [
        f"Entreprise {i:02d}" for i in range(50, 55)
    ]
    valides = client.get(URL, {"mois": "2025-06", "statut": "validee"}).context
    assert valides["total"] == 44 and valides["non_recues"] == 0
    assert all(li.total_heures == Decimal("35") for li in valides["lignes"])
    f.EntrepriseFactory._meta.model.objects.filter(raison_sociale="Entreprise 15").update(
        raison_sociale="Menuiserie Œuvre Élan"
    )
    trouvee = client.get(URL, {"mois": "2025-06", "statut": "non_recue", "q": "OEUVRE elan"})
    assert [li.entreprise for li in trouvee.context["lignes"]] == ["Menuiserie Œuvre Élan"]
    assert trouvee.context["total"] == 1 and trouvee.context["non_recues"] == 1


def test_filtre_donneur_d_ordre_vide_dit_tous(client_for):
    """Like every other filter, the empty choice of the buyer reads « Tous », not « --------- »."""
    page = client_for("suivi").get(URL).content.decode()
    debut = page.index('name="donneur_ordre"')
    select = page[debut : page.index("</select>", debut)]
    assert '<option value="" selected>Tous</option>' in select and "---------" not in select
