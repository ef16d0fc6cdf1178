"""Jury sessions: members by college, the agenda with a time slot per company, convocations
(e-mail with an ``.ics`` invitation), attendance and quorum, each member's opinion, the
decision per dossier, closing with the minutes (PV).

Rules: a dossier goes on the agenda only when « recevable » (the workflow's table says it);
convocations are sent only for a session to come; attendance, opinions and decisions need the
session to have taken place; a decision needs the quorum.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone

from label import selectors
from label.models import (
    Avis,
    AvisMembre,
    ConvocationJury,
    Decision,
    DossierLabel,
    MembreJury,
    PassageJury,
    SessionJury,
    StatutSession,
)
from label.services import documents, labels, workflow
from mife.core import formats, grammaire
from mife.core.concurrence import ConflitDeVersion, enregistrer_versionne
from mife.core.models import Parametres

CODE_DECISION = {
    Decision.LABELLISE: "labelliser",
    Decision.AJOURNE: "ajourner",
    Decision.REFUSE: "refuser",
}


def _verrouiller(session: SessionJury) -> SessionJury:
    return (
        SessionJury.objects.select_for_update(of=("self",))
        .select_related("modifie_par")
        .get(pk=session.pk)
    )


def _exiger_planifiee(session: SessionJury, quoi: str) -> None:
    if session.statut != StatutSession.PLANIFIEE:
        raise ValidationError(
            f"La session est « {session.get_statut_display().lower()} » : {quoi} n'est plus "
            "possible."
        )


def _exiger_tenue(session: SessionJury, quoi: str) -> None:
    if not selectors.session_tenue(session):
        raise ValidationError(
            f"{quoi} : la session doit d'abord avoir eu lieu (marquez-la « tenue » le jour même)."
        )


# --- the session -------------------------------------------------------------------------------


@transaction.atomic
def enregistrer_session(session: SessionJury, version_lue: int | None, user) -> SessionJury:
    """Create or update a session; moving its date moves the agenda's slots with it."""
    session.full_clean()
    if session.pk is None:
        return enregistrer_versionne(session, 0, user=user)
    avant = _verrouiller(session)
    if version_lue is not None and avant.version != version_lue:
        raise ConflitDeVersion(avant)
    if avant.statut in (StatutSession.CLOTUREE, StatutSession.ANNULEE):
        raise ValidationError(
            f"La session est « {avant.get_statut_display().lower()} » : elle ne se modifie plus."
        )
    if avant.statut == StatutSession.TENUE and session.date != avant.date:
        raise ValidationError({"date": "La session a eu lieu : sa date ne change plus."})
    decalage = session.date - avant.date
    enregistrer_versionne(session, avant.version, user=user)
    if decalage:
        for passage in session.passages.exclude(debut=None):
            passage.debut += decalage
            passage.save(update_fields=["debut"])
    return session


@transaction.atomic
def definir_membres(session: SessionJury, membres, user) -> SessionJury:
    """The convened members: add the new ones, remove the others (unless they gave an
    opinion)."""
    session = _verrouiller(session)
    if session.statut in (StatutSession.CLOTUREE, StatutSession.ANNULEE):
        _exiger_planifiee(session, "changer les membres")
    voulus = {m.pk for m in membres}
    actuels = {c.membre_id: c for c in session.convocations.all()}
    retires = [c for pk, c in actuels.items() if pk not in voulus]
    avec_avis = set(
        AvisMembre.objects.filter(
            passage__session=session, membre_id__in=[c.membre_id for c in retires]
        ).values_list("membre_id", flat=True)
    )
    if avec_avis:
        noms = ", ".join(str(c.membre) for c in retires if c.membre_id in avec_avis)
        raise ValidationError(f"{noms} a déjà donné un avis : ce membre reste dans la session.")
    for convocation in retires:
        convocation.delete()
    for membre in membres:
        if membre.pk not in actuels:
            ConvocationJury.objects.create(session=session, membre=membre)
    session.modifie_par = user
    session.save(update_fields=["modifie_par", "modifie_le"])
    return session


# --- the agenda --------------------------------------------------------------------------------


def prochain_creneau(session: SessionJury):
    """The start of the next slot: after the last one, or the session's start."""
    fins = [p.fin for p in session.passages.exclude(debut=None)]
    return max(fins) if fins else session.date


