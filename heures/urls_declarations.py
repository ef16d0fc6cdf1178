"""URL patterns of hours entry and the declaration workflow (included by heures/urls.py)."""

from django.urls import path

from heures import views_declarations as views

urlpatterns = [
    path("declarations/saisir/", views.ouvrir, name="declaration_ouvrir"),
    path("declarations/<int:pk>/saisie/", views.saisie, name="declaration_saisie"),
    path(
        "declarations/<int:pk>/lignes/<int:mission_pk>/",
        views.ligne,
        name="declaration_ligne",
    ),
    path(
        "declarations/<int:pk>/<str:action>/",
        views.action,
        name="declaration_action",
    ),
    path("attestations/<int:pk>/pdf/", views.attestation_pdf, name="attestation_pdf"),
    path(
        "lots/<int:lot_pk>/attestation-realisation/",
        views.attestation_realisation,
        name="attestation_realisation",
    ),
]
