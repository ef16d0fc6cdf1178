"""Background tasks of the marches app (run by ``python manage.py db_worker``)."""

from django_tasks import task


@task()
def traiter_fichier_decp(tache_id: int) -> None:
    """Analyse (preview, rolled back) or import an uploaded DECP file."""
    from marches import import_fond

    import_fond.executer(tache_id)


@task()
def veiller() -> None:
    """Run the due watch sources, then come back in an hour (periodic run by the worker)."""
    from django.utils import timezone

    from marches import veille

    try:
        veille.executer_dues()
    finally:
        planifier_veille(timezone.now() + veille.INTERVALLE)


def planifier_veille(quand=None) -> bool:
    """Enqueue the next periodic watch run (only on a backend able to defer a task)."""
    if not veiller.get_backend().supports_defer:
        return False
    (veiller.using(run_after=quand) if quand else veiller).enqueue()
    return True
