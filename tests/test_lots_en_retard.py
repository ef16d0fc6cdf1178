"""Lots behind schedule: hours done (validated declarations only) below the progress expected
pro rata of the lot's duration, minus the margin set in the admin (Parametres.marge_retard).

The expected progress is computed in SQL (mife.core.expressions.JoursEntre is written per
backend): run this file on SQLite and on PostgreSQL (DATABASE_URL).
"""

import datetime as dt
from decimal import Decimal
from io import BytesIO

import lxml.html
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from heures import selectors as heures_selectors
from marches.models import Lot
from mife import roles
from mife.core.models import Parametres
from mife.core.mois import premier_jour
from tests.factories import (
    ClauseFactory,
    DeclarationMensuelleFactory,
    LigneDeclarationFactory,
    LotFactory,
)

pytestmark = pytest.mark.django_db

URL_LISTE = "marches:lot_liste"


def _doc(response):
    return lxml.html.fromstring(response.content.decode())


def _texte(response) -> str:
    return " ".join(_doc(response).text_content().split())


def _lignes_liste(response) -> dict[str, str]:
    """Lot title → status shown, for each row of the list page."""
    lignes = {}
    for tr in _doc(response).xpath("//table//tbody/tr"):
        cellules = tr.xpath("./td")
        if len(cellules) < 2:
            continue  # "no result" row
        titre = " ".join(cellules[0].text_content().split())
        lignes[titre] = " ".join(cellules[-1].text_content().split())
    return lignes


def _lot(intitule, debut, fin, requises="1000", validees=(), autres=(), **lot):
    """A lot of ``intitule`` with a clause and declarations (hours per line, ≤ 150)."""
    clause = ClauseFactory(
        lot__intitule=intitule,
        lot__marche__date_notification=debut - dt.timedelta(days=30),
        lot__date_debut=debut,
        lot__date_fin=fin,
        heures_requises=Decimal(requises),
        **{f"lot__{k}": v for k, v in lot.items()},
    )
    lot = clause.lot
    for statut, heures, decalage in (("validee", validees, 0), ("soumise", autres, 31)):
        if not heures:
            continue
        mois = premier_jour(debut + dt.timedelta(days=5 + decalage))
        declaration = DeclarationMensuelleFactory(
            lot=lot, mois=mois, **({"validee": True} if statut == "validee" else {"statut": statut})
        )
        for h in heures:
            LigneDeclarationFactory(declaration=declaration, heures=Decimal(h))
    return lot


@pytest.fixture
def aujourdhui():
    return timezone.localdate()


@pytest.fixture
def lots(aujourdhui):
    """Half of the duration elapsed (100 of 200 days): 50 % expected, margin 10 points."""
    debut, fin = aujourdhui - dt.timedelta(days=100), aujourdhui + dt.timedelta(days=100)
    return {
        # 10 % done (the 800 h submitted but not validated do not count) < 50 - 10: late.
        "retard": _lot(
            "Lot en retard", debut, fin, validees=["60", "40"], autres=["150"] * 5 + ["50"]
        ),
        # 45 % done ≥ 40 %: on time.
        "a_l_heure": _lot("Lot à l'heure", debut, fin, validees=["150", "150", "150"]),
        # Ended ten days ago with 10 % done: « terminé » (a shortfall), not « en retard ».
        "termine": _lot(
            "Lot terminé en déficit",
            aujourdhui - dt.timedelta(days=400),
            aujourdhui - dt.timedelta(days=10),
            validees=["100"],
        ),
        # Closed early: never late.
        "cloture": _lot("Lot clôturé", debut, fin, cloture_le=aujourdhui - dt.timedelta(days=1)),
        # Not started yet.
        "a_venir": _lot(
            "Lot à venir", aujourdhui + dt.timedelta(days=10), aujourdhui + dt.timedelta(days=300)
        ),
        # No clause (imported from the DECP): nothing to be late on.
        "sans_clause": LotFactory(
            intitule="Lot sans clause",
            marche__date_notification=debut,
            date_debut=debut,
            date_fin=fin,
        ),
    }


