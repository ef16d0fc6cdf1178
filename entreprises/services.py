"""Write-side rules of the companies area: a company and its contacts are saved together,
under the company's version (optimistic locking). Views call these; nothing else saves them."""

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from stdnum.fr import siret as stdnum_siret

from entreprises.models import Contact, Entreprise, TypeIdentifiant
from mife.core.concurrence import enregistrer_versionne

FORMAT_NAF = re.compile(r"^\d{4}[A-Z]$")
MESSAGE_SIRET = "SIRET invalide : 14 chiffres attendus, avec une clé de contrôle correcte."
MESSAGE_NAF = "Code NAF invalide : 4 chiffres suivis d'une lettre attendus (ex. : 4399C)."
MESSAGE_UN_PRINCIPAL = "Un seul contact peut être le contact principal : décochez les autres."
MESSAGE_RELANCES_SANS_EMAIL = (
    "Un contact qui reçoit les relances d'heures doit avoir une adresse e-mail."
)


def normaliser_identifiant(type_identifiant: str, valeur: str) -> str:
    """Without spaces or dots (a SIRET is often typed « 123 456 789 00012 »)."""
    valeur = re.sub(r"[\s.]", "", valeur or "")
    return valeur if type_identifiant == TypeIdentifiant.SIRET else valeur.upper()


def valider_siret(valeur: str) -> str:
    try:
        return stdnum_siret.validate(valeur)
    except Exception:
        raise ValidationError(MESSAGE_SIRET, code="siret") from None


def siren(siret: str) -> str:
    """The SIREN (company) part of a SIRET (establishment): its first 9 digits."""
    return siret[:9] if len(siret) == 14 else ""


def normaliser_code_naf(valeur: str) -> str:
    """``43.99C`` or ``4399 c`` → ``4399C``; empty stays empty."""
    code = re.sub(r"[\s.]", "", valeur or "").upper()
    if code and not FORMAT_NAF.match(code):
        raise ValidationError(MESSAGE_NAF, code="naf")
    return code


def doublon(entreprise: Entreprise) -> Entreprise | None:
    """Another company with the same identifier, if any."""
    return (
        Entreprise.objects.filter(
            type_identifiant=entreprise.type_identifiant, identifiant=entreprise.identifiant
        )
        .exclude(pk=entreprise.pk)
        .first()
    )


def message_doublon(existante: Entreprise) -> str:
    libelle = TypeIdentifiant(existante.type_identifiant).label
    return (
        f"Une entreprise porte déjà ce {libelle} : « {existante} ». Ouvrez sa fiche plutôt que "
        "d'en créer une seconde."
    )


@dataclass
class ContactsModifies:
    """What a contacts form changed: contacts to save (new or changed) and to delete."""

    a_enregistrer: list[Contact] = field(default_factory=list)
    a_supprimer: list[Contact] = field(default_factory=list)


def _erreurs_contacts(entreprise: Entreprise, contacts: ContactsModifies) -> list[str]:
    retires = {c.pk for c in contacts.a_supprimer if c.pk}
    modifies = {c.pk for c in contacts.a_enregistrer if c.pk}
    inchanges = []
    if entreprise.pk:
        inchanges = list(
            Contact.objects.filter(entreprise=entreprise).exclude(pk__in=retires | modifies)
        )
    apres = inchanges + list(contacts.a_enregistrer)
    erreurs = []
    if sum(1 for c in apres if c.principal) > 1:
        erreurs.append(MESSAGE_UN_PRINCIPAL)
    for contact in contacts.a_enregistrer:
        if contact.destinataire_relances and not contact.email:
            erreurs.append(f"{contact} : {MESSAGE_RELANCES_SANS_EMAIL}")
        try:
            contact.full_clean(exclude=["entreprise"], validate_constraints=False)
        except ValidationError as erreur:
            erreurs += [f"{contact} : {m}" for m in erreur.messages]
    return erreurs


def _enregistrer_contacts(entreprise: Entreprise, contacts: ContactsModifies, user) -> None:
    for contact in contacts.a_supprimer:
        if contact.pk:
            contact._history_user = user
            contact.delete()
    # The former principal contact loses its flag before the new one gets it (unique index).
    for contact in sorted(contacts.a_enregistrer, key=lambda c: c.principal):
        contact.entreprise = entreprise
        contact.modifie_par = user
        contact._history_user = user
        if contact.pk:
            contact.version += 1
        contact.save()


def enregistrer_entreprise(
    entreprise: Entreprise, version_lue: int | None, user, contacts: ContactsModifies | None = None
) -> Entreprise:
    """Create or edit a company (and, if given, its contacts) in one transaction.

    Refuses an invalid SIRET or NAF code, an identifier already used by another company and
    a stale version (``ConflitDeVersion``, who/when); nothing is saved then.
    """
    entreprise.identifiant = normaliser_identifiant(
        entreprise.type_identifiant, entreprise.identifiant
    )
    erreurs: dict[str, list[str]] = {}
    try:
        entreprise.code_naf = normaliser_code_naf(entreprise.code_naf)
    except ValidationError as erreur:
        erreurs["code_naf"] = erreur.messages
    try:
        entreprise.full_clean(validate_constraints=False)
    except ValidationError as erreur:
        for champ, messages in erreur.message_dict.items():
            erreurs.setdefault(champ, []).extend(
                m for m in messages if m not in erreurs.get(champ, [])
            )
    if "identifiant" not in erreurs and (existante := doublon(entreprise)):
        erreurs["identifiant"] = [message_doublon(existante)]
    if contacts is not None and (messages := _erreurs_contacts(entreprise, contacts)):
        erreurs["contacts"] = messages
    if erreurs:
        raise ValidationError(erreurs)
    entreprise._history_user = user  # also outside a request (history: who)
    with transaction.atomic():
        try:
            with transaction.atomic():
                enregistrer_versionne(entreprise, version_lue or 0, user=user)
        except IntegrityError:
            # Two people creating the same company at the same moment: the index decides.
            if existante := doublon(entreprise):
                raise ValidationError({"identifiant": message_doublon(existante)}) from None
            raise
        if contacts is not None:
            _enregistrer_contacts(entreprise, contacts, user)
    return entreprise


def enregistrer_contacts(
    entreprise: Entreprise, version_lue: int | None, user, contacts: ContactsModifies
) -> Entreprise:
    """Edit only the contacts of a company (still under the company's version)."""
    if messages := _erreurs_contacts(entreprise, contacts):
        raise ValidationError(messages)
    entreprise._history_user = user
    with transaction.atomic():
        enregistrer_versionne(entreprise, version_lue or 0, user=user)
        _enregistrer_contacts(entreprise, contacts, user)
    return entreprise
