"""Recruitment needs and the « mise en relation »: need → proposals → retained → mission."""

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from entreprises.models import TypeStructure
from heures.models import (
    BesoinRecrutement,
    CritereEligibilite,
    Mission,
    Modalite,
    Proposition,
    StatutBesoin,
    StatutProposition,
    TypeContrat,
)
from heures.services import besoins as service
from mife import roles
from mife.navigation import navigation_pour
from tests import factories as f
from tests.outils_http import lire

pytestmark = pytest.mark.django_db

DEBUT_LOT, FIN_LOT = dt.date(2025, 1, 1), dt.date(2026, 12, 31)


BesoinRecrutementFactory = f.BesoinRecrutementFactory
PropositionFactory = f.PropositionFactory


# --- helpers -----------------------------------------------------------------------------------


def texte(response) -> str:
    return html.unescape(response.content.decode())


def critere(code):
    return CritereEligibilite.objects.get(code=code)


def personne(nom, prenom="Alex", codes=("rsa",), commune="Belfort", valide_le=dt.date(2024, 1, 1)):
    p = f.ParticipantFactory(nom=nom, prenom=prenom, commune=commune)
    for code in codes:
        f.CritereParticipantFactory(
            participant=p, critere=critere(code), date_validation=valide_le, date_fin_validite=None
        )
    return p


@pytest.fixture
def chantier():
    titulaire = f.EntrepriseFactory(raison_sociale="Bâtiments du Lion")
    lot = f.LotFactory(
        titulaire=titulaire,
        date_debut=DEBUT_LOT,
        date_fin=FIN_LOT,
        marche__date_notification=dt.date(2024, 11, 1),
    )
    return {
        "lot": lot,
        "titulaire": titulaire,
        "autre": f.EntrepriseFactory(raison_sociale="Sans Rapport SA"),
        "geiq": f.EntrepriseFactory(
            raison_sociale="GEIQ BTP 90", type_structure=TypeStructure.GEIQ
        ),
    }


@pytest.fixture
def besoin(chantier):
    return BesoinRecrutementFactory(
        lot=chantier["lot"],
        poste="Maçon",
        nombre_postes=2,
        date_debut=dt.date(2025, 4, 1),
        date_fin=dt.date(2025, 9, 30),
        commune="Belfort",
    )


@pytest.fixture
def facilitateur(client_for):
    return client_for(roles.FACILITATEUR, first_name="Fanny")


def donnees_besoin(chantier, **valeurs) -> dict:
    data = {
        "lot": chantier["lot"].pk,
        "entreprise": chantier["titulaire"].pk,
        "poste": "Coffreur bancheur",
        "nombre_postes": "2",
        "date_debut": "2025-03-03",
        "date_fin": "2025-07-31",
        "modalite": Modalite.EMBAUCHE_CDD,
        "type_contrat": TypeContrat.CDD,
        "heures_prevues": "450",
        "commune": "Belfort",
        "exigences": "Port de charges, travail en hauteur.",
        "version_lue": "",
    }
    data.update(valeurs)
    return {k: str(v) for k, v in data.items()}


def erreurs(response) -> dict:
    assert response.status_code == 200
    return response.context["formulaires"]["besoin"].errors


# --- needs -------------------------------------------------------------------------------------


def test_creer_un_besoin(facilitateur, chantier):
    response = facilitateur.post(reverse("heures:besoin_creer"), donnees_besoin(chantier))
    besoin = BesoinRecrutement.objects.get()
    assert response.status_code == 302 and response["Location"] == besoin.get_absolute_url()
    assert besoin.lot == chantier["lot"] and besoin.entreprise == chantier["titulaire"]
    assert besoin.poste == "Coffreur bancheur" and besoin.nombre_postes == 2
    assert besoin.date_debut == dt.date(2025, 3, 3) and besoin.date_fin == dt.date(2025, 7, 31)
    assert besoin.heures_prevues == Decimal("450") and besoin.statut == StatutBesoin.OUVERT
    assert besoin.modifie_par == facilitateur.user and besoin.history.count() == 1
    page = texte(facilitateur.get(besoin.get_absolute_url()))
    assert "Besoin « Coffreur bancheur — Bâtiments du Lion » enregistré." in page
    assert "statut-ouvert couleur-bleu-fonce" in page and ">Ouvert<" in page


