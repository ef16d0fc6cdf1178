"""Excel round trip of monthly hours: download the pre-filled template, upload it filled,
preview what will change, then save it all or nothing on confirmation.

Between the preview and the confirmation the uploaded bytes wait in the default storage
(``imports/heures/<uuid>.xlsx`` under MEDIA_ROOT), referenced from the session; the
confirmation reads them again, exactly as the preview did.
"""

import uuid
from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views import View

from entreprises.models import Entreprise
from heures import perms
from heures.models import Mission
from heures.services import excel_heures
from journal import services as journal
from journal.models import Action
from mife.core import formats
from mife.core.champs import ChampMois
from mife.core.concurrence import ConflitDeVersion

PERMISSIONS = ("heures.add_declarationmensuelle", "heures.change_declarationmensuelle")
DOSSIER = "imports/heures"
CLE_SESSION = "import_excel_heures"
DUREE_ATTENTE = timedelta(days=1)  # abandoned uploads older than this are removed
TYPE_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _entreprises():
    """Companies that employ participants on missions: the only ones with hours to declare."""
    return Entreprise.objects.filter(pk__in=Mission.objects.values("employeur"))


def _champ_mois(required: bool) -> ChampMois:
    return ChampMois(
        label="Mois",
        required=required,
        help_text="AAAA-MM ou MM/AAAA" + ("" if required else " ; vide : lu dans le fichier."),
    )


class ModeleForm(forms.Form):
    entreprise = forms.ModelChoiceField(label="Entreprise", queryset=_entreprises())
    mois = _champ_mois(required=True)


class ImportForm(forms.Form):
    fichier = forms.FileField(
        label="Modèle rempli (.xlsx)",
        help_text=f"Le modèle téléchargé ci-dessus, rempli ; "
        f"{excel_heures.TAILLE_MAX // 1024 // 1024} Mo au plus.",
        error_messages={"empty": "Le fichier est vide."},
    )
    entreprise = forms.ModelChoiceField(
        label="Entreprise",
        queryset=_entreprises(),
        required=False,
        help_text="Vide : l'entreprise du modèle. Indiquée : le modèle doit être le sien.",
    )
    mois = _champ_mois(required=False)

    def clean_fichier(self):
        fichier = self.cleaned_data["fichier"]
        # Refused before anything reads the content.
        if fichier.size > excel_heures.TAILLE_MAX:
            raise ValidationError(
                f"Le fichier pèse {formats.nombre(fichier.size / 1024 / 1024, 1)} Mo : "
                f"{excel_heures.TAILLE_MAX // 1024 // 1024} Mo au plus."
            )
        return fichier


def _fil(dernier: str):
    return [("Déclarations", reverse("heures:declaration_liste")), (dernier, None)]


def _page(request, modele_form=None, import_form=None, status=200, **contexte):
    contexte.update(
        modele_form=modele_form or ModeleForm(initial=request.GET.dict() or None),
        import_form=import_form or ImportForm(),
        voir_identites=perms.peut_voir_participants(request.user),
        taille_max=excel_heures.TAILLE_MAX // 1024 // 1024,
        titre="Heures du mois par Excel",
        fil=_fil("Modèle Excel / Import Excel"),
    )
    return render(request, "heures/excel_import.html", contexte, status=status)


@permission_required(PERMISSIONS, raise_exception=True)
def modele(request):
    """Download the pre-filled template of a company and a month."""
    form = ModeleForm(request.GET or None)
    if not form.is_valid():
        return _page(request, modele_form=form)
    entreprise, mois = form.cleaned_data["entreprise"], form.cleaned_data["mois"]
    try:
        contenu = excel_heures.generer_modele(entreprise, mois, request.user)
    except ValidationError as erreur:
        form.add_error(None, erreur)
        return _page(request, modele_form=form)
    nom = f"heures-{mois:%Y-%m}-{slugify(entreprise.raison_sociale)[:40]}-{entreprise.identifiant}"
    journal.acces(request, Action.EXPORT_FICHIER, objet=f"Modèle d'heures {nom}.xlsx")
    reponse = HttpResponse(contenu, content_type=TYPE_XLSX)
    reponse["Content-Disposition"] = f'attachment; filename="{nom}.xlsx"'
    return reponse


def _chemin(jeton: str) -> str:
    return f"{DOSSIER}/{jeton}.xlsx"


