from django.urls import path

from entreprises import views

app_name = "entreprises"
urlpatterns = [
    path("", views.EntrepriseListeView.as_view(), name="liste"),
    path("nouvelle/", views.EntrepriseEditionView.as_view(), name="creer"),
    path("<int:pk>/", views.EntrepriseFicheView.as_view(), name="detail"),
    path("<int:pk>/modifier/", views.EntrepriseEditionView.as_view(), name="modifier"),
    path("<int:pk>/contacts/", views.EntrepriseContactsView.as_view(), name="contacts"),
]