def test_besoin_d_une_structure_d_insertion(facilitateur, chantier):
    data = donnees_besoin(chantier, entreprise=chantier["geiq"].pk)
    assert facilitateur.post(reverse("heures:besoin_creer"), data).status_code == 302


REGLES_BESOIN = [
    ({"entreprise": "@autre"}, "entreprise", "L'entreprise doit être le titulaire du lot"),
    ({"nombre_postes": "0"}, "nombre_postes", "supérieure ou égale à 1"),
    ({"poste": ""}, "poste", "Ce champ est obligatoire."),
    ({"date_fin": "2025-02-01"}, "date_fin", "La fin prévue précède le début souhaité."),
    (
        {"date_debut": "2024-10-01"},
        "date_debut",
        "Le début est antérieur au début d'exécution du lot (du 01/01/2025 au 31/12/2026).",
    ),
    ({"date_fin": "2027-03-31"}, "date_fin", "La fin dépasse la fin d'exécution du lot"),
]


@pytest.mark.parametrize(
    "valeurs, champ, message", REGLES_BESOIN, ids=[r[1] for r in REGLES_BESOIN]
)
def test_besoin_invalide(facilitateur, chantier, valeurs, champ, message):
    valeurs = {k: chantier[v[1:]].pk if str(v).startswith("@") else v for k, v in valeurs.items()}
    response = facilitateur.post(
        reverse("heures:besoin_creer"), donnees_besoin(chantier, **valeurs)
    )
    assert any(message in e for e in erreurs(response)[champ]), erreurs(response)
    assert not BesoinRecrutement.objects.exists()
    assert "rien n'a été enregistré" in texte(response)


def test_toutes_les_erreurs_a_la_fois(facilitateur, chantier):
    data = donnees_besoin(
        chantier, nombre_postes="0", date_debut="2024-10-01", entreprise=chantier["autre"].pk
    )
    champs = set(erreurs(facilitateur.post(reverse("heures:besoin_creer"), data)))
    assert champs == {"nombre_postes", "date_debut", "entreprise"}
    assert not BesoinRecrutement.objects.exists()


def test_modifier_un_besoin_et_conflit(facilitateur, chantier, besoin, make_user):
    url = reverse("heures:besoin_modifier", args=[besoin.pk])
    assert facilitateur.get(url).status_code == 200
    data = donnees_besoin(chantier, poste="Maçon VRD", date_debut="2025-04-01", version_lue=1)
    assert facilitateur.post(url, data).status_code == 302
    besoin.refresh_from_db()
    assert besoin.poste == "Maçon VRD" and besoin.version == 2
    # Someone else saved meanwhile: refused, with who and when.
    collegue = make_user(roles.FACILITATEUR, username="bruno", first_name="Bruno")
    service.enregistrer_besoin(BesoinRecrutement.objects.get(pk=besoin.pk), 2, collegue)
    response = facilitateur.post(url, {**data, "poste": "Perdu", "version_lue": "2"})
    assert "Enregistrement refusé : Bruno a modifié cette fiche le" in texte(response)
    besoin.refresh_from_db()
    assert besoin.poste == "Maçon VRD" and besoin.version == 3


def test_formulaire_prerempli_depuis_le_lot(facilitateur, chantier):
    lot = chantier["lot"]
    page = texte(facilitateur.get(lot.get_absolute_url()))
    assert f"{reverse('heures:besoin_creer')}?lot={lot.pk}" in page
    form = facilitateur.get(reverse("heures:besoin_creer"), {"lot": lot.pk}).context["formulaires"][
        "besoin"
    ]
    assert form["lot"].value() == lot.pk
    assert form["entreprise"].value() == chantier["titulaire"].pk
    assert form["date_debut"].value() == DEBUT_LOT


def test_annuler_et_rouvrir(facilitateur, besoin):
    url = reverse("heures:besoin_statut", args=[besoin.pk])
    page = texte(facilitateur.get(besoin.get_absolute_url()))
    assert f"{url}?action=annuler" in page
    facilitateur.post(f"{url}?action=annuler")
    besoin.refresh_from_db()
    assert besoin.statut == StatutBesoin.ANNULE
    page = texte(facilitateur.get(besoin.get_absolute_url()))
    assert "Besoin annulé." in page and "Rouvrir le besoin" in page
    # A cancelled need takes no proposal.
    p = personne("AUBRY")
    facilitateur.post(reverse("heures:besoin_proposer", args=[besoin.pk]), {"participant": p.pk})
    assert not Proposition.objects.exists()
    facilitateur.post(f"{url}?action=rouvrir")
    besoin.refresh_from_db()
    assert besoin.statut == StatutBesoin.OUVERT


