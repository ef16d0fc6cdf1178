from django.apps import AppConfig


class MarchesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "marches"
    verbose_name = "Marchés"
