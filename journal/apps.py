from django.apps import AppConfig


class JournalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "journal"
    verbose_name = "Journal des accès et de la sécurité"

    def ready(self):
        from journal import signaux

        signaux.connecter()
