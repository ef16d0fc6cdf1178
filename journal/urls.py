from django.urls import path

from journal import views

app_name = "journal"
urlpatterns = [
    path("", views.JournalListeView.as_view(), name="liste"),
]
