"""Network animation: events with the partner companies, invitations by e-mail (with an
``.ics``), attendance, and its Excel export."""

import tempfile
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl.styles import Font

from label.models import EvenementAnimation, ParticipationEvenement
from label.services import documents
from mife.core import excel, formats, grammaire
from mife.core.concurrence import enregistrer_versionne
from mife.core.excel import Cellule, Classeur, ColonneExcel
from mife.core.models import Parametres


@transaction.atomic
def enregistrer_evenement(
    evenement: EvenementAnimation, version_lue: int | None, user
) -> EvenementAnimation:
    evenement.full_clean()
    return enregistrer_versionne(evenement, version_lue or 0, user=user)


@dataclass
class BilanInvitations:
    ajoutees: int = 0
    envoyees: int = 0
    sans_adresse: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        texte = (
            f"{grammaire.pluriel(self.ajoutees, 'entreprise ajoutée', 'entreprises ajoutées')}, "
            f"{grammaire.pluriel(self.envoyees, 'invitation envoyée', 'invitations envoyées')}."
        )
        if self.sans_adresse:
            texte += " Sans adresse e-mail : " + ", ".join(self.sans_adresse) + "."
        return texte


def personnes_invitees(entreprise) -> list:
    """The contacts invited: the principal one, else every contact with an e-mail."""
    contacts = [c for c in entreprise.contacts.all() if c.email]
    principaux = [c for c in contacts if c.principal]
    return principaux or contacts


@transaction.atomic
def inviter(evenement: EvenementAnimation, entreprises, user, envoyer: bool = True):
    """Add companies to the event; with ``envoyer``, e-mail their contacts (event to come)."""
    evenement = EvenementAnimation.objects.select_for_update().get(pk=evenement.pk)
    entreprises = list(entreprises)
    if not entreprises:
        raise ValidationError({"entreprises": "Choisissez au moins une entreprise."})
    if envoyer and evenement.date <= timezone.now():
        raise ValidationError(
            f"L'événement du {formats.date_fr(evenement.date)} est passé : aucune invitation "
            "n'a été envoyée (ajoutez les entreprises présentes sans envoyer d'invitation)."
        )
    bilan = BilanInvitations()
    maintenant = timezone.now()
    ics = documents.ics_evenement(evenement) if envoyer else b""
    nom_structure = Parametres.get().nom_structure
    for entreprise in entreprises:
        participation, creee = ParticipationEvenement.objects.get_or_create(
            evenement=evenement, entreprise=entreprise
        )
        bilan.ajoutees += int(creee)
        if not envoyer:
            continue
        contacts = personnes_invitees(entreprise)
        adresses = [c.email for c in contacts] or ([entreprise.email] if entreprise.email else [])
        if not adresses:
            bilan.sans_adresse.append(str(entreprise))
            continue
        texte = render_to_string(
            "label/email_invitation.txt",
            {
                "evenement": evenement,
                "entreprise": entreprise,
                "nom_structure": nom_structure,
                "animateur": user,
            },
        )
        sujet, _, corps = texte.strip().partition("\n")
        message = EmailMessage(
            sujet.strip(), corps.strip() + "\n", settings.DEFAULT_FROM_EMAIL, adresses
        )
        message.attach("invitation.ics", ics, "text/calendar; method=REQUEST; charset=utf-8")
        message.send(fail_silently=False)
        participation.invitee_le = maintenant
        participation.save(update_fields=["invitee_le"])
        participation.contacts.add(*contacts)
        bilan.envoyees += 1
    evenement.modifie_par = user
    evenement.save(update_fields=["modifie_par", "modifie_le"])
    return bilan


@transaction.atomic
def enregistrer_presences(
    evenement: EvenementAnimation, presences: dict[int, tuple[bool | None, int | None]], user
) -> None:
    """``presences``: participation pk → (present, number of people)."""
    if evenement.date > timezone.now():
        raise ValidationError(
            f"L'événement du {formats.date_fr(evenement.date)} n'a pas encore eu lieu : la "
            "présence se note le jour même."
        )
    participations = {p.pk: p for p in evenement.participations.select_related("entreprise")}
    erreurs = []
    for pk, (present, nombre) in presences.items():
        participation = participations.get(pk)
        if participation is None:
            continue
        if nombre is not None and nombre < 0:
            erreurs.append(f"{participation.entreprise} : nombre de personnes négatif.")
        if present and not nombre:
            erreurs.append(
                f"{participation.entreprise} : indiquez le nombre de personnes présentes."
            )
    if erreurs:
        raise ValidationError(erreurs)
    for pk, (present, nombre) in presences.items():
        participation = participations.get(pk)
        if participation is None:
            continue
        participation.present = present
        participation.nombre_personnes = nombre if present else 0
        participation.save(update_fields=["present", "nombre_personnes"])
    evenement.modifie_par = user
    evenement.save(update_fields=["modifie_par", "modifie_le"])


def _presence(present) -> str:
    return {True: "Présente", False: "Absente"}.get(present, "Non renseignée")


def classeur_presences(evenement: EvenementAnimation):
    """The attendance sheet of an event (a temporary file, closed by the response)."""
    classeur = Classeur()
    gras = Font(bold=True)
    participations = evenement.participations.select_related("entreprise").prefetch_related(
        "contacts"
    )
    lignes = [
        [
            p.entreprise.raison_sociale,
            p.entreprise.commune,
            p.invitee_le,
            _presence(p.present),
            p.nombre_personnes if p.present else 0,
            ", ".join(f"{c} <{c.email}>" for c in p.contacts.all()),
        ]
        for p in participations.order_by("entreprise__raison_sociale")
    ]
    total = sum(ligne[4] for ligne in lignes)
    classeur.feuille("Présences").tableau(
        [
            ColonneExcel("Entreprise"),
            ColonneExcel("Commune"),
            ColonneExcel("Invitée le", excel.DATE_HEURE),
            ColonneExcel("Présence"),
            ColonneExcel("Personnes présentes", excel.ENTIER),
            ColonneExcel("Personnes invitées"),
        ],
        lignes,
        avant=[
            [Cellule(evenement.titre, font=Font(bold=True, size=13))],
            [f"{formats.date_fr(evenement.date)} — {evenement.lieu}", evenement.theme or ""],
            [],
        ],
        apres=[[Cellule("Total", font=gras), None, None, None, Cellule(total, font=gras)]],
    )
    fichier = tempfile.TemporaryFile()  # noqa: SIM115 — closed by the FileResponse
    classeur.save(fichier)
    fichier.seek(0)
    return fichier
