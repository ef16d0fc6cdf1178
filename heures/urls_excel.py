"""URL patterns of the Excel round trip of monthly hours (included by heures/urls.py)."""

from django.urls import path

from heures import views_excel as views

urlpatterns = [
    path("declarations/excel/", views.ImportExcelView.as_view(), name="declaration_excel"),
    path("declarations/excel/modele/", views.modele, name="declaration_excel_modele"),
]
