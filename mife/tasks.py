"""Background tasks of the top layer (run by ``python manage.py db_worker``)."""

from django_tasks import task


@task()
def generer_bilan(demande_id: int) -> None:
    """Build an annual bilan asked from the browser (PDF or workbook)."""
    from mife import bilan

    bilan.executer(demande_id)
