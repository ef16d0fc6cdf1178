"""Security events written to the journal, from the signals of Django, django-axes and the
kernel's list export.

- logins (successful, failed, blocked by django-axes) and logouts, with the username typed
  and the client address; a login also records the session for « Mes sessions »;
- exports of every list page (``mife.core.signaux.liste_exportee``): which list, which filters;
- changes of rights: role (group membership), individual permissions, superuser, staff and
  active flags of an account, with who made them (the request kept by django-simple-history's
  middleware; « système » from the command line).
"""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save
from simple_history.models import HistoricalRecords

from journal import services, sessions
from journal.models import Action
from mife.core.signaux import liste_exportee

STATUTS_SURVEILLES = {
    "is_superuser": "superutilisateur",
    "is_staff": "accès à l'administration",
    "is_active": "compte actif",
}


def requete_courante():
    """The request being served (kept by ``HistoryRequestMiddleware``), or None."""
    return getattr(HistoricalRecords.context, "request", None)


def _identifiant_tape(credentials: dict) -> str:
    user_model = get_user_model()
    return str(credentials.get(user_model.USERNAME_FIELD) or credentials.get("username") or "")


def connexion(sender, request, user, **kwargs):
    sessions.ouvrir(request, user)
    services.securite(request, Action.CONNEXION, utilisateur=user)


def connexion_echouee(sender, credentials, request=None, **kwargs):
    identifiant = _identifiant_tape(credentials)
    utilisateur = (
        get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: identifiant}).first()
    )
    services.securite(
        request,
        Action.CONNEXION_ECHOUEE,
        utilisateur=utilisateur,
        identifiant=identifiant,
        objet="Identifiant ou mot de passe refusé",
    )


def compte_bloque(sender, request, username, ip_address, **kwargs):
    utilisateur = (
        get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username or ""}).first()
    )
    services.securite(
        request,
        Action.COMPTE_BLOQUE,
        utilisateur=utilisateur,
        identifiant=username or "",
        objet="Trop d'échecs de connexion : connexion bloquée",
        details={"adresse_bloquee": ip_address},
    )


def deconnexion(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    sessions.oublier(getattr(session, "session_key", None))
    if user is not None:
        services.securite(request, Action.DECONNEXION, utilisateur=user)


def export_liste(sender, request, titre: str, **kwargs):
    services.acces(
        request,
        Action.EXPORT_LISTE,
        objet=f"Liste « {titre} »",
        details={"liste": titre, "filtres": services.filtres(request)},
    )


# --- changes of rights -----------------------------------------------------------------------


def _noms(modele, pks) -> list[str]:
    if modele is Group:
        return sorted(modele.objects.filter(pk__in=pks).values_list("name", flat=True))
    if modele is Permission:
        return sorted(
            f"{app}.{code}"
            for app, code in modele.objects.filter(pk__in=pks).values_list(
                "content_type__app_label", "codename"
            )
        )
    return sorted(str(obj) for obj in modele.objects.filter(pk__in=pks))


def _origine(request) -> str:
    """Where a change of rights comes from: a page of the application (a request) or a
    command (none)."""
    return "application" if request is not None else "ligne de commande"


def _changement_m2m(action_journal, champ, instance, action, reverse, model, pk_set, **kwargs):
    """Group or permission membership changed, on either side of the relation."""
    if action == "pre_clear":
        # Remember what is cleared: the post_clear signal no longer knows it.
        liees = instance.user_set if reverse else getattr(instance, champ)
        instance._journal_vide = list(liees.values_list("pk", flat=True))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if action == "post_clear":
        pk_set = set(getattr(instance, "_journal_vide", []))
    if not pk_set:
        return
    sens = "ajout" if action == "post_add" else "retrait"
    request = requete_courante()
    if not reverse:
        # user.groups.add(...) / user.user_permissions.add(...)
        comptes, elements = [instance], _noms(model, pk_set)
    else:
        # group.user_set.add(...): the accounts are in pk_set
        comptes = list(model.objects.filter(pk__in=pk_set))
        elements = _noms(type(instance), [instance.pk])
    for compte in comptes:
        services.securite(
            request,
            action_journal,
            objet=f"{compte.get_username()} : {sens} de {', '.join(elements)}",
            details={
                "compte": compte.get_username(),
                sens: elements,
                "origine": _origine(request),
            },
        )


def groupes_modifies(sender, **kwargs):
    _changement_m2m(Action.ROLE_MODIFIE, "groups", **kwargs)


def permissions_modifiees(sender, **kwargs):
    _changement_m2m(Action.PERMISSIONS_MODIFIEES, "user_permissions", **kwargs)


def avant_enregistrement_compte(sender, instance, raw=False, update_fields=None, **kwargs):
    if update_fields is not None and not set(update_fields) & set(STATUTS_SURVEILLES):
        instance._journal_statuts = None  # e.g. last_login at each login: nothing to watch
        return
    if raw or instance.pk is None:
        instance._journal_statuts = None
        return
    instance._journal_statuts = (
        sender.objects.filter(pk=instance.pk).values(*STATUTS_SURVEILLES).first()
    )


def apres_enregistrement_compte(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    avant = getattr(instance, "_journal_statuts", None)
    if created:
        avant = dict.fromkeys(STATUTS_SURVEILLES, False) | {"is_active": True}
    if avant is None:
        return
    changements = {
        libelle: {"avant": avant[champ], "apres": getattr(instance, champ)}
        for champ, libelle in STATUTS_SURVEILLES.items()
        if avant[champ] != getattr(instance, champ)
    }
    if not changements:
        return
    request = requete_courante()
    texte = ", ".join(
        f"{libelle} : {'oui' if c['apres'] else 'non'}" for libelle, c in changements.items()
    )
    services.securite(
        request,
        Action.STATUT_COMPTE_MODIFIE,
        objet=f"{instance.get_username()}{' (création)' if created else ''} : {texte}",
        details={
            "compte": instance.get_username(),
            "creation": created,
            "origine": _origine(request),
            **changements,
        },
    )


def connecter() -> None:
    user_model = get_user_model()
    user_logged_in.connect(connexion, dispatch_uid="journal_connexion")
    user_logged_out.connect(deconnexion, dispatch_uid="journal_deconnexion")
    user_login_failed.connect(connexion_echouee, dispatch_uid="journal_connexion_echouee")
    user_locked_out.connect(compte_bloque, dispatch_uid="journal_compte_bloque")
    liste_exportee.connect(export_liste, dispatch_uid="journal_export_liste")
    m2m_changed.connect(
        groupes_modifies, sender=user_model.groups.through, dispatch_uid="journal_groupes"
    )
    m2m_changed.connect(
        permissions_modifiees,
        sender=user_model.user_permissions.through,
        dispatch_uid="journal_permissions",
    )
    pre_save.connect(avant_enregistrement_compte, sender=user_model, dispatch_uid="journal_avant")
    post_save.connect(apres_enregistrement_compte, sender=user_model, dispatch_uid="journal_apres")
