from django.apps import AppConfig
from django.db.models.signals import post_migrate


def synchroniser_references(sender, apps=None, using="default", **kwargs):
    """Keep roles and reference lists in place after every migrate or flush.

    The migrations create them; this re-applies them (idempotent) so that new permissions
    reach their roles and a flushed test database gets its reference data back.
    """
    from django.apps import apps as global_apps

    from heures.references import charger_criteres
    from marches.modeles_clause import charger_modeles_clause
    from marches.references import charger_references_calcul
    from mife.roles import sync_roles

    registry = apps or global_apps
    sync_roles(registry)
    charger_criteres(registry)
    charger_references_calcul(registry)
    charger_modeles_clause(registry)
    Parametres = registry.get_model("mife", "Parametres")
    Parametres.objects.get_or_create(pk=1)


class MifeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mife"
    verbose_name = "Comptes et paramètres"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from mife.core import http, texte, verifications  # noqa: F401  (verifications: deploy checks)

        texte.installer()  # the accent-insensitive ``__contient`` lookups

        user_logged_in.connect(http.debut_d_activite, dispatch_uid="mife_debut_activite")

        from mife.double_facteur import memoriser_appareil

        user_logged_in.connect(
            lambda sender, request, user, **kwargs: memoriser_appareil(request, user),
            dispatch_uid="mife_double_facteur_connexion",
            weak=False,
        )
        # Run once, after the last app's migrations (label is the last domain app).
        post_migrate.connect(
            synchroniser_references, sender=self, dispatch_uid="mife_synchroniser_references"
        )