@transaction.atomic
def inscrire(session: SessionJury, dossier: DossierLabel, user) -> PassageJury:
    """Put a « recevable » dossier on the agenda, in the next time slot."""
    session = _verrouiller(session)
    _exiger_planifiee(session, "inscrire un dossier")
    if PassageJury.objects.filter(session=session, dossier=dossier).exists():
        raise ValidationError(f"{dossier} est déjà à l'ordre du jour de cette session.")
    workflow.changer_statut(dossier, "inscrire", user, f"Inscrit à la session : {session}")
    ordre = (session.passages.aggregate(m=Max("ordre"))["m"] or 0) + 1
    return PassageJury.objects.create(
        session=session,
        dossier=dossier,
        ordre=ordre,
        debut=prochain_creneau(session),
        duree=session.duree_passage,
    )


@transaction.atomic
def retirer(passage: PassageJury, user) -> None:
    session = _verrouiller(passage.session)
    _exiger_planifiee(session, "retirer un dossier")
    passage = PassageJury.objects.select_related("dossier").get(pk=passage.pk)
    if passage.decision:
        raise ValidationError("Ce dossier a déjà reçu une décision : il reste à l'ordre du jour.")
    workflow.changer_statut(
        passage.dossier, "retirer", user, f"Retiré de l'ordre du jour de la session : {session}"
    )
    passage.delete()
    for rang, p in enumerate(session.passages.order_by("ordre", "pk"), start=1):
        if p.ordre != rang:
            p.ordre = rang
            p.save(update_fields=["ordre"])


@transaction.atomic
def modifier_creneau(passage: PassageJury, ordre: int, debut, duree: int, user) -> PassageJury:
    session = _verrouiller(passage.session)
    _exiger_planifiee(session, "changer un créneau")
    erreurs: dict[str, list[str]] = {}
    if debut is None:
        erreurs["debut"] = ["Indiquez l'heure de passage."]
    else:
        if debut < session.date:
            erreurs["debut"] = [
                f"Le passage ne peut pas commencer avant la session "
                f"({formats.date_fr(session.date)})."
            ]
        elif timezone.localtime(debut).date() != timezone.localtime(session.date).date():
            erreurs["debut"] = ["Le passage a lieu le jour de la session."]
    if duree is None or duree < 5:
        erreurs["duree"] = ["Un passage dure au moins 5 minutes."]
    if not erreurs:
        fin = debut + timedelta(minutes=duree)
        for autre in session.passages.exclude(pk=passage.pk).exclude(debut=None):
            if debut < autre.fin and autre.debut < fin:
                erreurs["debut"] = [
                    f"Ce créneau chevauche celui de {autre.dossier.entreprise} "
                    f"({timezone.localtime(autre.debut):%H:%M}–"
                    f"{timezone.localtime(autre.fin):%H:%M})."
                ]
                break
    if ordre is None or ordre < 1:
        erreurs["ordre"] = ["L'ordre de passage commence à 1."]
    if erreurs:
        raise ValidationError(erreurs)
    passage.ordre, passage.debut, passage.duree = ordre, debut, duree
    passage.save(update_fields=["ordre", "debut", "duree"])
    return passage


# --- convocations ------------------------------------------------------------------------------


@dataclass
class BilanConvocations:
    membres: int = 0
    entreprises: int = 0
    sans_adresse: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        texte = (
            f"Convocations envoyées : {grammaire.pluriel(self.membres, 'membre')} du jury, "
            f"{grammaire.pluriel(self.entreprises, 'entreprise')}."
        )
        if self.sans_adresse:
            texte += " Sans adresse e-mail : " + ", ".join(self.sans_adresse) + "."
        return texte


def adresses_entreprise(entreprise) -> list[str]:
    """The company's principal contact, else its contacts, else its own e-mail."""
    contacts = [c for c in entreprise.contacts.all() if c.email]
    principaux = [c.email for c in contacts if c.principal]
    choisis = principaux or [c.email for c in contacts][:1]
    if not choisis and entreprise.email:
        choisis = [entreprise.email]
    return choisis


def _passages(session: SessionJury) -> list[PassageJury]:
    return list(
        session.passages.select_related("dossier__entreprise")
        .prefetch_related("dossier__entreprise__contacts")
        .order_by("ordre", "pk")
    )


