"""The hours template as companies fill it: typed names, decimals, « 7.5h », French messages."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from heures.services import declarations, excel_heures
from mife import roles
from tests.factories import EntrepriseFactory, ParticipantFactory
from tests.test_excel_heures import (
    FEUILLE_1,
    MOIS,
    _lot,
    _mission,
    confirmer,
    deposer,
    heures_en_base,
    modele,
    octets,
    rang,
    remplir,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_temporaire(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def entreprise():
    return EntrepriseFactory(raison_sociale="Bâtir Nord Franche-Comté")


@pytest.fixture
def missions(entreprise):
    lot = _lot(entreprise, "2026-MP-0001")
    return {
        "awa": _mission(lot, "MX-001", "Zébulon", "Awa", dt.date(2026, 2, 1), None),
        "hugo": _mission(lot, "MX-002", "Durand", "Hugo", dt.date(2026, 3, 10), None),
    }


@pytest.fixture
def facilitateur(make_user):
    return make_user(roles.FACILITATEUR, username="facilitatrice", first_name="Claire")


def nommer(wb, feuille: str, reference: str, nom):
    ws = wb[feuille]
    ws.cell(rang(ws, reference), excel_heures.COL_PARTICIPANT).value = nom
    return wb


# --- a participant's name typed by the company ---------------------------------------------------


def test_nom_different_averti_dans_l_apercu_puis_accepte(client_for, entreprise, missions):
    client = client_for(roles.FACILITATEUR)
    wb = remplir(modele(client.user, entreprise), FEUILLE_1, MX_001=80, MX_002=12)
    nommer(wb, FEUILLE_1, "MX-001", "DUPONT Marc")
    nommer(wb, FEUILLE_1, "MX-002", "hugo durand")  # same person, other order and case

    apercu = deposer(client, octets(wb))
    rapport = apercu.context["rapport"]
    assert rapport.valide and rapport.a_enregistrer
    ligne = rang(wb[FEUILLE_1], "MX-001")
    assert rapport.avertissements == [
        f"Feuille « {FEUILLE_1} », ligne {ligne} : le participant saisi « DUPONT Marc » n'est "
        "pas celui de la mission MX-001 (A.Z.) ; les heures iront à la personne de la mission. "
        "Confirmez si c'est bien elle, sinon corrigez la référence ou le nom dans le fichier et "
        "déposez-le de nouveau."
    ]
    contenu = apercu.content.decode()
    assert "nom saisi : « DUPONT Marc »" in contenu
    assert "ZÉBULON Awa" in contenu  # who the hours will go to
    # Accepted: the hours go to the mission's participant.
    confirmer(client, apercu.context["jeton"])
    assert heures_en_base() == {"MX-001": Decimal("80.00"), "MX-002": Decimal("12.00")}


def test_nom_different_corrige_plus_d_avertissement(facilitateur, entreprise, missions):
    wb = remplir(modele(facilitateur, entreprise), FEUILLE_1, MX_001=80)
    nommer(wb, FEUILLE_1, "MX-001", "DUPONT Marc")
    assert excel_heures.analyser(octets(wb), entreprise, MOIS).avertissements
    nommer(wb, FEUILLE_1, "MX-001", "Zebulon Awa")
    assert excel_heures.analyser(octets(wb), entreprise, MOIS).avertissements == []


@pytest.mark.parametrize(
    ("saisi", "meme"),
    [
        ("ZÉBULON Awa", True),
        ("awa zebulon", True),
        ("Zébulon", True),
        ("A.Z.", True),
        ("az", True),
        ("Z. A.", True),
        ("", True),
        ("Awa", False),
        ("Zébulon Marc", False),
        ("DUPONT", False),
        ("B.D.", False),
    ],
)
def test_meme_personne(saisi, meme):
    participant = ParticipantFactory.build(nom="Zébulon", prenom="Awa", anonymise_le=None)
    assert excel_heures.meme_personne(saisi, participant) is meme


def test_nom_compose(saisi="Jean Pierre de la Fontaine"):
    participant = ParticipantFactory.build(nom="de La Fontaine", prenom="Jean-Pierre")
    assert excel_heures.meme_personne(saisi, participant)
    assert excel_heures.meme_personne("LA FONTAINE (de) Jean-Pierre", participant)


# --- decimals, formats ------------------------------------------------------------------------


def test_decimales_arrondies_au_centieme_avec_l_arrondi_montre(client_for, entreprise, missions):
    client = client_for(roles.FACILITATEUR)
    wb = remplir(modele(client.user, entreprise), FEUILLE_1, MX_001=151.6666666667, MX_002=7.125)
    apercu = deposer(client, octets(wb))
    rapport = apercu.context["rapport"]
    assert rapport.valide, [str(e) for e in rapport.erreurs]
    lues = {x.mission.reference: (x.heures, x.saisi) for x in rapport.lots[0].lignes}
    assert lues == {
        "MX-001": (Decimal("151.67"), Decimal("151.6666666667")),
        "MX-002": (Decimal("7.13"), Decimal("7.125")),
    }
    l1, l2 = rang(wb[FEUILLE_1], "MX-001"), rang(wb[FEUILLE_1], "MX-002")
    assert sorted(rapport.avertissements) == [
        f"Feuille « {FEUILLE_1} », ligne {l2} : « 7,125 » arrondi au centième : 7,13 h pour "
        "MX-002.",
        f"Feuille « {FEUILLE_1} », ligne {l1} : « 151,6666666667 » arrondi au centième : "
        "151,67 h pour MX-001.",
    ]
    contenu = apercu.content.decode()
    assert "saisi : 151,6666666667, arrondi" in contenu
    confirmer(client, apercu.context["jeton"])
    assert heures_en_base() == {"MX-001": Decimal("151.67"), "MX-002": Decimal("7.13")}


def test_plafond_en_format_francais(facilitateur, entreprise, missions):
    wb = remplir(modele(facilitateur, entreprise), FEUILLE_1, MX_001=1200.5, MX_002="250,5")
    rapport = excel_heures.analyser(octets(wb), entreprise, MOIS)
    assert sorted(e.texte for e in rapport.erreurs) == [
        "1\xa0200,5 h dépasse le plafond de 200 h/mois.",  # not « 1200.50 h … 200.00 h »
        "250,5 h dépasse le plafond de 200 h/mois.",
    ]


def test_grille_message_du_plafond_en_format_francais(missions):
    with pytest.raises(ValidationError) as erreur:
        declarations.verifier_heures(missions["awa"], Decimal("200.00"), MOIS, Decimal("151.67"))
    assert erreur.value.messages == ["MX-001 : 200 h dépasse le plafond de 151,67 h/mois."]


@pytest.mark.parametrize(
    "texte",
    ["7h30", "7.5h", "7,5 h", "7 h 30", "7,5", "7.5", "7:30", "7 H 30", "7,5 heures", "7h30min"],
)
def test_heures_lues_comme_7h30(texte):
    assert declarations.lire_heures(texte) == Decimal("7.5")


@pytest.mark.parametrize(
    ("texte", "message"),
    [
        ("7h75", "« 7h75 » : les minutes doivent être inférieures à 60."),
        ("-7,5 h", "« -7,5 h » : les heures ne peuvent pas être négatives."),
        ("sept heures", "« sept heures » n'est pas un nombre d'heures (ex. : 7,5 ou 7h30)."),
        ("7,5 jours", "« 7,5 jours » n'est pas un nombre d'heures (ex. : 7,5 ou 7h30)."),
    ],
)
def test_heures_illisibles(texte, message):
    with pytest.raises(ValueError) as erreur:
        declarations.lire_heures(texte)
    assert str(erreur.value) == message


def test_heures_avec_unite_dans_le_modele(facilitateur, entreprise, missions):
    wb = remplir(modele(facilitateur, entreprise), FEUILLE_1, MX_001="7.5h", MX_002="7 h 30")
    rapport = excel_heures.analyser(octets(wb), entreprise, MOIS)
    assert rapport.valide, [str(e) for e in rapport.erreurs]
    assert {x.mission.reference: x.heures for x in rapport.lots[0].lignes} == {
        "MX-001": Decimal("7.50"),
        "MX-002": Decimal("7.50"),
    }


def test_la_consigne_du_modele_annonce_l_arrondi(facilitateur, entreprise, missions):
    consigne = modele(facilitateur, entreprise)[FEUILLE_1]["A3"].value
    assert "Arrondi au centième (151,67)" in consigne
    assert "deux décimales" not in consigne.lower()
