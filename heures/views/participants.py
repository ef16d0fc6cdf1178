"""Participants: create and edit (identity and eligibility criteria), right-of-access export.

The read-only list and page are in ``heures.views.listes``; the rules are in
``heures.services.participants``.
"""

import datetime as dt
import json
import re
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from heures import perms
from heures.forms.participants import CriteresFormSet, ParticipantForm
from heures.models import Participant
from heures.services import participants as services
from journal import services as journal
from mife.core import formats, grammaire
from mife.core.formulaires import EditionView, PermissionAjoutOuModificationMixin


class ParticipantEditionView(PermissionAjoutOuModificationMixin, EditionView):
    """Identity and criteria on one page; on creation, a possible duplicate is shown first
    (open the existing record, or create anyway)."""

    model = Participant
    template_name = "heures/participant_edition.html"
    template_confirmation = "heures/_participant_doublons.html"
    champ_confirmation = "creer_quand_meme"

    def has_permission(self):
        return perms.peut_voir_participants(self.request.user) and super().has_permission()

    def get_objet(self):
        if "pk" in self.kwargs:
            return get_object_or_404(
                Participant.objects.select_related("modifie_par"), pk=self.kwargs["pk"]
            )
        return None

    def refus(self):
        if self.objet is not None and self.objet.anonymise_le:
            messages.error(
                self.request,
                "Ce participant a été anonymisé : sa fiche ne peut plus être modifiée.",
            )
            return redirect(self.objet.get_absolute_url())
        return None

    def get(self, request, *args, **kwargs):
        if self.objet is not None:
            # The form shows the identity and the criteria, protected ones included: a read.
            journal.consultation_participant(request, self.objet.pk)  # access log
        return super().get(request, *args, **kwargs)

    def get_titre(self):
        if self.objet is not None:
            return f"Modifier « {self.objet.nom_affiche} »"
        return "Nouveau participant"

    def get_fil(self):
        fil = [("Participants", reverse("heures:participant_liste"))]
        if self.objet is not None:
            fil.append((self.objet.nom_affiche, self.objet.get_absolute_url()))
        return [*fil, (self.get_titre(), None)]

    def get_annulation(self):
        if self.objet is not None:
            return self.objet.get_absolute_url()
        return reverse("heures:participant_liste")

    def get_formulaires(self, data=None):
        return {"participant": ParticipantForm(data=data, instance=self.objet)}

    def get_formsets(self, formulaires, data=None):
        instance = formulaires["participant"].instance
        criteres = CriteresFormSet(
            data=data, instance=instance, user=self.request.user, prefix="criteres"
        )
        return {"criteres": criteres}

    def confirmation(self, formulaires):
        """A new record that may be someone already known: ask before creating it."""
        if self.objet is not None:
            return None
        d = formulaires["participant"].cleaned_data
        doublons = services.doublons_possibles(d["nom"], d["prenom"], d["date_naissance"])
        return {"doublons": doublons} if doublons else None

    def enregistrer(self, formulaires, version_lue):
        criteres = formulaires["criteres"]
        return services.enregistrer_participant(
            formulaires["participant"].save(commit=False),
            version_lue,
            self.request.user,
            criteres=criteres.save(commit=False),
            criteres_supprimes=criteres.deleted_objects,
        )

    def message_succes(self, objet):
        nom = "Participante" if objet.genre_grammatical == grammaire.FEMININ else "Participant"
        verbe = "créé" if self.objet is None else "enregistré"
        return f"{nom} « {objet} » {grammaire.accorde(verbe, objet)}."


# --- right of access -----------------------------------------------------------------------


class _ExportMixin(PermissionRequiredMixin):
    """Both rights are needed: the export shows everything, protected criteria included."""

    raise_exception = True

    def has_permission(self):
        return services.peut_exporter(self.request.user)

    def participant(self) -> Participant:
        return get_object_or_404(Participant, pk=self.kwargs["pk"])

    def donnees(self, participant) -> dict:
        services.journaliser_export(participant, self.request.user, self.request)
        return services.donnees_personnelles(participant, self.request.user)


class ParticipantExportJsonView(_ExportMixin, View):
    def get(self, request, pk):
        participant = self.participant()
        donnees = self.donnees(participant)
        contenu = json.dumps(donnees, ensure_ascii=False, indent=2)
        reponse = HttpResponse(contenu, content_type="application/json; charset=utf-8")
        horodatage = timezone.localtime().strftime("%Y%m%d-%H%M")
        reponse["Content-Disposition"] = (
            f'attachment; filename="donnees-participant-{participant.pk}-{horodatage}.json"'
        )
        return reponse


class ParticipantExportView(_ExportMixin, View):
    """The same content as the JSON file, as a page that prints well."""

    template_name = "heures/participant_export.html"

    def get(self, request, pk):
        participant = self.participant()
        donnees = self.donnees(participant)
        titre = f"Données personnelles — {participant.nom_affiche}"
        return render(
            request,
            self.template_name,
            {
                "titre": titre,
                "participant": participant,
                "d": _lisible(donnees),
                "fil": [
                    ("Participants", reverse("heures:participant_liste")),
                    (participant.nom_affiche, participant.get_absolute_url()),
                    ("Export des données", None),
                ],
            },
        )


def _lisible(valeur, cle: str = ""):
    """The JSON export made readable for the page: French dates, hours, Oui/Non, « — »."""
    if isinstance(valeur, dict):
        return {k: _lisible(v, k) for k, v in valeur.items()}
    if isinstance(valeur, list):
        return [_lisible(v, cle) for v in valeur]
    if valeur is None or valeur == "":
        return "—"
    if isinstance(valeur, bool):
        return "Oui" if valeur else "Non"
    if isinstance(valeur, str) and (
        cle.startswith("date")
        or cle.endswith("_le")
        or (cle in ("avant", "apres") and re.fullmatch(r"\d{4}-\d{2}-\d{2}(T.*)?", valeur))
    ):
        try:
            moment = dt.datetime.fromisoformat(valeur)
        except ValueError:
            return valeur
        if len(valeur) == 10:
            return formats.date_fr(moment.date())
        return formats.date_fr(moment)
    if cle == "mois" and isinstance(valeur, str):
        return formats.mois_fr(dt.date.fromisoformat(f"{valeur}-01"))
    if cle.startswith("heures") and isinstance(valeur, str):
        return formats.heures(Decimal(valeur))
    return valeur
