"""Failed logins in the admin: axes' list of attempts, with a « Débloquer » action.

Imported by ``mife.admin`` (before axes' own admin module would be autodiscovered): axes'
``AccessAttemptAdmin`` is kept, and extended with the action. Only the administrator role
holds ``axes.delete_accessattempt``, which the action requires.
"""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages

from mife.core.tentatives import adresses_bloquees

admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class TentativeAdmin(AccessAttemptAdmin):
    actions = ["debloquer", *AccessAttemptAdmin.actions]

    @admin.action(
        description="Débloquer : effacer les échecs de connexion sélectionnés",
        permissions=["delete"],
    )
    def debloquer(self, request, queryset):
        lignes = list(queryset.values_list("username", "ip_address"))
        effacees, _ = queryset.delete()
        comptes = sorted({nom or "(identifiant vide)" for nom, _ in lignes})
        self.message_user(
            request,
            f"{effacees} ligne(s) d'échecs effacée(s) : {', '.join(comptes)} peu(ven)t de "
            "nouveau se connecter depuis ces adresses.",
            messages.SUCCESS,
        )
        encore = adresses_bloquees(adresse for _, adresse in lignes)
        if encore:
            self.message_user(
                request,
                f"Adresse(s) encore bloquée(s) par les échecs sur d'autres comptes : "
                f"{', '.join(encore)}. Filtrez sur l'adresse et débloquez toutes ses lignes.",
                messages.WARNING,
            )
