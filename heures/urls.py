"""Every URL of the heures app (namespace ``heures``), grouped by the view module serving it."""

from django.urls import path

from heures.views import (
    coherence,
    declarations,
    excel,
    generation,
    listes,
    missions,
    mois,
    participants,
)

app_name = "heures"
urlpatterns = [
    # lists and detail pages (views/listes.py)
    path("participants/", listes.ParticipantListeView.as_view(), name="participant_liste"),
    path(
        "participants/<int:pk>/", listes.ParticipantFicheView.as_view(), name="participant_detail"
    ),
    path("missions/", listes.MissionListeView.as_view(), name="mission_liste"),
    path("missions/<int:pk>/", listes.MissionFicheView.as_view(), name="mission_detail"),
    path("declarations/", listes.DeclarationListeView.as_view(), name="declaration_liste"),
    path(
        "declarations/<int:pk>/",
        listes.DeclarationFicheView.as_view(),
        name="declaration_detail",
    ),
    path("attestations/", listes.AttestationListeView.as_view(), name="attestation_liste"),
    path(
        "attestations/a-reemettre/",
        coherence.AttestationsAReemettreView.as_view(),
        name="attestations_a_reemettre",
    ),
    path(
        "attestations/a-reemettre/reemettre/",
        coherence.reemettre,
        name="attestations_reemettre",
    ),
    path("attestations/controle/", coherence.controle, name="controle_chiffres"),
    # participants: edition and right-of-access export (views/participants.py)
    path(
        "participants/nouveau/",
        participants.ParticipantEditionView.as_view(),
        name="participant_creer",
    ),
    path(
        "participants/<int:pk>/modifier/",
        participants.ParticipantEditionView.as_view(),
        name="participant_modifier",
    ),
    path(
        "participants/<int:pk>/donnees/",
        participants.ParticipantExportView.as_view(),
        name="participant_export",
    ),
    path(
        "participants/<int:pk>/donnees.json",
        participants.ParticipantExportJsonView.as_view(),
        name="participant_export_json",
    ),
    # hours entry and the declaration workflow (views/declarations.py)
    path("declarations/saisir/", declarations.ouvrir, name="declaration_ouvrir"),
    path("declarations/<int:pk>/saisie/", declarations.saisie, name="declaration_saisie"),
    path(
        "declarations/<int:pk>/lignes/<int:mission_pk>/",
        declarations.ligne,
        name="declaration_ligne",
    ),
    path(
        "declarations/<int:pk>/<str:action>/",
        declarations.action,
        name="declaration_action",
    ),
    path("attestations/<int:pk>/pdf/", declarations.attestation_pdf, name="attestation_pdf"),
    path(
        "lots/<int:lot_pk>/attestation-realisation/",
        declarations.attestation_realisation,
        name="attestation_realisation",
    ),
    # missions, recruitment needs and proposals (views/missions.py)
    path("missions/nouvelle/", missions.MissionEditionView.as_view(), name="mission_creer"),
    path(
        "missions/<int:pk>/modifier/",
        missions.MissionEditionView.as_view(),
        name="mission_modifier",
    ),
    path("besoins/", missions.BesoinListeView.as_view(), name="besoin_liste"),
    path("besoins/nouveau/", missions.BesoinEditionView.as_view(), name="besoin_creer"),
    path("besoins/<int:pk>/", missions.BesoinFicheView.as_view(), name="besoin_detail"),
    path(
        "besoins/<int:pk>/modifier/", missions.BesoinEditionView.as_view(), name="besoin_modifier"
    ),
    path("besoins/<int:pk>/statut/", missions.BesoinStatutView.as_view(), name="besoin_statut"),
    path("besoins/<int:pk>/proposer/", missions.ProposerView.as_view(), name="besoin_proposer"),
    path(
        "propositions/<int:pk>/statut/",
        missions.PropositionStatutView.as_view(),
        name="proposition_statut",
    ),
    path(
        "propositions/<int:pk>/modifier/",
        missions.PropositionEditionView.as_view(),
        name="proposition_modifier",
    ),
    path(
        "propositions/<int:proposition_pk>/mission/",
        missions.PropositionMissionView.as_view(),
        name="proposition_mission",
    ),
    # the Excel round trip of monthly hours (views/excel.py)
    path("declarations/excel/", excel.ImportExcelView.as_view(), name="declaration_excel"),
    path("declarations/excel/modele/", excel.modele, name="declaration_excel_modele"),
    # monthly attestation batches (views/generation.py)
    path("attestations/generer/", generation.generer, name="generation"),
    path("attestations/generer/<int:pk>/", generation.detail, name="generation_detail"),
    path(
        "attestations/generer/<int:pk>/progression/",
        generation.progression,
        name="generation_progression",
    ),
    path("attestations/generer/<int:pk>/zip/", generation.telecharger_zip, name="generation_zip"),
    path("attestations/generer/<int:pk>/pdf/", generation.telecharger_pdf, name="generation_pdf"),
    # the month board and its reminders (views/mois.py)
    path("mois/", mois.tableau, name="tableau_mois"),
    path("mois/relancer/", mois.relancer, name="tableau_mois_relancer"),
    path(
        "mois/relancer-non-recues/",
        mois.relancer_non_recues,
        name="tableau_mois_relancer_non_recues",
    ),
]
