"""Background tasks of the heures app (run by ``python manage.py db_worker``)."""

from django_tasks import task


@task()
def generer_attestations(generation_id: int) -> None:
    """Issue a month's attestations and build its ZIP and print-all PDF."""
    from heures.services import generation

    generation.executer(generation_id)
