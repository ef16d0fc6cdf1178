"""``db_worker`` of django-tasks-db, which first resumes the batches a stopped worker left
unfinished (so that starting the worker again finishes them, with no duplicate number)."""

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from heures.services import generation


class Command(DbWorkerCommand):
    help = DbWorkerCommand.help

    def handle(self, *args, **options):
        reprises = generation.reprendre_interrompues()
        if reprises:
            self.stdout.write(f"{reprises} génération(s) d'attestations interrompue(s) reprise(s).")
        return super().handle(*args, **options)
