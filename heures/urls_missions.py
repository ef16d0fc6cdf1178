"""URL patterns of this part of the heures app (included by heures/urls.py)."""

from django.urls import path

from heures import views_missions as views

urlpatterns: list = [
    path("missions/nouvelle/", views.MissionEditionView.as_view(), name="mission_creer"),
    path(
        "missions/<int:pk>/modifier/", views.MissionEditionView.as_view(), name="mission_modifier"
    ),
    path("besoins/", views.BesoinListeView.as_view(), name="besoin_liste"),
    path("besoins/nouveau/", views.BesoinEditionView.as_view(), name="besoin_creer"),
    path("besoins/<int:pk>/", views.BesoinFicheView.as_view(), name="besoin_detail"),
    path("besoins/<int:pk>/modifier/", views.BesoinEditionView.as_view(), name="besoin_modifier"),
    path("besoins/<int:pk>/statut/", views.BesoinStatutView.as_view(), name="besoin_statut"),
    path("besoins/<int:pk>/proposer/", views.ProposerView.as_view(), name="besoin_proposer"),
    path(
        "propositions/<int:pk>/statut/",
        views.PropositionStatutView.as_view(),
        name="proposition_statut",
    ),
    path(
        "propositions/<int:pk>/modifier/",
        views.PropositionEditionView.as_view(),
        name="proposition_modifier",
    ),
    path(
        "propositions/<int:proposition_pk>/mission/",
        views.PropositionMissionView.as_view(),
        name="proposition_mission",
    ),
]
