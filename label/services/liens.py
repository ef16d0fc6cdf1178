"""The company contact's personal link to one dossier.

The token is random (``secrets``), shown once (in the e-mail and on the animator's page right
after creation) and stored only as its SHA-256. A link expires, can be revoked, and reaches
only its dossier: the views of ``label.views.espace`` resolve everything through it.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from label.models import DossierLabel, LienEntreprise, NatureJournal
from label.services.dossiers import verifier_modifiable
from label.services.workflow import journaliser
from mife.core import formats
from mife.core.models import Parametres

DUREE_DEFAUT_JOURS = 30
DUREE_MAX_JOURS = 90


class LienInvalide(Exception):
    """The link is unknown, expired or revoked (the message says which, in French)."""


def empreinte(jeton: str) -> str:
    return hashlib.sha256(jeton.encode()).hexdigest()


def url_publique(chemin: str) -> str:
    return Parametres.get().lien_public(chemin)


def url_lien(jeton: str) -> str:
    return url_publique(reverse("label:espace", args=[jeton]))


@transaction.atomic
def creer_lien(
    dossier: DossierLabel, contact, user, duree_jours: int = DUREE_DEFAUT_JOURS
) -> tuple[LienEntreprise, str]:
    """Create a link for ``contact`` and e-mail it; returns the link and its token."""
    verifier_modifiable(dossier)
    erreurs = {}
    if contact is None or contact.entreprise_id != dossier.entreprise_id:
        erreurs["contact"] = ["Choisissez un contact de l'entreprise du dossier."]
    elif not contact.email:
        erreurs["contact"] = [f"{contact} n'a pas d'adresse e-mail : ajoutez-la d'abord."]
    if not 1 <= (duree_jours or 0) <= DUREE_MAX_JOURS:
        erreurs["duree_jours"] = [f"Durée de validité : de 1 à {DUREE_MAX_JOURS} jours."]
    if erreurs:
        raise ValidationError(erreurs)
    jeton = secrets.token_urlsafe(32)
    maintenant = timezone.now()
    lien = LienEntreprise.objects.create(
        dossier=dossier,
        contact=contact,
        empreinte=empreinte(jeton),
        cree_le=maintenant,
        cree_par=user,
        expire_le=maintenant + timedelta(days=duree_jours),
    )
    parametres = Parametres.get()
    texte = render_to_string(
        "label/email_lien.txt",
        {
            "dossier": dossier,
            "contact": contact,
            "url": url_lien(jeton),
            "expire_le": formats.date_fr(lien.expire_le),
            "animateur": user,
            "nom_structure": parametres.nom_structure,
        },
    )
    sujet, _, corps = texte.strip().partition("\n")
    send_mail(sujet.strip(), corps.strip() + "\n", settings.DEFAULT_FROM_EMAIL, [contact.email])
    journaliser(
        dossier,
        f"Lien personnel envoyé à {contact} ({contact.email}), valable jusqu'au "
        f"{formats.date_fr(lien.expire_le)}",
        nature=NatureJournal.LIEN,
        user=user,
    )
    return lien, jeton


@transaction.atomic
def revoquer(lien: LienEntreprise, user) -> LienEntreprise:
    lien = LienEntreprise.objects.select_for_update().get(pk=lien.pk)
    if lien.revoque_le is not None:
        raise ValidationError("Ce lien est déjà révoqué.")
    lien.revoque_le = timezone.now()
    lien.revoque_par = user
    lien.save(update_fields=["revoque_le", "revoque_par"])
    journaliser(
        lien.dossier,
        f"Lien personnel de {lien.contact} révoqué",
        nature=NatureJournal.LIEN,
        user=user,
    )
    return lien


def resoudre(jeton: str) -> LienEntreprise:
    """The active link of ``jeton``; ``LienInvalide`` (French message) otherwise."""
    lien = (
        LienEntreprise.objects.select_related("dossier__entreprise", "contact")
        .filter(empreinte=empreinte(jeton or ""))
        .first()
    )
    if lien is None:
        raise LienInvalide(
            "Ce lien n'est pas valide. Vérifiez qu'il a été recopié en entier, ou demandez un "
            "nouveau lien à l'animateur·rice du label."
        )
    maintenant = timezone.now()
    if lien.revoque_le is not None:
        raise LienInvalide(
            f"Ce lien a été révoqué le {formats.date_fr(lien.revoque_le)}. Demandez un nouveau "
            "lien à l'animateur·rice du label."
        )
    if maintenant >= lien.expire_le:
        raise LienInvalide(
            f"Ce lien a expiré le {formats.date_fr(lien.expire_le)}. Demandez un nouveau lien à "
            "l'animateur·rice du label."
        )
    LienEntreprise.objects.filter(pk=lien.pk).update(dernier_acces=maintenant)
    return lien