@transaction.atomic
def envoyer_convocations(session: SessionJury, user) -> BilanConvocations:
    """E-mail members and companies with the agenda and an ``.ics`` invitation."""
    session = _verrouiller(session)
    _exiger_planifiee(session, "convoquer")
    if session.date <= timezone.now():
        raise ValidationError(
            f"La session du {formats.date_fr(session.date)} est passée : aucune convocation "
            "n'a été envoyée. Corrigez sa date si elle a été reportée."
        )
    convocations = list(session.convocations.select_related("membre").order_by("membre__nom"))
    passages = _passages(session)
    if not convocations:
        raise ValidationError("Aucun membre n'est convoqué : choisissez d'abord les membres.")
    parametres = Parametres.get()
    contexte = {
        "session": session,
        "passages": passages,
        "nom_structure": parametres.nom_structure,
        "animateur": user,
    }
    maintenant = timezone.now()
    bilan = BilanConvocations()
    ics_session = documents.ics_session(session, passages)
    for convocation in convocations:
        membre = convocation.membre
        if not membre.email:
            bilan.sans_adresse.append(str(membre))
            continue
        _envoyer(
            "label/email_convocation_membre.txt",
            {**contexte, "membre": membre},
            [membre.email],
            ics_session,
        )
        convocation.invite_le = maintenant
        convocation.save(update_fields=["invite_le"])
        bilan.membres += 1
    for passage in passages:
        adresses = adresses_entreprise(passage.dossier.entreprise)
        if not adresses:
            bilan.sans_adresse.append(str(passage.dossier.entreprise))
            continue
        _envoyer(
            "label/email_convocation_entreprise.txt",
            {**contexte, "passage": passage},
            adresses,
            documents.ics_passage(passage),
        )
        passage.convocation_envoyee_le = maintenant
        passage.save(update_fields=["convocation_envoyee_le"])
        bilan.entreprises += 1
    session.convocations_envoyees_le = maintenant
    session.modifie_par = user
    session.save(update_fields=["convocations_envoyees_le", "modifie_par", "modifie_le"])
    return bilan


def _envoyer(gabarit: str, contexte: dict, destinataires: list[str], ics: bytes) -> None:
    texte = render_to_string(gabarit, contexte)
    sujet, _, corps = texte.strip().partition("\n")
    message = EmailMessage(
        sujet.strip(), corps.strip() + "\n", settings.DEFAULT_FROM_EMAIL, destinataires
    )
    message.attach("invitation.ics", ics, "text/calendar; method=REQUEST; charset=utf-8")
    message.send(fail_silently=False)


# --- the day of the session --------------------------------------------------------------------


@transaction.atomic
def enregistrer_presences(session: SessionJury, presences: dict[int, bool | None], user) -> None:
    """``presences``: convocation pk → present (True), absent (False), unknown (None)."""
    session = _verrouiller(session)
    if session.statut not in (StatutSession.PLANIFIEE, StatutSession.TENUE):
        _exiger_planifiee(session, "noter les présences")
    if session.date > timezone.now():
        raise ValidationError(
            f"La session du {formats.date_fr(session.date)} n'a pas encore eu lieu : les "
            "présences se notent le jour même."
        )
    for convocation in session.convocations.all():
        if convocation.pk in presences and convocation.present != presences[convocation.pk]:
            if (
                presences[convocation.pk] is False
                and convocation.membre.avis.filter(passage__session=session).exists()
            ):
                raise ValidationError(
                    f"{convocation.membre} a donné un avis : il ne peut pas être noté absent."
                )
            convocation.present = presences[convocation.pk]
            convocation.save(update_fields=["present"])


@transaction.atomic
def marquer_tenue(session: SessionJury, user) -> SessionJury:
    session = _verrouiller(session)
    _exiger_planifiee(session, "marquer la session comme tenue")
    if session.date > timezone.now():
        raise ValidationError(
            f"La session est prévue le {formats.date_fr(session.date)} : elle ne peut être "
            "marquée « tenue » qu'une fois commencée."
        )
    session.statut = StatutSession.TENUE
    return enregistrer_versionne(session, session.version, user=user)


