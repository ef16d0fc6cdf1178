"""Background tasks of the marches app (run by ``python manage.py db_worker``)."""

from django_tasks import task


@task()
def traiter_fichier_decp(tache_id: int) -> None:
    """Analyse (preview, rolled back) or import an uploaded DECP file."""
    from marches import import_fond

    import_fond.executer(tache_id)
