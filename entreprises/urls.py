from django.urls import path

from entreprises import views

app_name = "entreprises"
urlpatterns = [
    path("", views.EntrepriseListeView.as_view(), name="liste"),
    path("<int:pk>/", views.EntrepriseFicheView.as_view(), name="detail"),
]