# --- list --------------------------------------------------------------------------------------


def test_liste_et_filtres(facilitateur, chantier, besoin):
    autre_lot = f.LotFactory(date_debut=DEBUT_LOT, date_fin=FIN_LOT)
    pourvu = BesoinRecrutementFactory(
        lot=autre_lot, poste="Peintre", statut=StatutBesoin.POURVU, commune="Delle"
    )
    PropositionFactory(besoin=besoin, statut=StatutProposition.RETENU)
    PropositionFactory(besoin=besoin)
    url = reverse("heures:besoin_liste")
    response = facilitateur.get(url)
    contenu = texte(response)
    assert "Besoins de recrutement" in contenu and "Nouveau besoin" in contenu
    assert "Maçon" in contenu and "Peintre" in contenu and "Bâtiments du Lion" in contenu
    ligne = next(o for o in response.context["object_list"] if o.pk == besoin.pk)
    assert (ligne.nb_propositions, ligne.nb_retenus) == (2, 1)

    def trouves(**params):
        return [b.poste for b in facilitateur.get(url, params).context["object_list"]]

    assert trouves(statut=StatutBesoin.POURVU) == ["Peintre"]
    assert trouves(statut=StatutBesoin.OUVERT) == ["Maçon"]
    assert trouves(lot=autre_lot.pk) == ["Peintre"]
    assert trouves(entreprise=chantier["titulaire"].pk) == ["Maçon"]
    assert trouves(commune="dell") == ["Peintre"]
    assert trouves(q="peint") == ["Peintre"]
    assert pourvu.get_absolute_url() in contenu


