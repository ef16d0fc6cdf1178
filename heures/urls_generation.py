"""URL patterns of the monthly attestation batches (included by heures/urls.py)."""

from django.urls import path

from heures import views_generation as views

urlpatterns = [
    path("attestations/generer/", views.generer, name="generation"),
    path("attestations/generer/<int:pk>/", views.detail, name="generation_detail"),
    path(
        "attestations/generer/<int:pk>/progression/",
        views.progression,
        name="generation_progression",
    ),
    path("attestations/generer/<int:pk>/zip/", views.telecharger_zip, name="generation_zip"),
    path("attestations/generer/<int:pk>/pdf/", views.telecharger_pdf, name="generation_pdf"),
]
