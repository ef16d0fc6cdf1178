from django.apps import AppConfig


class MifeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mife"
    verbose_name = "MIFE — comptes et paramètres"
