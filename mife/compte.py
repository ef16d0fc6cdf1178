"""The account pages of every user: second factor (enrolment, verification, recovery codes)
and « Mes sessions ». The rules are in ``mife.double_facteur`` and ``journal.sessions``."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from journal import services as journal
from journal import sessions
from journal.models import Action
from mife import double_facteur


class ConfirmationForm(forms.Form):
    """Authenticate again before a change of the account's security (ASVS 7.5)."""

    mot_de_passe = forms.CharField(
        label="Votre mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_mot_de_passe(self):
        mot_de_passe = self.cleaned_data["mot_de_passe"]
        if not self.user.check_password(mot_de_passe):
            raise forms.ValidationError("Mot de passe incorrect.")
        return mot_de_passe


class RegenerationForm(ConfirmationForm):
    code = forms.CharField(
        label="Code de votre application",
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


def _suite(request) -> str:
    suite = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        suite, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return suite
    return reverse("accueil")


def _vers(page: str, request) -> str:
    """The URL of ``page``, carrying on where the user was going."""
    return f"{reverse(page)}?{urlencode({'next': _suite(request)})}"


def _fil(titre):
    return [(titre, None)]


def _codes(request, codes, titre="Vos codes de secours"):
    return render(
        request,
        "compte/codes_secours.html",
        {"titre": titre, "codes": codes, "suite": _suite(request), "fil": _fil(titre)},
    )


@never_cache  # QR code, key and recovery codes are secrets: never kept by a cache
def double_facteur_page(request):
    """Enrolment (QR code, manual key, first code) or, once enrolled, its status."""
    user = request.user
    if double_facteur.a_un_appareil(user):
        if not double_facteur.est_verifiee(request):
            return redirect(_vers("double_facteur_verifier", request))
        return _page_active(request)
    appareil = double_facteur.appareil_en_attente(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = double_facteur.confirmer(request, appareil, form.cleaned_data["code"])
        if codes is not None:
            messages.success(request, "Double authentification activée.")
            return _codes(request, codes)
        form.add_error("code", "Code incorrect : saisissez le code affiché maintenant.")
    titre = "Activer la double authentification"
    return render(
        request,
        "compte/double_facteur.html",
        {
            "titre": titre,
            "fil": _fil(titre),
            "active": False,
            "form": form,
            "qr_code": double_facteur.qr_code_svg(appareil),
            "cle": double_facteur.cle_manuelle(appareil),
            "suite": _suite(request),
            "sans_navigation": not double_facteur.est_verifiee(request)
            and double_facteur.exige(user, request.session),
        },
    )


@never_cache
def verifier(request):
    """The step after the password: a code of the application, or a recovery code."""
    if double_facteur.est_verifiee(request):
        return redirect(_suite(request))
    if not double_facteur.a_un_appareil(request.user):
        return redirect(_vers("double_facteur", request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appareil = double_facteur.verifier(request, form.cleaned_data["code"])
        except double_facteur.Refus as refus:
            form.add_error("code", str(refus))
        else:
            if appareil.name == double_facteur.NOM_CODES:
                restants = double_facteur.codes_restants(request.user)
                messages.warning(
                    request,
                    f"Code de secours utilisé : il vous en reste {restants}. Générez-en de "
                    "nouveaux depuis « Double authentification » si besoin.",
                )
            return redirect(_suite(request))
    return render(
        request,
        "compte/double_facteur_verifier.html",
        {
            "titre": "Vérification en deux étapes",
            "form": form,
            "suite": _suite(request),
            "sans_navigation": True,
        },
    )


def _page_active(request, form=None):
    titre = "Double authentification"
    return render(
        request,
        "compte/double_facteur.html",
        {
            "titre": titre,
            "fil": _fil(titre),
            "active": True,
            "form": form or RegenerationForm(user=request.user),
            "codes_restants": double_facteur.codes_restants(request.user),
            "exigee": double_facteur.exige_par_le_role(request.user),
        },
    )


@never_cache
@require_POST
def codes_de_secours(request):
    """New recovery codes (the old ones stop working): a verified session, and the password
    and a current code again (a change of the second factor, ASVS 7.5.1)."""
    if not double_facteur.est_verifiee(request):
        return redirect("double_facteur")
    form = RegenerationForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            double_facteur.verifier_code_application(request, form.cleaned_data["code"])
        except double_facteur.Refus as refus:
            form.add_error("code", str(refus))
    if not form.is_valid():
        journal.securite(request, Action.DOUBLE_FACTEUR_ECHOUE, objet="Confirmation refusée")
        return _page_active(request, form)
    codes = double_facteur.nouveaux_codes_de_secours(request.user, request)
    return _codes(request, codes, "Nouveaux codes de secours")


# --- « Mes sessions » --------------------------------------------------------------------------


@never_cache
def mes_sessions(request, form=None):
    courante = request.session.session_key
    lignes = sessions.sessions_de(request.user)
    if courante and not any(ligne.cle == courante for ligne in lignes):
        request.session[sessions.CLE_ACTIVITE] = 0
        sessions.toucher(request)  # the current session is always listed
        lignes = sessions.sessions_de(request.user)
    titre = "Mes sessions"
    return render(
        request,
        "compte/sessions.html",
        {
            "titre": titre,
            "fil": _fil(titre),
            "form": form or ConfirmationForm(user=request.user),
            "sessions": [
                {
                    "pk": ligne.pk,
                    "appareil": sessions.appareil(ligne.navigateur),
                    "navigateur": ligne.navigateur,
                    "adresse_ip": ligne.adresse_ip,
                    "ouverte_le": ligne.ouverte_le,
                    "derniere_activite": ligne.derniere_activite,
                    "courante": ligne.cle == courante,
                }
                for ligne in sorted(lignes, key=lambda s: (s.cle != courante, -s.pk))
            ],
        },
    )


@require_POST
def fermer_sessions(request):
    """End one of my other sessions (``session``: its number) or all of them (``toutes``),
    after typing the password again (ASVS 7.5.2)."""
    form = ConfirmationForm(request.POST, user=request.user)
    if not form.is_valid():
        journal.securite(request, Action.SESSIONS_FERMEES, objet="Mot de passe refusé : rien fermé")
        return mes_sessions(request, form)
    courante = request.session.session_key
    autres = [ligne for ligne in sessions.sessions_de(request.user) if ligne.cle != courante]
    if request.POST.get("toutes"):
        cles = [ligne.cle for ligne in autres]
    else:
        cles = [ligne.cle for ligne in autres if str(ligne.pk) == request.POST.get("session", "")]
    nombre = sessions.fermer(request.user, cles)
    if nombre:
        journal.securite(
            request,
            Action.SESSIONS_FERMEES,
            objet=f"{nombre} session{'s' if nombre > 1 else ''} fermée{'s' if nombre > 1 else ''}",
        )
        messages.success(
            request,
            f"{nombre} session{'s' if nombre > 1 else ''} fermée{'s' if nombre > 1 else ''} : "
            "les appareils concernés devront se reconnecter.",
        )
    else:
        messages.info(request, "Aucune autre session à fermer.")
    return redirect("compte_sessions")
