import django_filters
from django import forms
from django.contrib.auth import get_user_model

from journal.models import Action, Categorie, EntreeJournal


class JourFilter(django_filters.DateFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(*args, **kwargs)


class EntreeJournalFilter(django_filters.FilterSet):
    du = JourFilter(label="Du", field_name="moment", lookup_expr="date__gte")
    au = JourFilter(label="Au", field_name="moment", lookup_expr="date__lte")
    categorie = django_filters.ChoiceFilter(label="Catégorie", choices=Categorie.choices)
    action = django_filters.ChoiceFilter(label="Action", choices=Action.choices)
    utilisateur = django_filters.ModelChoiceFilter(
        label="Utilisateur",
        queryset=get_user_model().objects.order_by("last_name", "first_name", "username"),
    )
    identifiant = django_filters.CharFilter(
        label="Identifiant (tapé à la connexion)", lookup_expr="icontains"
    )
    participant_id = django_filters.NumberFilter(label="Participant n°", min_value=1)
    adresse_ip = django_filters.CharFilter(label="Adresse IP", lookup_expr="startswith")

    class Meta:
        model = EntreeJournal
        fields = [
            "du",
            "au",
            "categorie",
            "action",
            "utilisateur",
            "identifiant",
            "participant_id",
            "adresse_ip",
        ]