def _oublier(request) -> None:
    """Drop the pending upload of this session (file and session key)."""
    attente = request.session.pop(CLE_SESSION, None)
    if attente:
        default_storage.delete(_chemin(attente["jeton"]))


def _nettoyer_anciens() -> None:
    """Remove uploads abandoned between preview and confirmation."""
    limite = timezone.now() - DUREE_ATTENTE
    try:
        _, fichiers = default_storage.listdir(DOSSIER)
    except FileNotFoundError:
        return
    for nom in fichiers:
        chemin = f"{DOSSIER}/{nom}"
        try:
            if default_storage.get_modified_time(chemin) < limite:
                default_storage.delete(chemin)
        except FileNotFoundError:  # removed meanwhile by another request
            continue


class ImportExcelView(PermissionRequiredMixin, View):
    """The page: template download form, upload form, preview and confirmation."""

    permission_required = PERMISSIONS
    raise_exception = True

    def get(self, request):
        return _page(request)

    def post(self, request):
        if "confirmer" in request.POST:
            return self._confirmer(request)
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return _page(request, import_form=form)
        fichier = form.cleaned_data["fichier"]
        contenu = fichier.read()
        rapport = excel_heures.analyser(
            contenu, form.cleaned_data["entreprise"], form.cleaned_data["mois"]
        )
        _oublier(request)
        jeton = ""
        if rapport.a_enregistrer:
            _nettoyer_anciens()
            jeton = uuid.uuid4().hex
            default_storage.save(_chemin(jeton), ContentFile(contenu))
            request.session[CLE_SESSION] = {
                "jeton": jeton,
                "entreprise": rapport.entreprise.pk,
                "mois": rapport.mois.isoformat(),
                "nom": fichier.name,
                "versions": rapport.empreinte(),
            }
        return _page(request, import_form=form, rapport=rapport, jeton=jeton, nom=fichier.name)

    def _confirmer(self, request):
        attente = request.session.get(CLE_SESSION)
        if not attente or attente["jeton"] != request.POST.get("jeton", ""):
            messages.error(
                request,
                "Aucun import en attente (déjà enregistré ou abandonné) : rien n'a été modifié. "
                "Déposez de nouveau le fichier si besoin.",
            )
            return redirect("heures:declaration_excel")
        try:
            with default_storage.open(_chemin(attente["jeton"]), "rb") as fichier:
                contenu = fichier.read()
        except FileNotFoundError:
            request.session.pop(CLE_SESSION, None)
            messages.error(
                request, "Le fichier déposé n'est plus disponible : déposez-le de nouveau."
            )
            return redirect("heures:declaration_excel")
        entreprise = Entreprise.objects.filter(pk=attente["entreprise"]).first()
        mois = date.fromisoformat(attente["mois"])
        rapport = excel_heures.analyser(contenu, entreprise, mois)
        nom = attente["nom"]
        if not rapport.a_enregistrer:
            _oublier(request)
            return _page(request, rapport=rapport, nom=nom)
        if rapport.empreinte() != attente["versions"]:
            attente["versions"] = rapport.empreinte()
            request.session[CLE_SESSION] = attente
            messages.warning(
                request,
                "Les déclarations ont changé depuis l'aperçu : vérifiez cet aperçu à jour, "
                "puis confirmez de nouveau.",
            )
            return _page(request, rapport=rapport, jeton=attente["jeton"], nom=nom)
        try:
            enregistrees = excel_heures.enregistrer(rapport, request.user)
        except (ConflitDeVersion, ValidationError) as erreur:
            _oublier(request)
            texte = (
                str(erreur) if isinstance(erreur, ConflitDeVersion) else " ".join(erreur.messages)
            )
            messages.error(
                request,
                f"Import refusé, rien n'a été enregistré : {texte} Déposez de nouveau le "
                "fichier pour voir l'aperçu à jour.",
            )
            return redirect("heures:declaration_excel")
        _oublier(request)
        messages.success(
            request,
            f"Import enregistré : {rapport.resume().replace(' à enregistrer', '')} Les "
            "déclarations restent en brouillon : soumettez-les depuis leur page.",
        )
        if len(enregistrees) == 1:
            return redirect("heures:declaration_saisie", pk=enregistrees[0].pk)
        return redirect("heures:declaration_liste")
