"""URL patterns of this part of the heures app (included by heures/urls.py)."""

from django.urls import path

from heures import views_participants

urlpatterns: list = [
    path(
        "participants/nouveau/",
        views_participants.ParticipantEditionView.as_view(),
        name="participant_creer",
    ),
    path(
        "participants/<int:pk>/modifier/",
        views_participants.ParticipantEditionView.as_view(),
        name="participant_modifier",
    ),
    path(
        "participants/<int:pk>/donnees/",
        views_participants.ParticipantExportView.as_view(),
        name="participant_export",
    ),
    path(
        "participants/<int:pk>/donnees.json",
        views_participants.ParticipantExportJsonView.as_view(),
        name="participant_export_json",
    ),
]
