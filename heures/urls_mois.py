"""URL patterns of the month board and its reminders (included by heures/urls.py)."""

from django.urls import path

from heures import views_mois as views

urlpatterns = [
    path("mois/", views.tableau, name="tableau_mois"),
    path("mois/relancer/", views.relancer, name="tableau_mois_relancer"),
    path(
        "mois/relancer-non-recues/",
        views.relancer_non_recues,
        name="tableau_mois_relancer_non_recues",
    ),
]
