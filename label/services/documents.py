"""Documents of the label: the procès-verbal of a session, a dossier for the jury members,
the label certificate (PDF, WeasyPrint with the fonts shipped under ``static/fonts``), and the
``.ics`` invitations (RFC 5545, written with ``icalendar``)."""

from datetime import UTC, timedelta

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from label import selectors
from label.models import Avis, AvisMembre, Axe, PassageJury, PieceJointe
from mife.core import formats
from mife.core.models import Parametres

PRODID = "-//MIFE du Territoire de Belfort//Clauses et Label//FR"


# --- PDF ---------------------------------------------------------------------------------------


def _pdf(gabarit: str, contexte: dict) -> bytes:
    from weasyprint import HTML

    parametres = Parametres.get()
    html = render_to_string(
        gabarit,
        {
            "parametres": parametres,
            "police": finders.find("fonts/DejaVuSans.ttf"),
            "police_grasse": finders.find("fonts/DejaVuSans-Bold.ttf"),
            "logo": parametres.chemin_logo,
            "signature": parametres.chemin_signature,
            "edite_le": timezone.localdate(),
            **contexte,
        },
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def _membre(m) -> str:
    return " ".join(x for x in (m.civilite, m.prenom, m.nom) if x)


def contenu_pv(session) -> dict:
    """What the minutes say: members present and absent, quorum, dossiers in order with
    their slot, each member's opinion and the decision."""
    convocations = list(
        session.convocations.select_related("membre").order_by(
            "membre__college", "membre__nom", "membre__prenom"
        )
    )
    passages = list(
        session.passages.select_related("dossier__entreprise")
        .prefetch_related(
            Prefetch(
                "avis",
                queryset=AvisMembre.objects.select_related("membre").order_by("membre__nom"),
            )
        )
        .order_by("ordre", "pk")
    )
    lignes = []
    for p in passages:
        comptes = dict.fromkeys(Avis.values, 0)
        for a in p.avis.all():
            comptes[a.avis] += 1
        lignes.append(
            {
                "passage": p,
                "avis": [
                    (_membre(a.membre), a.get_avis_display(), a.commentaire) for a in p.avis.all()
                ],
                "resume": ", ".join(
                    f"{n} {libelle.lower()}"
                    for (code, libelle) in Avis.choices
                    if (n := comptes[code])
                ),
            }
        )
    return {
        "session": session,
        "presents": [c for c in convocations if c.present],
        "absents": [c for c in convocations if not c.present],
        "quorum": selectors.quorum(session, convocations),
        "lignes": lignes,
    }


def pv_pdf(session) -> bytes:
    return _pdf("label/pv_pdf.html", contenu_pv(session))


def dossier_pdf(dossier) -> bytes:
    actions = list(
        dossier.actions.prefetch_related(
            Prefetch("pieces", queryset=PieceJointe.objects.order_by("libelle"))
        ).order_by("axe", "intitule", "pk")
    )
    axes = [
        {"libelle": libelle, "actions": [a for a in actions if a.axe == code]}
        for code, libelle in Axe.choices
    ]
    return _pdf(
        "label/dossier_pdf.html",
        {
            "dossier": dossier,
            "axes": axes,
            "pieces_generales": dossier.pieces.filter(action=None).order_by("libelle"),
            "completude": selectors.completude(dossier, actions),
            "diagnostic": dossier.diagnostic_eligibilite,
        },
    )


def url_verification_label(code: str) -> str:
    return Parametres.get().lien_public(reverse("label:verifier", args=[code]))


def certificat_pdf(label) -> bytes:
    lien = url_verification_label(label.code_verification)
    qr = segno.make(
        lien if lien.startswith("http") else f"https://verifier.invalid{lien}", error="m"
    )
    return _pdf(
        "label/certificat_pdf.html",
        {
            "fiche": selectors.fiche_annuaire(label),
            "lien": lien,
            "qr_svg": qr.svg_inline(scale=3, dark="#0b3d6b"),
        },
    )


# --- .ics invitations --------------------------------------------------------------------------


def _calendrier() -> Calendar:
    calendrier = Calendar()
    calendrier.add("prodid", PRODID)
    calendrier.add("version", "2.0")
    calendrier.add("method", "REQUEST")
    calendrier.add("calscale", "GREGORIAN")
    return calendrier


def _evenement(uid: str, debut, fin, titre: str, lieu: str, description: str) -> Event:
    evenement = Event()
    evenement.add("uid", f"{uid}@clauses.mife90.fr")
    evenement.add("dtstamp", timezone.now().astimezone(UTC))
    evenement.add("dtstart", debut.astimezone(UTC))
    evenement.add("dtend", fin.astimezone(UTC))
    evenement.add("summary", titre)
    evenement.add("location", lieu)
    evenement.add("description", description)
    organisateur = vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL}")
    organisateur.params["cn"] = vText(Parametres.get().nom_structure)
    evenement["organizer"] = organisateur
    evenement.add("status", "CONFIRMED")
    evenement.add("sequence", 0)
    return evenement


def ordre_du_jour(passages) -> str:
    return "\n".join(
        f"{timezone.localtime(p.debut):%H:%M}–{timezone.localtime(p.fin):%H:%M} : "
        f"{p.dossier.entreprise.raison_sociale}"
        if p.debut
        else f"{p.ordre}. {p.dossier.entreprise.raison_sociale}"
        for p in passages
    )


def fin_session(session, passages):
    fins = [p.fin for p in passages if p.debut]
    return max(fins) if fins else session.date + timedelta(hours=2)


def ics_session(session, passages: list[PassageJury]) -> bytes:
    calendrier = _calendrier()
    calendrier.add_component(
        _evenement(
            f"jury-{session.pk}",
            session.date,
            fin_session(session, passages),
            f"Jury du label Empl'itudes — {formats.date_fr(session.date)}",
            session.lieu,
            "Ordre du jour :\n" + (ordre_du_jour(passages) or "à venir"),
        )
    )
    return calendrier.to_ical()


def ics_passage(passage: PassageJury) -> bytes:
    session = passage.session
    debut = passage.debut or session.date
    calendrier = _calendrier()
    calendrier.add_component(
        _evenement(
            f"jury-{session.pk}-passage-{passage.pk}",
            debut,
            debut + timedelta(minutes=passage.duree),
            f"Présentation de votre dossier Empl'itudes au jury — {passage.dossier.entreprise}",
            session.lieu,
            f"Passage n° {passage.ordre} devant le jury du label Empl'itudes "
            f"({timezone.localtime(debut):%H:%M}, {passage.duree} minutes).",
        )
    )
    return calendrier.to_ical()


def ics_evenement(evenement) -> bytes:
    calendrier = _calendrier()
    calendrier.add_component(
        _evenement(
            f"evenement-{evenement.pk}",
            evenement.date,
            evenement.date + timedelta(hours=2),
            evenement.titre,
            evenement.lieu,
            "\n".join(x for x in (evenement.theme, evenement.description) if x),
        )
    )
    return calendrier.to_ical()
