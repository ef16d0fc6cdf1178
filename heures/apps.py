from django.apps import AppConfig


class HeuresConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "heures"
    verbose_name = "Participants et heures"

    def ready(self):
        from django.db.models.signals import post_delete

        from heures.models import Participant
        from heures.services.traces import participant_supprime

        # Deleting a participant (admin) leaves nothing of its identity behind.
        post_delete.connect(
            participant_supprime, sender=Participant, dispatch_uid="heures_participant_supprime"
        )
