from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from heures.views.public import verifier_attestation
from mife import choix, compte, views

urlpatterns = [
    path("", views.accueil, name="accueil"),
    path("recherche/", views.recherche, name="recherche"),
    path("choix/<str:famille>/", choix.choix, name="choix"),
    path("indicateurs/", views.IndicateursView.as_view(), name="indicateurs"),
    path(
        "indicateurs/graphique/<str:nom>/",
        views.graphique_indicateurs,
        name="indicateurs_graphique",
    ),
    path(
        "indicateurs/ventilation/<str:nom>/",
        views.ventilation,
        name="indicateurs_ventilation",
    ),
    path("indicateurs/fse/", views.export_fse, name="export_fse"),
    path("indicateurs/previsions/", views.previsions, name="previsions"),
    path("rapports/", views.rapports, name="rapports"),
    path(
        "rapports/<int:pk>/<str:format>/",
        views.rapport_fichier,
        name="rapport_fichier",
    ),
    path("bilan/", views.bilan_demander, name="bilan"),
    path("bilan/<int:pk>/", views.bilan_detail, name="bilan_detail"),
    path("bilan/<int:pk>/progression/", views.bilan_progression, name="bilan_progression"),
    path("bilan/<int:pk>/fichier/", views.bilan_telecharger, name="bilan_fichier"),
    path("connexion/", auth_views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("mot-de-passe/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "mot-de-passe/change/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("connexion/verification/", compte.verifier, name="double_facteur_verifier"),
    path("compte/double-facteur/", compte.double_facteur_page, name="double_facteur"),
    path("compte/double-facteur/codes/", compte.codes_de_secours, name="double_facteur_codes"),
    path("compte/sessions/", compte.mes_sessions, name="compte_sessions"),
    path("compte/sessions/fermer/", compte.fermer_sessions, name="compte_sessions_fermer"),
    path("verifier/<str:code>/", verifier_attestation, name="verifier_attestation"),
    path("journal/", include("journal.urls")),
    path("marches/", include("marches.urls")),
    path("entreprises/", include("entreprises.urls")),
    path("heures/", include("heures.urls")),
    path("label/", include("label.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "mife.erreurs.acces_refuse"
handler404 = "mife.erreurs.page_introuvable"
handler500 = "mife.erreurs.erreur_serveur"