def test_export_des_besoins(facilitateur, besoin):
    response = facilitateur.get(reverse("heures:besoin_liste"), {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="besoins-')
    assert lire(response).startswith(b"PK")


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_liste_besoins(facilitateur, django_assert_max_num_queries, n):
    for _ in range(n):
        b = BesoinRecrutementFactory()
        PropositionFactory(besoin=b)
    url = reverse("heures:besoin_liste")
    facilitateur.get(url)
    with django_assert_max_num_queries(10):
        assert facilitateur.get(url).status_code == 200


def _requetes(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as requetes:
        assert client.get(url, params or {}).status_code == 200
    return len(requetes)


def test_requetes_liste_besoins_constantes(facilitateur):
    url = reverse("heures:besoin_liste")
    for _ in range(3):
        PropositionFactory()
    facilitateur.get(url)
    avec_3 = _requetes(facilitateur, url)
    for _ in range(27):
        PropositionFactory()
    assert _requetes(facilitateur, url) == avec_3


# --- the proposal search -----------------------------------------------------------------------


@pytest.fixture
def viviers(besoin):
    return {
        "rsa": personne("RSA", "Rita", ("rsa",), commune="Belfort"),
        "rqth": personne("HANDI", "Hugo", ("rqth",), commune="Delle"),
        "jeune": personne("JEUNE", "Jade", ("jeune", "qpv"), commune="Belfort"),
        "sans": personne("SANS", "Sam", (), commune="Belfort"),
        "tardif": personne("TARDIF", "Tim", ("rsa",), valide_le=dt.date(2025, 6, 1)),
    }


def candidats(response) -> list[str]:
    return [ligne["objet"].nom for ligne in response.context["recherche"]["lignes"]]


def test_recherche_des_participants_eligibles(facilitateur, besoin, viviers):
    PropositionFactory(besoin=besoin, participant=personne("DEJA", "Dan", ("deld",)))
    response = facilitateur.get(besoin.get_absolute_url())
    # Eligible on the need's first day, not yet proposed; sorted by name.
    assert candidats(response) == ["HANDI", "JEUNE", "RSA"]
    contenu = texte(response)
    assert "Travailleur handicapé" in contenu  # the facilitator sees every criterion
    assert "Résident d'un quartier prioritaire de la ville (QPV)" in contenu
    url = besoin.get_absolute_url()
    assert candidats(facilitateur.get(url, {"commune": "delle"})) == ["HANDI"]
    assert candidats(facilitateur.get(url, {"critere": critere("qpv").pk})) == ["JEUNE"]
    assert candidats(facilitateur.get(url, {"critere": critere("rqth").pk})) == ["HANDI"]
    assert candidats(facilitateur.get(url, {"q": "rit"})) == ["RSA"]
    params = {"commune": "belfort", "critere": critere("rsa").pk}
    assert candidats(facilitateur.get(url, params)) == ["RSA"]


def test_recherche_signale_une_mission_aux_memes_dates(facilitateur, besoin, viviers):
    f.MissionFactory(
        participant=viviers["rsa"],
        lot=f.LotFactory(date_debut=DEBUT_LOT, date_fin=FIN_LOT),
        date_debut=dt.date(2025, 3, 1),
        date_fin=dt.date(2025, 4, 15),
    )
    response = facilitateur.get(besoin.get_absolute_url())
    lignes = {
        ligne["objet"].nom: ligne["objet"] for ligne in response.context["recherche"]["lignes"]
    }
    assert lignes["RSA"].deja_en_mission and not lignes["JEUNE"].deja_en_mission
    assert "Déjà en mission à ces dates" in texte(response)


def test_recherche_masque_les_criteres_sensibles(client_for, besoin, viviers):
    client = client_for(roles.SUIVI)
    response = client.get(besoin.get_absolute_url())
    assert candidats(response) == ["HANDI", "JEUNE", "RSA"]
    contenu = texte(response).lower()
    assert "handicap" not in contenu and "rqth" not in contenu
    # Left out, not replaced by a placeholder that would tell a health criterion exists.
    assert "protégé" not in contenu
    # Neither offered as a filter…
    assert f'value="{critere("rqth").pk}"' not in contenu
    assert f'value="{critere("rsa").pk}"' in contenu
    # …nor accepted from a crafted URL: the list is not narrowed to the RQTH holders.
    response = client.get(besoin.get_absolute_url(), {"critere": critere("rqth").pk})
    assert candidats(response) == ["HANDI", "JEUNE", "RSA"]
    assert "Un filtre est invalide : il n'a pas été appliqué." in texte(response)
    # Other filters still apply.
    params = {"critere": critere("rqth").pk, "commune": "Delle"}
    assert candidats(client.get(besoin.get_absolute_url(), params)) == ["HANDI"]
    # Read-only for the suivi: no « Proposer » button.
    assert "Proposer HANDI" not in texte(response)


def test_proposees_masquent_aussi_les_criteres_sensibles(client_for, besoin, viviers):
    PropositionFactory(besoin=besoin, participant=viviers["rqth"])
    contenu = texte(client_for(roles.SUIVI).get(besoin.get_absolute_url())).lower()
    assert "handi hugo" in contenu and "handicap" not in contenu


# --- proposals ---------------------------------------------------------------------------------


def test_proposer_un_participant(facilitateur, besoin, viviers):
    url = reverse("heures:besoin_proposer", args=[besoin.pk])
    response = facilitateur.post(url, {"participant": viviers["rsa"].pk, "recherche": "commune=b"})
    assert response.status_code == 302
    assert response["Location"] == besoin.get_absolute_url() + "?commune=b#propositions"
    proposition = Proposition.objects.get()
    assert proposition.participant == viviers["rsa"] and proposition.besoin == besoin
    assert proposition.statut == StatutProposition.PROPOSE
    assert proposition.date_proposition == timezone.localdate()
    assert proposition.modifie_par == facilitateur.user
    page = facilitateur.get(besoin.get_absolute_url())
    proposee = "proposée" if viviers["rsa"].sexe == "F" else "proposé"  # agreed with the person
    assert f"RSA Rita {proposee} pour ce besoin." in texte(page)
    assert "RSA" not in candidats(page)  # no longer offered
    # Twice: refused, nothing added.
    response = facilitateur.post(url, {"participant": viviers["rsa"].pk}, follow=True)
    assert f"RSA Rita est déjà {proposee} pour ce besoin." in texte(response)
    assert Proposition.objects.count() == 1


def test_proposer_un_participant_inconnu(facilitateur, besoin):
    url = reverse("heures:besoin_proposer", args=[besoin.pk])
    response = facilitateur.post(url, {"participant": "999999"}, follow=True)
    assert "Ce participant n'existe pas ou plus." in texte(response)
    assert not Proposition.objects.exists()


def _transition(client, proposition, statut, version=None):
    proposition.refresh_from_db()
    return client.post(
        reverse("heures:proposition_statut", args=[proposition.pk]),
        {"statut": statut, "version_lue": proposition.version if version is None else version},
        follow=True,
    )


def test_suivi_d_une_proposition(facilitateur, besoin, viviers):
    proposition = PropositionFactory(besoin=besoin, participant=viviers["rsa"])
    page = texte(facilitateur.get(besoin.get_absolute_url()))
    assert "Passer en entretien" in page and "Ne pas retenir" in page
    assert "Retenir : RSA Rita" not in page  # not allowed from « proposé »
    assert "RSA Rita : entretien." in texte(_transition(facilitateur, proposition, "entretien"))
    proposition.refresh_from_db()
    assert proposition.statut == StatutProposition.ENTRETIEN
    assert proposition.date_entretien == timezone.localdate()
    _transition(facilitateur, proposition, "retenu")
    proposition.refresh_from_db()
    assert proposition.statut == StatutProposition.RETENU
    assert proposition.date_decision == timezone.localdate()
    assert proposition.history.count() == 3


@pytest.mark.parametrize(
    "depart, cible",
    [
        (StatutProposition.PROPOSE, StatutProposition.RETENU),
        (StatutProposition.PROPOSE, StatutProposition.PROPOSE),
        (StatutProposition.RETENU, StatutProposition.NON_RETENU),
        (StatutProposition.NON_RETENU, StatutProposition.ENTRETIEN),
        (StatutProposition.ENTRETIEN, StatutProposition.PROPOSE),
    ],
)
def test_transitions_interdites(facilitateur, besoin, viviers, depart, cible):
    proposition = PropositionFactory(besoin=besoin, participant=viviers["rsa"], statut=depart)
    response = _transition(facilitateur, proposition, cible)
    libelles = StatutProposition(depart).label, StatutProposition(cible).label
    assert f"Passage de « {libelles[0]} » à « {libelles[1]} » impossible." in texte(response)
    proposition.refresh_from_db()
    assert proposition.statut == depart and proposition.version == 1


def test_proposition_non_retenue_des_la_proposition(facilitateur, besoin, viviers):
    proposition = PropositionFactory(besoin=besoin, participant=viviers["rsa"])
    _transition(facilitateur, proposition, "non_retenu")
    proposition.refresh_from_db()
    assert proposition.statut == StatutProposition.NON_RETENU


def test_statut_inconnu(facilitateur, besoin, viviers):
    proposition = PropositionFactory(besoin=besoin, participant=viviers["rsa"])
    response = _transition(facilitateur, proposition, "embauche")
    assert "Statut inconnu : rien n'a été modifié." in texte(response)


def test_changement_de_statut_concurrent_refuse(facilitateur, besoin, viviers, make_user):
    proposition = PropositionFactory(besoin=besoin, participant=viviers["rsa"])
    collegue = make_user(roles.FACILITATEUR, username="chloe", first_name="Chloé")
    service.changer_statut(proposition, StatutProposition.ENTRETIEN, 1, collegue)
    # The page was opened at version 1: the move « non retenu » is refused.
    response = _transition(facilitateur, proposition, StatutProposition.NON_RETENU, version=1)
    assert "Enregistrement refusé : Chloé a modifié cette fiche le" in texte(response)
    proposition.refresh_from_db()
    assert proposition.statut == StatutProposition.ENTRETIEN


def test_dates_et_commentaire(facilitateur, besoin, viviers):
    proposition = PropositionFactory(besoin=besoin, participant=viviers["rsa"])
    url = reverse("heures:proposition_modifier", args=[proposition.pk])
    data = {
        "date_proposition": proposition.date_proposition.isoformat(),
        "date_entretien": (proposition.date_proposition + dt.timedelta(days=7)).isoformat(),
        "date_decision": "",
        "commentaire": "Entretien sur le chantier avec le chef d'équipe.",
        "version_lue": "1",
    }
    assert facilitateur.post(url, data).status_code == 302
    proposition.refresh_from_db()
    assert proposition.commentaire.startswith("Entretien sur le chantier")
    trop_tot = {**data, "date_entretien": "2020-01-01", "version_lue": "2"}
    response = facilitateur.post(url, trop_tot)
    assert "L'entretien ne peut pas précéder la proposition." in texte(response)


def test_besoin_pourvu_quand_les_postes_sont_retenus(facilitateur, besoin, viviers):
    assert besoin.nombre_postes == 2
    premiere, seconde, troisieme = (
        PropositionFactory(besoin=besoin, participant=viviers[c], statut="entretien")
        for c in ("rsa", "jeune", "rqth")
    )
    _transition(facilitateur, premiere, "retenu")
    besoin.refresh_from_db()
    assert besoin.statut == StatutBesoin.OUVERT
    _transition(facilitateur, seconde, "retenu")
    besoin.refresh_from_db()
    assert besoin.statut == StatutBesoin.POURVU
    # A third one cannot be retained; it can still be turned down.
    response = _transition(facilitateur, troisieme, "retenu")
    assert "Le besoin est pourvu : 2 postes déjà pourvus." in texte(response)
    troisieme.refresh_from_db()
    assert troisieme.statut == StatutProposition.ENTRETIEN
    _transition(facilitateur, troisieme, "non_retenu")
    # One more post on the need: open again.
    besoin.refresh_from_db()
    besoin.nombre_postes = 3
    service.enregistrer_besoin(besoin, besoin.version, facilitateur.user)
    besoin.refresh_from_db()
    assert besoin.statut == StatutBesoin.OUVERT


# --- the retained proposal becomes a mission ---------------------------------------------------


@pytest.fixture
def retenue(besoin, viviers):
    return PropositionFactory(
        besoin=besoin, participant=viviers["rsa"], statut=StatutProposition.RETENU
    )


def test_creer_la_mission_en_un_clic(facilitateur, besoin, retenue):
    page = texte(facilitateur.get(besoin.get_absolute_url()))
    assert "Créer la mission" in page
    url = reverse("heures:proposition_mission", args=[retenue.pk])
    response = facilitateur.post(url, {"un_clic": "1"})
    mission = Mission.objects.get()
    assert response.status_code == 302 and response["Location"] == mission.get_absolute_url()
    assert mission.reference == "MIS-2025-0001"
    assert mission.participant == retenue.participant
    assert mission.lot == besoin.lot and mission.employeur == besoin.entreprise
    assert mission.poste == "Maçon" and mission.modalite == besoin.modalite
    assert (mission.date_debut, mission.date_fin) == (besoin.date_debut, besoin.date_fin)
    retenue.refresh_from_db()
    assert retenue.mission == mission
    fiche = texte(facilitateur.get(mission.get_absolute_url()))
    assert "Mission MIS-2025-0001 créée pour RSA Rita chez Bâtiments du Lion." in fiche
    # The need's page links the mission; the button is gone; a second post changes nothing.
    page = texte(facilitateur.get(besoin.get_absolute_url()))
    assert "Mission MIS-2025-0001" in page and "Créer la mission" not in page
    response = facilitateur.post(url, {"un_clic": "1"}, follow=True)
    assert "La mission MIS-2025-0001 a déjà été créée pour cette proposition" in texte(response)
    assert response.redirect_chain[-1][0] == mission.get_absolute_url()
    assert Mission.objects.count() == 1


def test_mission_d_une_proposition_non_retenue_refusee(facilitateur, besoin, viviers):
    proposition = PropositionFactory(besoin=besoin, participant=viviers["rsa"], statut="entretien")
    url = reverse("heures:proposition_mission", args=[proposition.pk])
    response = facilitateur.post(url, {"un_clic": "1"}, follow=True)
    assert "Seule une proposition retenue devient une mission" in texte(response)
    assert not Mission.objects.exists()
    # The service refuses it too (a page opened before the status changed).
    mission = service.mission_preremplie(proposition)
    with pytest.raises(ValidationError, match="Seule une proposition retenue"):
        service.creer_mission(proposition, mission, facilitateur.user)
    assert not Mission.objects.exists()


def test_un_clic_non_eligible_montre_le_formulaire(facilitateur, besoin, viviers):
    """Not eligible on the first day: the prefilled form shows why; a reason saves it."""
    proposition = PropositionFactory(
        besoin=besoin, participant=viviers["tardif"], statut=StatutProposition.RETENU
    )
    url = reverse("heures:proposition_mission", args=[proposition.pk])
    response = facilitateur.post(url, {"un_clic": "1"})
    form = response.context["formulaires"]["mission"]
    assert "motif_derogation_eligibilite" in form.errors
    assert form["poste"].value() == "Maçon"  # prefilled values kept
    assert not Mission.objects.exists()
    data = {
        "employeur": besoin.entreprise.pk,
        "modalite": besoin.modalite,
        "type_contrat": besoin.type_contrat,
        "poste": "Maçon",
        "date_debut": "2025-06-02",  # eligible from 01/06/2025
        "date_fin": "2025-09-30",
        "heures_prevues": "",
        "sortie": "",
        "date_sortie": "",
        "motif_derogation_eligibilite": "",
        # Posted values of the fixed fields are ignored: participant and lot come from the need.
        "participant": viviers["rsa"].pk,
        "lot": f.LotFactory().pk,
    }
    assert facilitateur.post(url, data).status_code == 302
    mission = Mission.objects.get()
    assert mission.participant == viviers["tardif"] and mission.lot == besoin.lot
    proposition.refresh_from_db()
    assert proposition.mission == mission


def test_un_clic_refuse_un_chevauchement(facilitateur, besoin, retenue):
    f.MissionFactory(
        reference="MIS-2025-0099",
        participant=retenue.participant,
        lot=besoin.lot,
        date_debut=dt.date(2025, 3, 1),
        date_fin=dt.date(2025, 4, 30),
    )
    url = reverse("heures:proposition_mission", args=[retenue.pk])
    response = facilitateur.post(url, {"un_clic": "1"})
    message = response.context["formulaires"]["mission"].errors["date_debut"][0]
    assert "MIS-2025-0099" in message
    assert Mission.objects.count() == 1
    retenue.refresh_from_db()
    assert retenue.mission is None


# --- rights ------------------------------------------------------------------------------------


def test_suivi_lit_sans_rien_modifier(client_for, chantier, besoin, retenue, viviers):
    client = client_for(roles.SUIVI)
    assert client.get(reverse("heures:besoin_liste")).status_code == 200
    page = client.get(besoin.get_absolute_url())
    assert page.status_code == 200
    contenu = texte(page)
    assert "Créer la mission" not in contenu and "Passer en entretien" not in contenu
    assert "Nouveau besoin" not in texte(client.get(reverse("heures:besoin_liste")))
    interdits = [
        ("get", reverse("heures:besoin_creer"), {}),
        ("post", reverse("heures:besoin_creer"), donnees_besoin(chantier)),
        ("get", reverse("heures:besoin_modifier", args=[besoin.pk]), {}),
        ("post", reverse("heures:besoin_statut", args=[besoin.pk]) + "?action=annuler", {}),
        ("post", reverse("heures:besoin_proposer", args=[besoin.pk]), {"participant": 1}),
        ("post", reverse("heures:proposition_statut", args=[retenue.pk]), {"statut": "entretien"}),
        ("get", reverse("heures:proposition_modifier", args=[retenue.pk]), {}),
        ("post", reverse("heures:proposition_mission", args=[retenue.pk]), {"un_clic": "1"}),
    ]
    for methode, url, data in interdits:
        assert getattr(client, methode)(url, data).status_code == 403, url
    assert BesoinRecrutement.objects.count() == 1 and not Mission.objects.exists()


@pytest.mark.parametrize("role", [roles.ANIMATEUR, roles.DIRECTION])
def test_animateur_et_direction_n_y_ont_pas_acces(client_for, besoin, retenue, role):
    client = client_for(role)
    for url in (
        reverse("heures:besoin_liste"),
        besoin.get_absolute_url(),
        reverse("heures:besoin_creer"),
        reverse("heures:proposition_mission", args=[retenue.pk]),
    ):
        assert client.get(url).status_code == 403, url
    url = reverse("heures:proposition_statut", args=[retenue.pk])
    assert client.post(url, {"statut": "non_retenu"}).status_code == 403


def test_admin_peut_tout_faire(client_for, besoin, retenue):
    client = client_for(roles.ADMIN)
    assert client.get(reverse("heures:besoin_creer")).status_code == 200
    url = reverse("heures:proposition_mission", args=[retenue.pk])
    assert client.post(url, {"un_clic": "1"}).status_code == 302


def test_entree_de_navigation(make_user):
    def entrees(role):
        user = make_user(role, username=f"nav-{role}")
        return {e["libelle"] for s in navigation_pour(user) for e in s["entrees"]}

    assert "Besoins" in entrees(roles.FACILITATEUR)
    assert "Besoins" in entrees(roles.SUIVI)
    assert "Besoins" not in entrees(roles.ANIMATEUR)
    assert "Besoins" not in entrees(roles.DIRECTION)


def test_permissions_des_roles(make_user):
    facilitateur, suivi = make_user(roles.FACILITATEUR), make_user(roles.SUIVI, username="s")
    for modele in ("besoinrecrutement", "proposition"):
        for action in ("view", "add", "change"):
            assert facilitateur.has_perm(f"heures.{action}_{modele}")
        assert suivi.has_perm(f"heures.view_{modele}")
        assert not suivi.has_perm(f"heures.add_{modele}")
        assert not suivi.has_perm(f"heures.change_{modele}")


# --- cost of the need's page -------------------------------------------------------------------


def _peupler(besoin, n):
    for i in range(n):
        p = personne(f"PROP{i:03d}", codes=("rsa", "rqth"))
        statut = [StatutProposition.PROPOSE, StatutProposition.ENTRETIEN][i % 2]
        PropositionFactory(besoin=besoin, participant=p, statut=statut)
        personne(f"CAND{i:03d}", codes=("jeune",))
    retenue = PropositionFactory(besoin=besoin, statut=StatutProposition.RETENU)
    retenue.mission = f.MissionFactory(participant=retenue.participant, lot=besoin.lot)
    retenue.save()


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_page_du_besoin(facilitateur, besoin, django_assert_max_num_queries, n):
    _peupler(besoin, n)
    url = besoin.get_absolute_url()
    facilitateur.get(url)
    with django_assert_max_num_queries(14):
        response = facilitateur.get(url)
    assert len(response.context["propositions"]) == n + 1


def test_requetes_page_du_besoin_constantes(facilitateur, besoin):
    url = besoin.get_absolute_url()
    _peupler(besoin, 3)
    facilitateur.get(url)
    avec_3 = _requetes(facilitateur, url)
    _peupler(besoin, 27)
    assert _requetes(facilitateur, url) == avec_3
    filtre = {"critere": critere("jeune").pk, "commune": "a"}
    assert _requetes(facilitateur, url, filtre) <= avec_3 + 1


# --- database constraints (cases to copy into tests/test_contraintes.py) ---------------------


def _integrite(ecrire, nom):
    with pytest.raises(IntegrityError) as erreur, transaction.atomic():
        ecrire()
    if connection.vendor != "sqlite" or nom != "proposition_une_par_participant":
        assert nom in str(erreur.value)


def test_contraintes_du_besoin():
    besoin = BesoinRecrutementFactory()
    _integrite(
        lambda: BesoinRecrutement.objects.filter(pk=besoin.pk).update(nombre_postes=0),
        "besoin_au_moins_un_poste",
    )
    _integrite(
        lambda: BesoinRecrutement.objects.filter(pk=besoin.pk).update(
            date_fin=besoin.date_debut - dt.timedelta(days=1)
        ),
        "besoin_fin_apres_debut",
    )
    BesoinRecrutement.objects.filter(pk=besoin.pk).update(date_fin=None, nombre_postes=3)


def test_contraintes_de_la_proposition():
    proposition = PropositionFactory()
    _integrite(
        lambda: PropositionFactory(besoin=proposition.besoin, participant=proposition.participant),
        "proposition_une_par_participant",
    )
    PropositionFactory(participant=proposition.participant)  # another need: allowed
    mission = f.MissionFactory(participant=proposition.participant)
    _integrite(
        lambda: Proposition.objects.filter(pk=proposition.pk).update(mission=mission),
        "proposition_mission_si_retenue",
    )
    Proposition.objects.filter(pk=proposition.pk).update(
        mission=mission, statut=StatutProposition.RETENU
    )
