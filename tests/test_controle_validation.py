"""The validation screen of a monthly declaration: the lot's hours, each participant's history
and eligibility, and the anomalies (hours outside the mission's dates, above the monthly alert
threshold, sudden jump) shown as warnings that do not block the validation."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from heures import selectors
from heures.models import StatutDeclaration
from mife import roles
from mife.core import formats
from mife.core.models import Parametres
from tests.factories import (
    ClauseFactory,
    CritereEligibiliteFactory,
    CritereParticipantFactory,
    DeclarationMensuelleFactory,
    LigneDeclarationFactory,
    MissionFactory,
    ParticipantFactory,
)

pytestmark = pytest.mark.django_db

MARS = dt.date(2026, 3, 1)
JOUR = dt.date(2026, 4, 15)


@pytest.fixture
def lot():
    return ClauseFactory(
        heures_requises=Decimal("1000"),
        lot__date_debut=dt.date(2026, 1, 1),
        lot__date_fin=dt.date(2026, 12, 31),
    ).lot


def _mission(lot, **extra):
    extra.setdefault("date_debut", dt.date(2025, 12, 1))
    extra.setdefault("date_fin", dt.date(2026, 12, 31))
    return MissionFactory(lot=lot, employeur=lot.titulaire, **extra)


def _validee(lot, mois, mission, heures):
    declaration = DeclarationMensuelleFactory(lot=lot, mois=mois, validee=True)
    LigneDeclarationFactory(declaration=declaration, mission=mission, heures=Decimal(heures))
    return declaration


def _soumise(lot, lignes, mois=MARS):
    declaration = DeclarationMensuelleFactory(lot=lot, mois=mois, statut=StatutDeclaration.SOUMISE)
    for mission, heures in lignes:
        LigneDeclarationFactory(declaration=declaration, mission=mission, heures=Decimal(heures))
    return declaration


def _codes(controle):
    return {c.ligne.mission.reference: {a.code for a in c.anomalies} for c in controle.lignes}


# --- the rule of a sudden jump -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heures", "precedents", "saut"),
    [
        ("100", ["30", "30", "30"], True),  # > 2 × 30 and 70 h above the mean
        ("60", ["20", "20", "20"], True),  # > 2 × 20 and 40 h above the mean
        ("50", ["20", "20", "20"], False),  # 30 h above the mean: not enough
        ("100", ["60", "60", "60"], False),  # less than twice the mean
        ("150", ["0", "0", "0"], False),  # first month: no jump
        ("80", ["0", "0", "30"], True),  # missing months count 0: mean 10
    ],
)
def test_regle_du_saut(heures, precedents, saut):
    assert selectors.saut_heures(Decimal(heures), [Decimal(p) for p in precedents]) is saut


# --- the selector --------------------------------------------------------------------------------


def test_controle_chiffres_du_lot_historique_et_eligibilite(lot):
    critere = CritereEligibiliteFactory(code="rsa", libelle="Bénéficiaire du RSA")
    awa = ParticipantFactory(nom="Diallo", prenom="Awa")
    CritereParticipantFactory(
        participant=awa,
        critere=critere,
        date_validation=dt.date(2025, 11, 1),
        date_fin_validite=dt.date(2027, 1, 1),
    )
    mission = _mission(lot, participant=awa)
    autre = _mission(lot)  # no criterion: not eligible
    _validee(lot, dt.date(2025, 11, 1), mission, "10")  # before the window: cumulative only
    _validee(lot, dt.date(2026, 1, 1), mission, "40")
    _validee(lot, dt.date(2026, 2, 1), mission, "50")
    declaration = _soumise(lot, [(mission, "60"), (autre, "20")])

    controle = selectors.controle_declaration(declaration, JOUR)

    assert controle.prevision.heures_requises == Decimal("1000")
    assert controle.prevision.heures_realisees == Decimal("100.00")
    # 104 days elapsed of 364 on 15 April: 28.57 % of 1 000 h.
    assert controle.heures_attendues == Decimal("285.71")
    assert controle.prevision == selectors.prevision_lot(
        selectors.annoter_avancement(type(lot).objects.filter(pk=lot.pk), JOUR).get(), JOUR
    )
    ligne = next(c for c in controle.lignes if c.ligne.mission == mission)
    assert ligne.mois_precedents == (
        (dt.date(2025, 12, 1), Decimal("0")),
        (dt.date(2026, 1, 1), Decimal("40.00")),
        (dt.date(2026, 2, 1), Decimal("50.00")),
    )
    assert ligne.cumul_avant == Decimal("100.00")
    assert ligne.cumul_apres == Decimal("160.00")
    assert ligne.eligibilite.eligible
    assert ligne.eligibilite.raisons() == ["Bénéficiaire du RSA"]
    assert ligne.anomalies == ()
    ligne_autre = next(c for c in controle.lignes if c.ligne.mission == autre)
    assert not ligne_autre.eligibilite.eligible
    assert controle.anomalies == []


def test_eligibilite_le_premier_jour_de_mission_du_mois(lot):
    awa = ParticipantFactory()
    # Criterion validated on 10 March, the mission starts on 12 March: eligible that day.
    CritereParticipantFactory(
        participant=awa, date_validation=dt.date(2026, 3, 10), date_fin_validite=None
    )
    mission = _mission(lot, participant=awa, date_debut=dt.date(2026, 3, 12))
    expire = ParticipantFactory()
    CritereParticipantFactory(
        participant=expire,
        date_validation=dt.date(2025, 1, 1),
        date_fin_validite=dt.date(2026, 2, 28),
    )
    mission_expiree = _mission(lot, participant=expire)
    declaration = _soumise(lot, [(mission, "10"), (mission_expiree, "10")])

    controle = selectors.controle_declaration(declaration, JOUR)

    par_mission = {c.ligne.mission: c for c in controle.lignes}
    assert par_mission[mission].eligibilite.eligible
    assert par_mission[mission].eligibilite == selectors.eligibilite(awa, dt.date(2026, 3, 12))
    assert not par_mission[mission_expiree].eligibilite.eligible


def test_anomalies_seuil_saut_et_dates(lot):
    au_dela = _mission(lot, reference="M-SEUIL")
    saut = _mission(lot, reference="M-SAUT")
    for mois in (dt.date(2025, 12, 1), dt.date(2026, 1, 1), dt.date(2026, 2, 1)):
        _validee(lot, mois, saut, "30")
    fin_de_mois = _mission(lot, reference="M-FIN", date_debut=dt.date(2026, 3, 22))
    normale = _mission(lot, reference="M-OK", date_debut=dt.date(2026, 3, 22))
    raccourcie = _mission(lot, reference="M-HORS")
    declaration = _soumise(
        lot,
        [(au_dela, "160"), (saut, "100"), (fin_de_mois, "70"), (normale, "40"), (raccourcie, "35")],
    )
    # The mission's dates were changed after the hours were entered: it now ends in February.
    raccourcie.date_fin = dt.date(2026, 2, 20)
    raccourcie.save()

    controle = selectors.controle_declaration(declaration, JOUR)

    assert _codes(controle) == {
        "M-SEUIL": {"maximum"},
        "M-SAUT": {"saut"},
        "M-FIN": {"hors_dates"},  # 70 h in 10 days > 151,67 × 10/31 = 48,93 h
        "M-OK": set(),
        "M-HORS": {"hors_dates"},
    }
    messages = {
        c.ligne.mission.reference: [a.message for a in c.anomalies] for c in controle.lignes
    }
    assert messages["M-SEUIL"] == [
        "160 h dans le mois : au-delà du seuil d'alerte de 151,67 h par participant."
    ]
    assert messages["M-SAUT"] == [
        "Hausse soudaine : 100 h contre 30 h en moyenne sur les 3 mois précédents."
    ]
    assert messages["M-FIN"] == [
        "70 h pour 10 jours de mission ce mois-ci (du 22/03/2026 au 31/12/2026) : plus que "
        "les 48,93 h du seuil mensuel au prorata de ces jours."
    ]
    assert messages["M-HORS"] == [
        "Heures hors des dates de la mission (du 01/12/2025 au 20/02/2026) : elle n'est pas "
        "active en mars 2026."
    ]
    assert len(controle.anomalies) == 4


def test_seuil_d_alerte_reglable(lot):
    mission = _mission(lot)
    declaration = _soumise(lot, [(mission, "140")])
    assert selectors.controle_declaration(declaration, JOUR).anomalies == []
    parametres = Parametres.get()
    parametres.seuil_alerte_heures_mensuel = Decimal("120")
    parametres.save()
    controle = selectors.controle_declaration(declaration, JOUR)
    assert [a.code for _, a in controle.anomalies] == ["maximum"]
    assert controle.seuil_mensuel == Decimal("120")


def test_seuil_par_defaut_et_valeur_negative_refusee():
    parametres = Parametres.get()
    assert parametres.seuil_alerte_heures_mensuel == Decimal("151.67")
    parametres.seuil_alerte_heures_mensuel = Decimal("-1")
    with pytest.raises(ValidationError) as erreur:
        parametres.full_clean()
    assert "seuil_alerte_heures_mensuel" in erreur.value.message_dict


def test_le_seuil_se_regle_dans_l_administration(client_for):
    client = client_for(roles.ADMIN, is_staff=True)
    reponse = client.get("/admin/mife/parametres/1/change/")
    html = reponse.content.decode()
    assert 'name="seuil_alerte_heures_mensuel"' in html
    assert 'value="151.67"' in html or 'value="151,67"' in html


def test_plusieurs_lignes_d_un_participant_comptent_ensemble(lot):
    awa = ParticipantFactory()
    m1 = _mission(lot, participant=awa, reference="M-A1")
    m2 = _mission(lot, participant=awa, reference="M-A2")
    declaration = _soumise(lot, [(m1, "80"), (m2, "80")])
    controle = selectors.controle_declaration(declaration, JOUR)
    assert _codes(controle) == {"M-A1": {"maximum"}, "M-A2": {"maximum"}}
    assert {c.total_participant for c in controle.lignes} == {Decimal("160.00")}


# --- the page ------------------------------------------------------------------------------------


def _page(client, declaration):
    return client.get(f"/heures/declarations/{declaration.pk}/saisie/")


def test_le_suivi_voit_le_contexte_et_les_alertes(client_for, lot):
    saut = _mission(lot, reference="M-SAUT", participant=ParticipantFactory(nom="Zébulon"))
    for mois in (dt.date(2025, 12, 1), dt.date(2026, 1, 1), dt.date(2026, 2, 1)):
        _validee(lot, mois, saut, "30")
    calme = _mission(lot, reference="M-CALME")
    declaration = _soumise(lot, [(saut, "100"), (calme, "20")])
    client = client_for(roles.SUIVI)

    reponse = _page(client, declaration)

    html = reponse.content.decode()
    assert "Contrôle avant validation" in html
    assert "1 alerte à examiner" in html
    assert "Hausse soudaine : 100 h contre 30 h en moyenne sur les 3 mois précédents." in html
    assert f'href="#ligne-{saut.pk}">M-SAUT</a>' in html
    assert "Heures requises du lot" in html and formats.heures(Decimal("1000")) in html
    assert "Heures validées à ce jour" in html and "90 h" in html
    assert "février 2026 : 30 h" in html
    # The alerts' column keeps a readable width (static/css/app.css), not one word a line.
    assert '<th scope="col" class="colonne-alertes">Alertes</th>' in html
    # The alerts do not block: the validation button is there.
    assert "Valider et émettre l'attestation" in html
    assert reponse.context["controle"].anomalies[0][1].code == "saut"


def test_aucune_alerte(client_for, lot):
    declaration = _soumise(lot, [(_mission(lot), "20")])
    html = _page(client_for(roles.SUIVI), declaration).content.decode()
    assert "Aucune anomalie détectée" in html
    assert "alerte à examiner" not in html


def test_un_brouillon_n_a_pas_de_controle(client_for, lot):
    declaration = DeclarationMensuelleFactory(lot=lot, mois=MARS)
    LigneDeclarationFactory(declaration=declaration, mission=_mission(lot), heures=Decimal("200"))
    reponse = _page(client_for(roles.FACILITATEUR), declaration)
    assert reponse.context["controle"] is None
    assert "Contrôle avant validation" not in reponse.content.decode()


def test_la_validation_reste_possible_malgre_les_alertes(client_for, lot):
    declaration = _soumise(lot, [(_mission(lot), "160")])
    client = client_for(roles.SUIVI)
    reponse = client.post(
        f"/heures/declarations/{declaration.pk}/valider/",
        {"version_lue": declaration.version},
    )
    assert reponse.status_code == 302
    declaration.refresh_from_db()
    assert declaration.statut == StatutDeclaration.VALIDEE


def test_critere_protege_masque_pour_le_suivi(client_for, lot):
    awa = ParticipantFactory()
    rqth = CritereEligibiliteFactory(code="rqth", libelle="Travailleur handicapé", sensible=True)
    CritereParticipantFactory(
        participant=awa, critere=rqth, date_validation=dt.date(2025, 1, 1), date_fin_validite=None
    )
    declaration = _soumise(lot, [(_mission(lot, participant=awa), "20")])
    html = _page(client_for(roles.SUIVI), declaration).content.decode()
    assert "Éligible" in html
    # Left out without a placeholder, which would tell a health criterion exists.
    assert "protégé" not in html
    assert "Travailleur handicapé" not in html


@pytest.mark.parametrize("role", [roles.DIRECTION, roles.ANIMATEUR, None])
def test_refuse_sans_droit_sur_les_declarations(client_for, lot, role):
    declaration = _soumise(lot, [(_mission(lot), "20")])
    assert _page(client_for(role), declaration).status_code == 403


def test_nombre_de_requetes_constant(client_for, lot, django_assert_max_num_queries):
    client = client_for(roles.SUIVI)
    petite = _soumise(lot, [(_mission(lot), "20")])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as requetes:
        assert _page(client, petite).status_code == 200
    nombre = len(requetes)
    missions = [_mission(lot) for _ in range(12)]
    for mois in (dt.date(2026, 1, 1), dt.date(2026, 2, 1)):
        validee = DeclarationMensuelleFactory(lot=lot, mois=mois, validee=True)
        for mission in missions:
            LigneDeclarationFactory(declaration=validee, mission=mission, heures=Decimal("20"))
    grande = _soumise(lot, [(m, "20") for m in missions], mois=dt.date(2026, 4, 1))
    with django_assert_max_num_queries(nombre):
        reponse = _page(client, grande)
    assert len(reponse.context["controle"].lignes) == 12