def test_avancement_calcule_en_sql(lots, aujourdhui):
    annotes = {
        lot.intitule: lot
        for lot in heures_selectors.annoter_avancement(Lot.objects.all(), aujourdhui)
    }
    retard = annotes["Lot en retard"]
    assert retard.heures_realisees == Decimal("100")
    assert retard.avancement == pytest.approx(10.0)
    assert retard.avancement_attendu == pytest.approx(50.0)
    assert annotes["Lot à l'heure"].avancement == pytest.approx(45.0)
    assert annotes["Lot terminé en déficit"].avancement_attendu == pytest.approx(100.0)
    assert annotes["Lot à venir"].avancement_attendu == pytest.approx(0.0)
    assert annotes["Lot sans clause"].avancement is None
    assert connection.vendor in ("sqlite", "postgresql")


@pytest.mark.parametrize(
    ("debut", "fin", "attendu"),
    [(0, 10, 0.0), (-10, 0, 100.0), (-1, 3, 25.0), (-3, 1, 75.0), (-365, 365, 50.0)],
)
def test_avancement_attendu_aux_bornes(aujourdhui, debut, fin, attendu):
    lot = _lot(
        "Lot",
        aujourdhui + dt.timedelta(days=debut),
        aujourdhui + dt.timedelta(days=fin),
    )
    annote = heures_selectors.annoter_avancement(Lot.objects.filter(pk=lot.pk), aujourdhui).get()
    assert annote.avancement_attendu == pytest.approx(attendu)


def test_filtre_en_retard_ne_liste_que_le_lot_en_retard(client_for, lots):
    client = client_for(roles.FACILITATEUR)
    response = client.get(reverse(URL_LISTE), {"statut": "en_retard"})
    assert response.status_code == 200
    lignes = _lignes_liste(response)
    assert list(lignes.values()) == ["En retard"]
    assert "Lot en retard" in next(iter(lignes))
    assert _doc(response).xpath('//table//tbody//span[contains(@class, "statut-en_retard")]')
    titre = " ".join(_doc(response).xpath("//h1")[0].text_content().split())
    assert titre == "Lots et clauses 1"


def test_statuts_dans_la_liste_complete(client_for, lots):
    response = client_for(roles.SUIVI).get(reverse(URL_LISTE))
    statuts = {titre.split(" — ")[-1]: statut for titre, statut in _lignes_liste(response).items()}
    assert statuts == {
        "Lot en retard": "En retard",
        "Lot à l'heure": "En cours",
        "Lot terminé en déficit": "Terminé",
        "Lot clôturé": "Terminé",
        "Lot à venir": "À venir",
        "Lot sans clause": "En cours",
    }


def test_filtre_en_cours_inclut_les_lots_en_retard(client_for, lots):
    response = client_for(roles.FACILITATEUR).get(reverse(URL_LISTE), {"statut": "en_cours"})
    intitules = {t.split(" — ")[-1] for t in _lignes_liste(response)}
    assert intitules == {"Lot en retard", "Lot à l'heure", "Lot sans clause"}


def test_export_excel_des_lots_en_retard(client_for, lots):
    client = client_for(roles.DIRECTION)
    response = client.get(reverse(URL_LISTE), {"statut": "en_retard", "export": "xlsx"})
    classeur = load_workbook(BytesIO(b"".join(response.streaming_content)))
    lignes = list(classeur.active.iter_rows(values_only=True))
    assert len(lignes) == 2
    ligne = dict(zip(lignes[0], lignes[1], strict=True))
    assert ligne["Lot"].endswith("Lot en retard")
    assert ligne["Statut"] == "En retard"
    assert ligne["Heures réalisées"] == 100
    # Percentage cells: 10 % is the fraction 0.1 shown « 10.00 % ».
    assert ligne["Avancement"] == pytest.approx(0.10)
    assert ligne["Attendu"] == pytest.approx(0.50)
    assert classeur.active["A1"].font.bold and classeur.active.freeze_panes == "A2"
    entete, premiere = classeur.active[1], classeur.active[2]
    formats = {c.value: f.number_format for c, f in zip(entete, premiere, strict=True)}
    assert formats["Avancement"] == formats["Attendu"] == "0.00 %"


