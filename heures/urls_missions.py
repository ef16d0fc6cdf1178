"""URL patterns of this part of the heures app (included by heures/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
