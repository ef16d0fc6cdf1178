import django_filters
from django.utils import timezone

from entreprises.models import Entreprise
from heures import perms
from heures.models import (
    Attestation,
    BesoinRecrutement,
    CritereEligibilite,
    CritereParticipant,
    DeclarationMensuelle,
    Mission,
    Modalite,
    NiveauQualification,
    Participant,
    Sexe,
    SituationEntree,
    SituationSixMois,
    Sortie,
    StatutAttestation,
    StatutBesoin,
    StatutDeclaration,
    TypeAttestation,
)
from marches.models import Lot
from mife.core.champs import ChampMois
from mife.core.filtres import ChoixRechercheFilter, OuiNonFilter, TexteFilter, recherche_texte


class MoisFilter(django_filters.Filter):
    field_class = ChampMois


def _lots():
    return Lot.objects.select_related("marche")


class ParticipantFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Recherche (nom, prénom)", method=recherche_texte(["nom", "prenom"])
    )
    sexe = django_filters.ChoiceFilter(label="Sexe", choices=Sexe.choices)
    commune = TexteFilter(label="Commune")
    resident_qpv = OuiNonFilter(
        label="Résident QPV",
        tous="Tous",
    )
    critere = django_filters.ModelChoiceFilter(
        label="Critère d'éligibilité",
        queryset=CritereEligibilite.objects.all(),
        method="filtrer_critere",
    )
    niveau_qualification = django_filters.ChoiceFilter(
        label="Niveau de qualification", choices=NiveauQualification.choices
    )
    situation_entree = django_filters.ChoiceFilter(
        label="Situation à l'entrée", choices=SituationEntree.choices
    )

    class Meta:
        model = Participant
        fields = [
            "q",
            "sexe",
            "commune",
            "resident_qpv",
            "critere",
            "niveau_qualification",
            "situation_entree",
        ]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        # A sensitive criterion is neither offered nor accepted without the permission: a
        # crafted URL with its id is an invalid choice, so nothing is filtered on it.
        self.voir_sensibles = request is not None and perms.peut_voir_donnees_sensibles(
            request.user
        )
        if not self.voir_sensibles:
            self.filters["critere"].queryset = CritereEligibilite.objects.filter(sensible=False)

    def filtrer_critere(self, queryset, name, value):
        if not value or (value.sensible and not self.voir_sensibles):
            return queryset
        return queryset.filter(
            pk__in=CritereParticipant.objects.filter(critere=value).values("participant")
        )


class MissionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Recherche (référence, participant)",
        method=recherche_texte(["reference", "participant__nom", "participant__prenom"]),
    )
    lot = ChoixRechercheFilter(label="Lot", famille="lots", queryset=_lots())
    employeur = ChoixRechercheFilter(
        label="Employeur", famille="entreprises", queryset=Entreprise.objects.all()
    )
    modalite = django_filters.ChoiceFilter(label="Modalité", choices=Modalite.choices)
    etat = django_filters.ChoiceFilter(
        label="État",
        choices=[("a_venir", "À venir"), ("en_cours", "En cours"), ("terminee", "Terminée")],
        method="filtrer_etat",
    )
    sortie = django_filters.ChoiceFilter(
        label="Sortie",
        choices=[("aucune", "Aucune sortie"), *Sortie.choices],
        method="filtrer_sortie",
    )
    situation_six_mois = django_filters.ChoiceFilter(
        label="Situation six mois après", choices=SituationSixMois.choices
    )

    class Meta:
        model = Mission
        fields = ["q", "lot", "employeur", "modalite", "etat", "sortie", "situation_six_mois"]

    def filtrer_etat(self, queryset, name, value):
        jour = timezone.localdate()
        if value == "a_venir":
            return queryset.a_venir(jour)
        if value == "en_cours":
            return queryset.actives_le(jour)
        if value == "terminee":
            return queryset.terminees(jour)
        return queryset

    def filtrer_sortie(self, queryset, name, value):
        if value == "aucune":
            return queryset.filter(sortie="")
        return queryset.filter(sortie=value) if value else queryset


class DeclarationFilter(django_filters.FilterSet):
    statut = django_filters.ChoiceFilter(label="Statut", choices=StatutDeclaration.choices)
    mois = MoisFilter(label="Mois")
    entreprise = ChoixRechercheFilter(
        label="Entreprise", famille="entreprises", queryset=Entreprise.objects.all()
    )
    lot = ChoixRechercheFilter(label="Lot", famille="lots", queryset=_lots())

    class Meta:
        model = DeclarationMensuelle
        fields = ["statut", "mois", "entreprise", "lot"]


class AttestationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Numéro", method=recherche_texte(["numero"]))
    type = django_filters.ChoiceFilter(label="Type", choices=TypeAttestation.choices)
    statut = django_filters.ChoiceFilter(label="Statut", choices=StatutAttestation.choices)
    mois = MoisFilter(label="Mois")
    entreprise = ChoixRechercheFilter(
        label="Entreprise", famille="entreprises", queryset=Entreprise.objects.all()
    )

    class Meta:
        model = Attestation
        fields = ["q", "type", "statut", "mois", "entreprise"]


class BesoinFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Recherche (poste, entreprise)",
        method=recherche_texte(["poste", "entreprise__raison_sociale", "exigences"]),
    )
    statut = django_filters.ChoiceFilter(label="Statut", choices=StatutBesoin.choices)
    lot = ChoixRechercheFilter(
        label="Lot", famille="lots", queryset=Lot.objects.select_related("marche")
    )
    entreprise = ChoixRechercheFilter(
        label="Entreprise", famille="entreprises", queryset=Entreprise.objects.all()
    )
    commune = TexteFilter(label="Commune")

    class Meta:
        model = BesoinRecrutement
        fields = ["q", "statut", "lot", "entreprise", "commune"]
