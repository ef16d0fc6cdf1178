"""The five roles of the team, as Django groups with their permissions.

This module is the single definition of who may do what. Groups are created and kept in
sync by migrations (``sync_roles``), never by hand. Views and templates do not test group
names: they test permissions through each app's ``perms.py``.
"""

from dataclasses import dataclass

FACILITATEUR = "facilitateur"
SUIVI = "suivi"
ANIMATEUR = "animateur"
DIRECTION = "direction"
ADMIN = "admin"


@dataclass(frozen=True)
class Role:
    code: str
    groupe: str  # Django group name
    libelle: str
    permissions: tuple[str, ...]  # "app_label.codename"; "app_label.*" = all of the app

    def __str__(self) -> str:
        return self.libelle


def _crud(app: str, *models: str, actions=("view", "add", "change")) -> tuple[str, ...]:
    return tuple(f"{app}.{action}_{model}" for model in models for action in actions)


_MARCHES = ("donneurordre", "operation", "marche", "lot", "clause", "echange")
_ENTREPRISES = ("entreprise", "contact")
_PERSONNES = (
    "prescripteur",
    "participant",
    "critereparticipant",
    "mission",
    "besoinrecrutement",
    "proposition",
)
_DECLARATIONS = ("declarationmensuelle", "lignedeclaration", "relance")
_LABEL = (
    "dossierlabel",
    "actionlabel",
    "piecejointe",
    "sessionjury",
    "membrejury",
    "convocationjury",
    "passagejury",
    "avismembre",
    "label",
    "evenementanimation",
    "participationevenement",
    "diagnosticeligibilite",
    "journaldossier",
    "lienentreprise",
)

ROLES: tuple[Role, ...] = (
    Role(
        FACILITATEUR,
        "Facilitateur·rice",
        "Facilitateur·rice",
        (
            *_crud("marches", *_MARCHES),
            "marches.view_referencecalcul",
            "marches.view_modeleclause",
            "marches.importer_decp",
            *_crud("entreprises", *_ENTREPRISES),
            "entreprises.delete_contact",
            *_crud("heures", *_PERSONNES, *_DECLARATIONS),
            "heures.view_critereeligibilite",
            "heures.view_attestation",
            "heures.voir_donnees_sensibles",
            "heures.exporter_donnees_personnelles",
            *_crud("label", *_LABEL, actions=("view",)),
            "mife.voir_bilan",
            "mife.view_rapportdonneur",
            "mife.add_rapportdonneur",
        ),
    ),
    Role(
        SUIVI,
        "Assistant·e de suivi",
        "Assistant·e de suivi",
        _crud("marches", *_MARCHES, actions=("view",))
        + _crud("entreprises", *_ENTREPRISES, actions=("view",))
        + ("entreprises.change_contact", "entreprises.add_contact", "entreprises.delete_contact")
        + _crud("heures", *_PERSONNES, actions=("view",))
        + _crud("heures", *_DECLARATIONS)
        + ("heures.view_attestation", "heures.add_attestation", "heures.view_critereeligibilite")
        + ("heures.valider_declaration", "heures.emettre_attestation")
        + _crud("heures", "generationattestations", actions=("view", "add")),
    ),
    Role(
        ANIMATEUR,
        "Animateur·rice du label",
        "Animateur·rice du label",
        (
            *_crud("label", *_LABEL, actions=("view", "add", "change", "delete")),
            "label.instruire_dossierlabel",
            "label.decider_dossierlabel",
            *_crud("entreprises", *_ENTREPRISES),
            "entreprises.delete_contact",
            *_crud("marches", *_MARCHES, actions=("view",)),
        ),
    ),
    Role(
        DIRECTION,
        "Direction",
        "Direction",
        # Aggregates only: no access to participants' identities.
        _crud("marches", *_MARCHES, actions=("view",))
        + _crud("entreprises", *_ENTREPRISES, actions=("view",))
        + _crud("label", *_LABEL, actions=("view",))
        + ("heures.view_attestation", "mife.voir_bilan", "mife.view_rapportdonneur"),
    ),
    Role(
        ADMIN,
        "Administrateur",
        "Administrateur",
        (
            "mife.*",
            "marches.*",
            "entreprises.*",
            "heures.*",
            "label.*",
            "auth.*",
            "axes.*",
            "django_tasks_database.*",
            "journal.view_entreejournal",
        ),
    ),
)

ROLES_PAR_CODE = {role.code: role for role in ROLES}
ROLES_PAR_GROUPE = {role.groupe: role for role in ROLES}


def role_of(user) -> Role | None:
    if not getattr(user, "is_authenticated", False):
        return None
    cache = getattr(user, "_role_cache", None)
    if cache is None:
        groupes = set(user.groups.values_list("name", flat=True))
        cache = next((r for r in ROLES if r.groupe in groupes), None)
        if cache is None and user.is_superuser:
            cache = ROLES_PAR_CODE[ADMIN]
        user._role_cache = cache or False
    return cache or None


def sync_roles(apps=None, verbosity: int = 0) -> None:
    """Create the groups and give them exactly their permissions (idempotent).

    ``apps`` is the migration state registry when called from a migration.
    """
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    registry = apps or global_apps
    for app_config in registry.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, verbosity=verbosity, apps=registry)
        app_config.models_module = original

    Group = registry.get_model("auth", "Group")
    Permission = registry.get_model("auth", "Permission")
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role.groupe)
        wanted = Permission.objects.none()
        for spec in role.permissions:
            app_label, codename = spec.split(".", 1)
            if codename == "*":
                wanted = wanted | Permission.objects.filter(content_type__app_label=app_label)
            else:
                wanted = wanted | Permission.objects.filter(
                    content_type__app_label=app_label, codename=codename
                )
        group.permissions.set(wanted.distinct())


def permissions_inconnues() -> list[str]:
    """Permission specs of ``ROLES`` that match no permission (used by the tests)."""
    from django.contrib.auth.models import Permission

    inconnues = []
    for role in ROLES:
        for spec in role.permissions:
            app_label, codename = spec.split(".", 1)
            qs = Permission.objects.filter(content_type__app_label=app_label)
            if codename != "*":
                qs = qs.filter(codename=codename)
            if not qs.exists():
                inconnues.append(f"{role.code}: {spec}")
    return inconnues