def test_la_marge_vient_des_parametres(client_for, lots):
    client = client_for(roles.FACILITATEUR)
    url = reverse(URL_LISTE)
    parametres = Parametres.get()
    parametres.marge_retard = Decimal("45")  # 10 % done ≥ 50 - 45: no lot is late
    parametres.save()
    assert _lignes_liste(client.get(url, {"statut": "en_retard"})) == {}
    assert "En retard" not in _texte(client.get(lots["retard"].get_absolute_url()))

    parametres.marge_retard = Decimal("0")  # 45 % < 50 %: the other running lot is late too
    parametres.save()
    intitules = {
        t.split(" — ")[-1] for t in _lignes_liste(client.get(url, {"statut": "en_retard"}))
    }
    assert intitules == {"Lot en retard", "Lot à l'heure"}


def test_accueil_facilitateur_nombre_et_lien(client_for, lots):
    client = client_for(roles.FACILITATEUR)
    response = client.get(reverse("accueil"))
    assert response.status_code == 200
    carte = _doc(response).xpath(
        '//div[contains(@class, "carte-chiffre")][.//p[normalize-space()="Lots en retard"]]'
    )[0]
    assert carte.xpath('.//p[contains(@class, "chiffre")]')[0].text_content().strip() == "1"
    lien = carte.xpath(".//a")[0]
    assert lien.get("href") == reverse(URL_LISTE) + "?statut=en_retard"
    assert lien.text_content().strip() == "Voir les lots en retard"
    # One click: the link lists exactly the lot counted.
    lignes = _lignes_liste(client.get(lien.get("href")))
    assert [t.split(" — ")[-1] for t in lignes] == ["Lot en retard"]


def test_fiche_du_lot_en_retard(client_for, lots):
    response = client_for(roles.FACILITATEUR).get(lots["retard"].get_absolute_url())
    doc = _doc(response)
    texte = _texte(response)
    entete = doc.xpath("//h1/following-sibling::span[contains(@class, 'badge')]")
    assert [" ".join(b.text_content().split()) for b in entete] == ["En retard"]
    assert "statut-en_retard" in entete[0].get("class")
    assert (
        "100 h réalisées (déclarations validées) sur 1 000 h requises — 10 % ; attendu à ce "
        "jour au prorata de la durée du lot : 50 %." in texte
    )
    barre = doc.xpath('//div[@role="progressbar"]')[0]
    assert barre.get("aria-valuenow") == "10"
    assert "bg-warning" in barre.xpath("./div")[0].get("class")
    repere = doc.xpath('//div[@title="Attendu à ce jour : 50 %"]')
    assert repere and repere[0].get("data-gauche") == "50"


def test_fiche_du_lot_a_l_heure(client_for, lots):
    response = client_for(roles.DIRECTION).get(lots["a_l_heure"].get_absolute_url())
    texte = _texte(response)
    assert "450 h réalisées (déclarations validées) sur 1 000 h requises — 45 %" in texte
    assert "attendu à ce jour au prorata de la durée du lot : 50 %" in texte
    assert "En retard" not in texte
    assert "bg-success" in _doc(response).xpath('//div[@role="progressbar"]/div')[0].get("class")


def test_fiche_du_lot_termine_en_deficit(client_for, lots):
    texte = _texte(client_for(roles.FACILITATEUR).get(lots["termine"].get_absolute_url()))
    assert "Terminé" in texte
    assert "En retard" not in texte
    assert "attendu à ce jour au prorata de la durée du lot : 100 %" in texte


@pytest.mark.parametrize("nombre", [3, 30])
def test_nombre_de_requetes_constant(client_for, django_assert_max_num_queries, nombre, aujourdhui):
    debut, fin = aujourdhui - dt.timedelta(days=100), aujourdhui + dt.timedelta(days=100)
    for i in range(nombre):
        _lot(f"Lot {i}", debut, fin, validees=["10"])
    client = client_for(roles.FACILITATEUR)
    with django_assert_max_num_queries(12):
        response = client.get(reverse(URL_LISTE), {"statut": "en_retard"})
    assert len(_lignes_liste(response)) == min(nombre, 25)
