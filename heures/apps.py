from django.apps import AppConfig


class HeuresConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "heures"
    verbose_name = "Participants et heures"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from heures.models import DeclarationMensuelle, LigneDeclaration, Participant
        from heures.services import totaux
        from heures.services.traces import participant_supprime

        # Deleting a participant (admin) leaves nothing of its identity behind.
        post_delete.connect(
            participant_supprime, sender=Participant, dispatch_uid="heures_participant_supprime"
        )

        # Maintained totals of hours, rewritten in the transaction of the change
        # (heures/services/totaux.py).
        post_save.connect(totaux.ligne_changee, sender=LigneDeclaration, dispatch_uid="totaux_l")
        post_delete.connect(
            totaux.ligne_changee, sender=LigneDeclaration, dispatch_uid="totaux_l_sup"
        )
        post_save.connect(
            totaux.declaration_enregistree, sender=DeclarationMensuelle, dispatch_uid="totaux_d"
        )
        post_delete.connect(
            totaux.declaration_supprimee, sender=DeclarationMensuelle, dispatch_uid="totaux_d_sup"
        )
