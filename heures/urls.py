from django.urls import path

from heures import (
    urls_declarations,
    urls_excel,
    urls_generation,
    urls_missions,
    urls_mois,
    urls_participants,
    views,
    views_coherence,
)

app_name = "heures"
urlpatterns = [
    path("participants/", views.ParticipantListeView.as_view(), name="participant_liste"),
    path("participants/<int:pk>/", views.ParticipantFicheView.as_view(), name="participant_detail"),
    path("missions/", views.MissionListeView.as_view(), name="mission_liste"),
    path("missions/<int:pk>/", views.MissionFicheView.as_view(), name="mission_detail"),
    path("declarations/", views.DeclarationListeView.as_view(), name="declaration_liste"),
    path(
        "declarations/<int:pk>/",
        views.DeclarationFicheView.as_view(),
        name="declaration_detail",
    ),
    path("attestations/", views.AttestationListeView.as_view(), name="attestation_liste"),
    path(
        "attestations/a-reemettre/",
        views_coherence.AttestationsAReemettreView.as_view(),
        name="attestations_a_reemettre",
    ),
    path(
        "attestations/a-reemettre/reemettre/",
        views_coherence.reemettre,
        name="attestations_reemettre",
    ),
    path("attestations/controle/", views_coherence.controle, name="controle_chiffres"),
    *urls_participants.urlpatterns,
    *urls_declarations.urlpatterns,
    *urls_missions.urlpatterns,
    *urls_excel.urlpatterns,
    *urls_generation.urlpatterns,
    *urls_mois.urlpatterns,
]
