from django.urls import path

from label import views

app_name = "label"
urlpatterns = [
    path("dossiers/", views.DossierListeView.as_view(), name="dossier_liste"),
    path("dossiers/<int:pk>/", views.DossierFicheView.as_view(), name="dossier_detail"),
    path("jurys/", views.SessionListeView.as_view(), name="session_liste"),
    path("jurys/<int:pk>/", views.SessionFicheView.as_view(), name="session_detail"),
]
