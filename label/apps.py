from django.apps import AppConfig


class LabelConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "label"
    verbose_name = "Label Empl'itudes"
