"""Participant data the figures need: level of qualification, situation at entry, the
situation six months after a sortie; forms, filters, anonymisation and the access export."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from heures.models import (
    CritereEligibilite,
    Mission,
    NiveauQualification,
    Participant,
    SituationEntree,
    SituationSixMois,
    Sortie,
)
from heures.services import missions as missions_service
from heures.services import participants as services
from mife import roles
from tests import factories as f
from tests.test_participants_edition import donnees, ligne_critere

pytestmark = pytest.mark.django_db


def test_formulaire_enregistre_niveau_et_situation(client_for):
    client = client_for(roles.FACILITATEUR)
    reponse = client.post(
        reverse("heures:participant_creer"),
        donnees(
            criteres=[ligne_critere()],
            niveau_qualification=NiveauQualification.NIVEAU_3,
            situation_entree=SituationEntree.DEMANDEUR_LONGUE_DUREE,
        ),
    )
    assert reponse.status_code == 302
    participant = Participant.objects.get(nom="Dupont")
    assert participant.niveau_qualification == "niv3"
    assert participant.situation_entree == "deld"
    fiche = client.get(participant.get_absolute_url()).content.decode()
    assert "Niveau 3 (CAP, BEP)" in fiche
    assert "Demandeur d&#x27;emploi de longue durée" in fiche


def test_niveau_inconnu_refuse(client_for):
    client = client_for(roles.FACILITATEUR)
    reponse = client.post(
        reverse("heures:participant_creer"),
        donnees(criteres=[ligne_critere()], niveau_qualification="niv9"),
    )
    assert reponse.status_code == 200
    assert "Sélectionnez un choix valide" in reponse.content.decode()
    assert not Participant.objects.filter(nom="Dupont").exists()


def test_filtres_par_niveau_et_situation(client_for):
    f.ParticipantFactory(nom="Bas", niveau_qualification=NiveauQualification.INFRA_3)
    f.ParticipantFactory(nom="Haut", niveau_qualification=NiveauQualification.NIVEAU_6)
    f.ParticipantFactory(nom="Inactif", situation_entree=SituationEntree.INACTIF)
    client = client_for(roles.FACILITATEUR)
    page = client.get(reverse("heures:participant_liste"), {"niveau_qualification": "infra3"})
    texte = page.content.decode()
    assert "BAS" in texte.upper() and "HAUT" not in texte.upper()
    page = client.get(reverse("heures:participant_liste"), {"situation_entree": "inactif"})
    assert "INACTIF" in page.content.decode().upper()
    assert "HAUT" not in page.content.decode().upper()


def test_situation_six_mois_exige_une_sortie():
    mission = f.MissionFactory(date_debut=dt.date(2025, 1, 6), date_fin=dt.date(2025, 6, 30))
    mission.situation_six_mois = SituationSixMois.EMPLOI_DURABLE
    with pytest.raises(ValidationError) as erreur:
        missions_service.verifier(mission)
    assert "suppose une sortie" in str(erreur.value.message_dict["situation_six_mois"])


def test_sortie_autre_siae_et_situation_six_mois():
    mission = f.MissionFactory(date_debut=dt.date(2025, 1, 6), date_fin=dt.date(2025, 6, 30))
    Mission.objects.filter(pk=mission.pk).update(
        sortie=Sortie.AUTRE_SIAE,
        date_sortie=dt.date(2025, 6, 30),
        situation_six_mois=SituationSixMois.EMPLOI_TRANSITION,
    )
    mission.refresh_from_db()
    assert mission.get_sortie_display().startswith("Entrée dans une autre structure")


def test_anonymisation_garde_le_profil():
    participant = f.ParticipantFactory(
        niveau_qualification=NiveauQualification.NIVEAU_4,
        situation_entree=SituationEntree.EN_EMPLOI,
    )
    f.CritereParticipantFactory(
        participant=participant, critere=CritereEligibilite.objects.get(code="rsa")
    )
    services.anonymiser([participant])
    participant.refresh_from_db()
    assert participant.anonymise_le is not None
    assert participant.niveau_qualification == "niv4"
    assert participant.situation_entree == "en_emploi"


def test_export_droit_d_acces_montre_le_profil():
    participant = f.ParticipantFactory(
        niveau_qualification=NiveauQualification.NIVEAU_5,
        situation_entree=SituationEntree.INACTIF,
    )
    donnees_export = services.donnees_personnelles(participant)
    assert donnees_export["participant"]["niveau_qualification"] == "Niveau 5 (bac + 2)"
    assert donnees_export["participant"]["situation_entree"].startswith("Inactif")
