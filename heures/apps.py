from django.apps import AppConfig


class HeuresConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "heures"
