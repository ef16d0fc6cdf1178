"""The DECP upload page's work, done by the background worker (a national file of 4 500
records takes tens of seconds: no request waits for it).

``demander`` records a ``TacheImportDecp`` and enqueues ``marches.tasks.traiter_fichier_decp``;
``executer`` is the task body: it reads the uploaded file from the storage, analyses it
(progress: records read, saved every ``PAS`` records) then runs the import — a dry run for the
preview (everything rolled back, exact counts), the real one for the import — and keeps what
the page shows in ``resultat``. The write phase runs in one transaction, so its progress is
not visible from outside: the page says « écriture en cours ». After the real import the
uploaded file is removed.
"""

from django.core.files.storage import default_storage
from django.utils import timezone

from marches import decp
from marches.models import StatutTache, TacheImportDecp

PAS = 200


def demander(etape: str, nom: str, chemin: str, jeton: str, user, departement, acheteur):
    from marches.tasks import traiter_fichier_decp

    tache = TacheImportDecp.objects.create(
        etape=etape,
        nom=nom[:250],
        chemin=chemin,
        jeton=jeton,
        par=user,
        departement=departement or "",
        acheteur=acheteur or "",
    )
    traiter_fichier_decp.enqueue(tache.pk)
    tache.refresh_from_db()
    return tache


def _maj(tache: TacheImportDecp, **champs) -> None:
    champs["modifie_le"] = timezone.now()
    TacheImportDecp.objects.filter(pk=tache.pk).update(**champs)


def resultat(rapport: decp.Rapport) -> dict:
    """What the page shows of a report (JSON)."""
    return {
        "erreurs": [str(m) for m in rapport.erreurs],
        "resume": rapport.resume() if not rapport.erreurs else [],
        "motifs": rapport.motifs_ecart(),
        "groupes": rapport.avertissements_groupes(),
        "nb_importes": rapport.nb_importes,
    }


def executer(tache_id: int) -> None:
    tache = TacheImportDecp.objects.get(pk=tache_id)
    if not tache.en_marche:
        return
    _maj(tache, statut=StatutTache.EN_COURS)
    try:
        with default_storage.open(tache.chemin, "rb") as fichier:
            contenu = fichier.read()
    except FileNotFoundError:
        _maj(
            tache,
            statut=StatutTache.ECHEC,
            erreur="Le fichier déposé n'est plus disponible : déposez-le de nouveau.",
        )
        return
    try:

        def progression(faits: int, total: int) -> None:
            if faits % PAS == 0 or faits == total:
                _maj(tache, faits=faits, total=total)

        rapport = decp.analyser_fichier(
            contenu, tache.departement or None, tache.acheteur or None, progression=progression
        )
        apercu = tache.etape == TacheImportDecp.APERCU
        rapport = decp.importer(
            rapport,
            dry_run=apercu,
            user=tache.par,
            origine=f"téléversement : {tache.nom}",
        )
    except Exception as exc:  # the page must say it failed, not spin forever
        _maj(tache, statut=StatutTache.ECHEC, erreur=f"Erreur inattendue : {exc}")
        raise
    if not apercu:
        default_storage.delete(tache.chemin)
    _maj(
        tache,
        statut=StatutTache.TERMINEE,
        resultat=resultat(rapport),
        rapport_id=rapport.rapport_id,
    )