@transaction.atomic
def enregistrer_avis(
    passage: PassageJury, avis_par_membre: dict[int, tuple[str, str]], user
) -> int:
    """Each present member's opinion on a dossier: ``{membre pk: (avis, commentaire)}``;
    an empty opinion removes it. Returns the number of opinions recorded."""
    session = _verrouiller(passage.session)
    _exiger_tenue(session, "Enregistrer les avis")
    passage = PassageJury.objects.get(pk=passage.pk)
    if passage.decision:
        raise ValidationError("La décision est prise : les avis ne changent plus.")
    presents = {
        c.membre_id: c.membre for c in session.convocations.select_related("membre") if c.present
    }
    erreurs = []
    for membre_pk, (avis, _) in avis_par_membre.items():
        if avis and membre_pk not in presents:
            erreurs.append("Seuls les membres présents donnent un avis.")
        if avis and avis not in Avis.values:
            erreurs.append(f"Avis inconnu : « {avis} ».")
    if erreurs:
        raise ValidationError(sorted(set(erreurs)))
    nombre = 0
    for membre_pk, (avis, commentaire) in avis_par_membre.items():
        if not avis:
            AvisMembre.objects.filter(passage=passage, membre_id=membre_pk).delete()
            continue
        AvisMembre.objects.update_or_create(
            passage=passage,
            membre=presents[membre_pk],
            defaults={"avis": avis, "commentaire": commentaire.strip()},
        )
        nombre += 1
    return nombre


@transaction.atomic
def decider(passage: PassageJury, decision: str, motivation: str, user) -> PassageJury:
    """The jury's decision on a dossier: its status follows (table of the workflow); a label
    is awarded for 3 years on « labellisé »."""
    session = _verrouiller(passage.session)
    _exiger_tenue(session, "Enregistrer la décision")
    passage = PassageJury.objects.select_related("dossier").get(pk=passage.pk)
    if passage.decision:
        raise ValidationError(
            f"La décision « {passage.get_decision_display()} » est déjà enregistrée."
        )
    if decision not in CODE_DECISION:
        raise ValidationError({"decision": "Choisissez la décision du jury."})
    quorum = selectors.quorum(session)
    if not quorum.atteint:
        raise ValidationError(f"{quorum} : la décision ne peut pas être enregistrée.")
    if decision != Decision.LABELLISE and not motivation.strip():
        raise ValidationError(
            {"motivation": "Motivez l'ajournement ou le refus : il sera transmis à l'entreprise."}
        )
    workflow.changer_statut(passage.dossier, CODE_DECISION[decision], user, motivation.strip())
    passage.decision = decision
    passage.motivation = motivation.strip()
    passage.decide_le = timezone.now()
    passage.save(update_fields=["decision", "motivation", "decide_le"])
    if decision == Decision.LABELLISE:
        labels.attribuer(passage.dossier, timezone.localtime(session.date).date(), user)
    return passage


@transaction.atomic
def cloturer(session: SessionJury, user) -> SessionJury:
    """Close a held session whose dossiers all have a decision; its PV is kept as issued."""
    session = _verrouiller(session)
    if session.statut != StatutSession.TENUE:
        raise ValidationError("Seule une session tenue peut être clôturée.")
    en_attente = [str(p.dossier) for p in session.passages.filter(decision="")]
    if en_attente:
        raise ValidationError(
            "Décision manquante pour : " + ", ".join(en_attente) + ". La session reste ouverte."
        )
    session.statut = StatutSession.CLOTUREE
    enregistrer_versionne(session, session.version, user=user)
    contenu = documents.pv_pdf(session)
    session.proces_verbal.save(
        f"pv-jury-{timezone.localtime(session.date):%Y-%m-%d}-{session.pk}.pdf",
        ContentFile(contenu),
        save=False,
    )
    SessionJury.objects.filter(pk=session.pk).update(proces_verbal=session.proces_verbal.name)
    return session


@transaction.atomic
def annuler(session: SessionJury, user) -> SessionJury:
    """Cancel a planned session: its dossiers go back to « recevable »."""
    session = _verrouiller(session)
    _exiger_planifiee(session, "annuler la session")
    for passage in session.passages.select_related("dossier"):
        workflow.changer_statut(
            passage.dossier, "retirer", user, f"Session du {formats.date_fr(session.date)} annulée"
        )
        passage.delete()
    session.statut = StatutSession.ANNULEE
    return enregistrer_versionne(session, session.version, user=user)


@transaction.atomic
def enregistrer_membre(membre: MembreJury, version_lue: int | None, user) -> MembreJury:
    membre.full_clean()
    return enregistrer_versionne(membre, version_lue or 0, user=user)


def membres_actifs():
    return MembreJury.objects.filter(actif=True).order_by("college", "nom", "prenom")
