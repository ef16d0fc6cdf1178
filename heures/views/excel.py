"""Excel round trip of monthly hours: download the pre-filled template, upload it filled,
preview what will change, then save it all or nothing on confirmation.

Between the preview and the confirmation the uploaded bytes wait in the default storage
(``mife.core.televersement``, kind ``heures``), referenced from the session; the
confirmation reads them again, exactly as the preview did.
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views import View

from entreprises.models import Entreprise
from heures import perms
from heures.forms.excel import ImportForm, ModeleForm
from heures.services import excel_heures
from journal import services as journal
from journal.models import Action
from mife.core.concurrence import ConflitDeVersion
from mife.core.televersement import Televersement, TeleversementIntrouvable

PERMISSIONS = ("heures.add_declarationmensuelle", "heures.change_declarationmensuelle")
TYPE_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


class ImportExcelView(PermissionRequiredMixin, View):
    """The page: template download form, upload form, preview and confirmation."""

    permission_required = PERMISSIONS
    raise_exception = True
    televersement = Televersement("heures", ".xlsx")

    def get(self, request):
        return _page(request)

    def post(self, request):
        if "confirmer" in request.POST:
            return self._confirmer(request)
        if "annuler" in request.POST:
            self.televersement.oublier(request, request.POST.get("jeton", ""))
            messages.info(request, "Import annulé : rien n'a été enregistré.")
            return redirect("heures:declaration_excel")
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return _page(request, import_form=form)
        fichier = form.cleaned_data["fichier"]
        contenu = fichier.read()
        rapport = excel_heures.analyser(
            contenu, form.cleaned_data["entreprise"], form.cleaned_data["mois"]
        )
        self.televersement.oublier(request)
        jeton = ""
        if rapport.a_enregistrer:
            jeton = self.televersement.garder(
                request,
                fichier.name,
                contenu,
                entreprise=rapport.entreprise.pk,
                mois=rapport.mois.isoformat(),
                versions=rapport.empreinte(),
            )
        return _page(request, import_form=form, rapport=rapport, jeton=jeton, nom=fichier.name)

    def _confirmer(self, request):
        try:
            attente = self.televersement.reprendre(request, request.POST.get("jeton", ""))
        except TeleversementIntrouvable as erreur:
            messages.error(request, str(erreur))
            return redirect("heures:declaration_excel")
        entreprise = Entreprise.objects.filter(pk=attente.donnees["entreprise"]).first()
        mois = date.fromisoformat(attente.donnees["mois"])
        rapport = excel_heures.analyser(attente.contenu, entreprise, mois)
        nom = attente.nom
        if not rapport.a_enregistrer:
            self.televersement.oublier(request)
            return _page(request, rapport=rapport, nom=nom)
        if rapport.empreinte() != attente.donnees["versions"]:
            self.televersement.mettre_a_jour(request, versions=rapport.empreinte())
            messages.warning(
                request,
                "Les déclarations ont changé depuis l'aperçu : vérifiez cet aperçu à jour, "
                "puis confirmez de nouveau.",
            )
            return _page(request, rapport=rapport, jeton=attente.jeton, nom=nom)
        try:
            enregistrees = excel_heures.enregistrer(rapport, request.user)
        except (ConflitDeVersion, ValidationError) as erreur:
            self.televersement.oublier(request)
            texte = (
                str(erreur) if isinstance(erreur, ConflitDeVersion) else " ".join(erreur.messages)
            )
            messages.error(
                request,
                f"Import refusé, rien n'a été enregistré : {texte} Déposez de nouveau le "
                "fichier pour voir l'aperçu à jour.",
            )
            return redirect("heures:declaration_excel")
        self.televersement.oublier(request)
        messages.success(
            request,
            f"Import enregistré : {rapport.resume().replace(' à enregistrer', '')} Les "
            "déclarations restent en brouillon : soumettez-les depuis leur page.",
        )
        if len(enregistrees) == 1:
            return redirect("heures:declaration_saisie", pk=enregistrees[0].pk)
        return redirect("heures:declaration_liste")
