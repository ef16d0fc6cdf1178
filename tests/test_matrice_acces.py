"""Every URL of the URL conf, as anonymous and as each role, against the committed matrix
``tests/data/matrice_acces.csv`` (docs/autorisations.md).

Each URL pattern is resolved with arguments that point at objects created here, then
requested by every profile; the answer is reduced to a word (``200``, ``403``, ``404``,
``405``, ``connexion`` = sent to the login page, ``connexion-admin`` = to the admin's,
``2fa`` = held at the second factor, ``302`` = another redirection). A view answering 405 to
GET for every profile is also requested by POST (in a transaction rolled back, so nothing
changes). A new URL without its row fails the test with the rows to add; after a deliberate
change of rights, rewrite the file with::

    MATRICE_ACCES_ECRIRE=1 DEBUG=0 .venv/bin/python -m pytest tests/test_matrice_acces.py

and read the diff before committing it.
"""

import csv
import datetime as dt
import os
from decimal import Decimal
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from heures.models import Participant
from heures.services import declarations
from label.models import (
    ActionLabel,
    DiagnosticEligibilite,
    EvenementAnimation,
    Label,
    LienEntreprise,
    MembreJury,
    PassageJury,
    PieceJointe,
)
from marches.models import RapportImport, TacheImportDecp
from mife import roles
from mife.middleware import PAGES_LIBRES
from mife.models import DemandeBilan, RapportDonneur
from tests import factories as f
from tests.outils_http import lire as lire_reponse

pytestmark = pytest.mark.django_db

FICHIER = Path(__file__).parent / "data" / "matrice_acces.csv"
PROFILS = [
    "anonyme",
    "sans_role",
    roles.FACILITATEUR,
    roles.SUIVI,
    roles.ANIMATEUR,
    roles.DIRECTION,
    roles.ADMIN,
    "admin_sans_2fa",  # the administrator between password and second factor
]
ENTETE = ["url", "methode", *PROFILS]
# Pages anyone may open without logging in.
PUBLIQUES = {
    "login",
    "verifier_attestation",
    "admin:login",
    "admin:logout",
    "admin:jsi18n",
    # The label's public directory and certificate verification, and the company's space
    # reached with its personal link (the token is checked by the view: refused here).
    "label:annuaire",
    "label:verifier",
    "label:espace",
    "label:espace_contenu",
    "label:espace_action_creer",
    "label:espace_action_modifier",
    "label:espace_action_supprimer",
    "label:espace_piece_ajouter",
    "label:espace_piece",
    "label:espace_piece_supprimer",
}
PAGES_2FA = {reverse("double_facteur"), reverse("double_facteur_verifier")}
PERSONNELLES = (
    "heures:participant",
    "heures:mission",
    "heures:declaration",
    "heures:besoin",
    "heures:proposition",
    "heures:attestation_pdf",
    "heures:generation_zip",
    "heures:generation_pdf",
    "admin:heures_participant",
)


def motifs(resolver=None, prefixe="", espace=""):
    """(key, pattern) of every URL pattern: its full name, or its route when unnamed."""
    resolver = resolver or get_resolver()
    for motif in resolver.url_patterns:
        if isinstance(motif, URLResolver):
            sous_espace = f"{espace}{motif.namespace}:" if motif.namespace else espace
            yield from motifs(motif, prefixe + str(motif.pattern), sous_espace)
        elif isinstance(motif, URLPattern):
            cle = f"{espace}{motif.name}" if motif.name else prefixe + str(motif.pattern)
            yield cle, motif


# --- the objects the URLs point at --------------------------------------------------------


JETON_INCONNU = "jeton-inconnu-de-la-matrice"


def _premier(modele) -> int:
    """The first object of ``modele`` (one of every admin model is created by _objets)."""
    objet = modele._default_manager.order_by("pk").first()
    assert objet is not None, f"Aucun objet {modele.__name__} : ajoutez-le dans _objets()."
    return objet.pk


def _objets(tmp_path):
    """One object of each kind, and the arguments of every URL that needs some."""
    lot = f.ClauseFactory(
        heures_requises=Decimal("500"),
        lot__date_debut=dt.date(2026, 1, 5),
        lot__date_fin=dt.date(2027, 6, 30),
    ).lot
    participant = f.ParticipantFactory()
    f.CritereParticipantFactory(participant=participant)
    mission = f.MissionFactory(
        participant=participant, lot=lot, date_debut=dt.date(2026, 2, 1), date_fin=None
    )
    saisie = f.UserFactory(username="saisie-matrice")
    declaration = declarations.creer(lot.titulaire, lot, dt.date(2026, 3, 1), saisie)
    declarations.enregistrer_lignes(declaration, {mission.pk: Decimal("7")}, 1, saisie)
    attestation = f.AttestationFactory(lot=lot, entreprise=lot.titulaire)
    attestation.fichier.save("a.pdf", ContentFile(b"%PDF-1.4 matrice"))
    generation = f.GenerationAttestationsFactory()
    generation.fichier_zip.save("g.zip", ContentFile(b"PK"))
    generation.fichier_pdf.save("g.pdf", ContentFile(b"%PDF-1.4 lot"))
    besoin = f.BesoinRecrutementFactory(lot=lot, entreprise=lot.titulaire)
    proposition = f.PropositionFactory(besoin=besoin, participant=participant)
    echange = f.EchangeFactory(entreprise=lot.titulaire)
    dossier = f.DossierLabelFactory()
    session = f.SessionJuryFactory()
    # Objects of the admin: one of every registered model.
    fabriques = {fabrique._meta.model: fabrique for fabrique in f.TOUTES}
    for modele in admin.site._registry:
        if modele._default_manager.exists():
            continue
        if modele in fabriques:
            fabriques[modele]()
    AccessAttempt.objects.create(username="x", ip_address="192.0.2.1", failures_since_start=1)
    AccessLog.objects.create(username="x", ip_address="192.0.2.1")
    AccessFailureLog.objects.create(username="x", ip_address="192.0.2.1", locked_out=False)
    arguments = {
        "verifier_attestation": {"code": attestation.code_verification},
        "marches:marche_detail": {"pk": lot.marche.pk},
        "marches:marche_modifier": {"pk": lot.marche.pk},
        "marches:lot_creer": {"marche_pk": lot.marche.pk},
        "marches:lot_detail": {"pk": lot.pk},
        "marches:lot_modifier": {"pk": lot.pk},
        "marches:lot_annexe": {"pk": lot.pk, "format": "docx"},  # (the PDF is slow to draw)
        "marches:operation_detail": {"pk": lot.marche.operation.pk},
        "marches:operation_modifier": {"pk": lot.marche.operation.pk},
        "marches:donneur_detail": {"pk": lot.marche.donneur_ordre.pk},
        "marches:donneur_modifier": {"pk": lot.marche.donneur_ordre.pk},
        "marches:echange_creer": {"entreprise_pk": lot.titulaire.pk},
        "marches:echange_detail": {"pk": echange.pk},
        "marches:echange_modifier": {"pk": echange.pk},
        "marches:echange_action_faite": {"pk": echange.pk},
        "entreprises:detail": {"pk": lot.titulaire.pk},
        "entreprises:modifier": {"pk": lot.titulaire.pk},
        "entreprises:contacts": {"pk": lot.titulaire.pk},
        "heures:participant_detail": {"pk": participant.pk},
        "heures:participant_modifier": {"pk": participant.pk},
        "heures:participant_export": {"pk": participant.pk},
        "heures:participant_export_json": {"pk": participant.pk},
        "heures:mission_detail": {"pk": mission.pk},
        "heures:mission_modifier": {"pk": mission.pk},
        "heures:declaration_detail": {"pk": declaration.pk},
        "heures:declaration_saisie": {"pk": declaration.pk},
        "heures:declaration_ligne": {"pk": declaration.pk, "mission_pk": mission.pk},
        "heures:declaration_action": {"pk": declaration.pk, "action": "soumettre"},
        "heures:attestation_pdf": {"pk": attestation.pk},
        "heures:attestation_realisation": {"lot_pk": lot.pk},
        "heures:besoin_detail": {"pk": besoin.pk},
        "heures:besoin_modifier": {"pk": besoin.pk},
        "heures:besoin_statut": {"pk": besoin.pk},
        "heures:besoin_proposer": {"pk": besoin.pk},
        "heures:proposition_statut": {"pk": proposition.pk},
        "heures:proposition_modifier": {"pk": proposition.pk},
        "heures:proposition_mission": {"proposition_pk": proposition.pk},
        "heures:generation_detail": {"pk": generation.pk},
        "heures:generation_progression": {"pk": generation.pk},
        "heures:generation_zip": {"pk": generation.pk},
        "heures:generation_pdf": {"pk": generation.pk},
        "label:dossier_detail": {"pk": dossier.pk},
        "label:session_detail": {"pk": session.pk},
        # Bilan, indicators and reports to buyers (mife)
        "indicateurs_graphique": {"nom": "mois"},
        "indicateurs_ventilation": {"nom": "entreprises"},
        # Search-as-you-type choices: the most guarded family (people)
        "choix": {"famille": "participants"},
        "rapport_fichier": {"pk": _premier(RapportDonneur), "format": "pdf"},
        "bilan_detail": {"pk": _premier(DemandeBilan)},
        "bilan_progression": {"pk": _premier(DemandeBilan)},
        "bilan_fichier": {"pk": _premier(DemandeBilan)},
        # DECP watch and qualification (marches)
        "marches:import_decp_tache": {"pk": _premier(TacheImportDecp)},
        "marches:import_decp_progression": {"pk": _premier(TacheImportDecp)},
        "marches:rapport_import": {"pk": _premier(RapportImport)},
        "marches:marche_qualifier": {"pk": lot.marche.pk},
        # Label: a company link's token is never stored in clear, so an unknown one is used
        # (refused to everyone, as a revoked or expired one).
        "label:diagnostic_detail": {"pk": _premier(DiagnosticEligibilite)},
        "label:dossier_ouvrir": {"pk": _premier(DiagnosticEligibilite)},
        "label:dossier_contenu": {"pk": dossier.pk},
        "label:dossier_transition": {"pk": dossier.pk},
        "label:dossier_pdf": {"pk": dossier.pk},
        "label:action_creer": {"dossier_pk": dossier.pk},
        "label:action_modifier": {"pk": _premier(ActionLabel)},
        "label:action_supprimer": {"pk": _premier(ActionLabel)},
        "label:piece_ajouter": {"pk": dossier.pk},
        "label:piece_telecharger": {"pk": _premier(PieceJointe)},
        "label:piece_supprimer": {"pk": _premier(PieceJointe)},
        "label:lien_creer": {"pk": dossier.pk},
        "label:lien_revoquer": {"pk": _premier(LienEntreprise)},
        "label:espace": {"jeton": JETON_INCONNU},
        "label:espace_contenu": {"jeton": JETON_INCONNU},
        "label:espace_action_creer": {"jeton": JETON_INCONNU},
        "label:espace_action_modifier": {"jeton": JETON_INCONNU, "pk": _premier(ActionLabel)},
        "label:espace_action_supprimer": {"jeton": JETON_INCONNU, "pk": _premier(ActionLabel)},
        "label:espace_piece_ajouter": {"jeton": JETON_INCONNU},
        "label:espace_piece": {"jeton": JETON_INCONNU, "pk": _premier(PieceJointe)},
        "label:espace_piece_supprimer": {"jeton": JETON_INCONNU, "pk": _premier(PieceJointe)},
        "label:session_modifier": {"pk": session.pk},
        "label:session_membres": {"pk": session.pk},
        "label:session_inscrire": {"pk": session.pk},
        "label:session_convocations": {"pk": session.pk},
        "label:session_presences": {"pk": session.pk},
        "label:session_tenue": {"pk": session.pk},
        "label:session_cloturer": {"pk": session.pk},
        "label:session_annuler": {"pk": session.pk},
        "label:session_pv": {"pk": session.pk},
        "label:passage_creneau": {"pk": _premier(PassageJury)},
        "label:passage_retirer": {"pk": _premier(PassageJury)},
        "label:passage_avis": {"pk": _premier(PassageJury)},
        "label:passage_decision": {"pk": _premier(PassageJury)},
        "label:label_detail": {"pk": _premier(Label)},
        "label:label_dates": {"pk": _premier(Label)},
        "label:label_renouveler": {"pk": _premier(Label)},
        "label:label_certificat": {"pk": _premier(Label)},
        "label:verifier": {"code": JETON_INCONNU},
        "label:evenement_detail": {"pk": _premier(EvenementAnimation)},
        "label:evenement_modifier": {"pk": _premier(EvenementAnimation)},
        "label:evenement_inviter": {"pk": _premier(EvenementAnimation)},
        "label:evenement_presences": {"pk": _premier(EvenementAnimation)},
        "label:evenement_presences_xlsx": {"pk": _premier(EvenementAnimation)},
        "label:membre_modifier": {"pk": _premier(MembreJury)},
        "admin:app_list": {"app_label": "heures"},
        "admin:view_on_site": {
            "content_type_id": ContentType.objects.get_for_model(Participant).pk,
            "object_id": participant.pk,
        },
        "admin:auth_user_password_change": {"id": saisie.pk},
    }
    return arguments


def _arguments_admin(cle: str, motif: URLPattern, positionnels: bool = False):
    """Arguments of an admin URL of a model: its first object (and a history row)."""
    for modele in admin.site._registry:
        prefixe = f"admin:{modele._meta.app_label}_{modele._meta.model_name}_"
        route = f"admin/{modele._meta.app_label}/{modele._meta.model_name}/"
        if not (cle.startswith(prefixe) or cle.startswith(route)):
            continue
        objet = modele._default_manager.order_by("pk").first()
        pk = str(objet.pk) if objet is not None else "0"
        arguments = {"object_id": pk}
        if hasattr(modele, "history") and objet is not None:
            if not objet.history.exists():  # loaded by a data migration: no version yet
                objet.save()
            arguments["history_id"] = objet.history.order_by("history_id").first().history_id
        if positionnels:
            return [arguments["object_id"], arguments.get("history_id", 0)]
        return {k: v for k, v in arguments.items() if k in motif.pattern.converters}
    return None


def _url(cle: str, motif: URLPattern, arguments: dict) -> str:
    noms = list(motif.pattern.converters) or list(motif.pattern.regex.groupindex)
    if not noms and motif.pattern.regex.groups:
        # re_path with positional groups (django-simple-history's admin: object, version).
        valeurs = _arguments_admin(cle, motif, positionnels=True)
        assert valeurs is not None, f"L'URL « {cle} » attend des arguments : voir _objets()."
        return reverse(cle, args=valeurs)
    if not noms:
        return reverse(cle) if ":" in cle or motif.name else "/" + cle
    if cle in arguments:
        valeurs = arguments[cle]
    elif cle.startswith("admin/(?P<url>"):
        return "/admin/inexistant/"
    else:
        valeurs = _arguments_admin(cle, motif)
        assert valeurs is not None, (
            f"L'URL « {cle} » attend des arguments ({', '.join(noms)}) : ajoutez-les dans "
            "_objets() de tests/test_matrice_acces.py."
        )
    if motif.name:
        return reverse(cle, kwargs=valeurs)
    route = "/" + cle
    for nom, valeur in valeurs.items():
        route = route.replace(f"<path:{nom}>", str(valeur)).replace(f"<int:{nom}>", str(valeur))
    return route


# --- profiles and answers --------------------------------------------------------------------


def _clients(make_user) -> dict[str, Client]:
    clients = {"anonyme": Client(raise_request_exception=False)}
    for profil in PROFILS[1:]:
        role = None if profil == "sans_role" else profil.replace("_sans_2fa", "")
        user = make_user(role, username=f"matrice-{profil}", is_staff=role == roles.ADMIN)
        client = Client(raise_request_exception=False)
        if profil == "admin_sans_2fa":
            client.force_login_sans_otp(user)
        else:
            client.force_login(user)
        clients[profil] = client
    return clients


def _mot(reponse) -> str:
    if reponse.status_code in (301, 302):
        cible = reponse["Location"].split("?")[0]
        if cible == reverse("login"):
            return "connexion"
        if cible == reverse("admin:login"):
            return "connexion-admin"
        if cible in PAGES_2FA:
            return "2fa"
        return "302"
    if reponse.status_code == 204 and reponse.has_header("HX-Redirect"):
        return "2fa"
    return str(reponse.status_code)


def _demander(client: Client, methode: str, url: str) -> str:
    """One request, in a transaction rolled back, cookies restored: nothing changes."""
    cookies = SimpleCookie()
    cookies.load(client.cookies.output(header="", sep=";"))
    with transaction.atomic():
        reponse = getattr(client, methode)(url)
        mot = _mot(reponse)
        lire_reponse(reponse)
        transaction.set_rollback(True)
    client.cookies = cookies
    return mot


def observer(make_user, tmp_path) -> dict[tuple[str, str], list[str]]:
    arguments = _objets(tmp_path)
    clients = _clients(make_user)
    matrice = {}
    for cle, motif in sorted(motifs(), key=lambda x: x[0]):
        url = _url(cle, motif, arguments)
        ligne = [_demander(clients[p], "get", url) for p in PROFILS]
        matrice[(cle, "GET")] = ligne
        connectes = ligne[1:-1]
        if all(mot == "405" for mot in connectes):
            matrice[(cle, "POST")] = [_demander(clients[p], "post", url) for p in PROFILS]
    return matrice


def lire() -> dict[tuple[str, str], list[str]]:
    with FICHIER.open(encoding="utf-8", newline="") as fichier:
        lignes = list(csv.reader(fichier, delimiter=";"))
    assert lignes[0] == ENTETE, f"En-tête attendu : {';'.join(ENTETE)}"
    return {(ligne[0], ligne[1]): ligne[2:] for ligne in lignes[1:]}


def ecrire(matrice) -> None:
    with FICHIER.open("w", encoding="utf-8", newline="") as fichier:
        sortie = csv.writer(fichier, delimiter=";", lineterminator="\n")
        sortie.writerow(ENTETE)
        for (cle, methode), mots in sorted(matrice.items()):
            sortie.writerow([cle, methode, *mots])


def _ligne_csv(cle, methode, mots) -> str:
    return ";".join([cle, methode, *mots])


@pytest.fixture(autouse=True)
def media_temporaire(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_matrice_des_acces(make_user, tmp_path):
    observee = observer(make_user, tmp_path)
    if os.environ.get("MATRICE_ACCES_ECRIRE"):
        ecrire(observee)
    attendue = lire()

    # Invariants, whatever the file says.
    erreurs = [
        f"{cle} {methode} : erreur 500 pour {profil}"
        for (cle, methode), mots in observee.items()
        for profil, mot in zip(PROFILS, mots, strict=True)
        if mot == "500"
    ]
    for (cle, methode), mots in observee.items():
        anonyme, admin_sans_2fa = mots[0], mots[-1]
        if cle not in PUBLIQUES and anonyme not in ("connexion", "connexion-admin"):
            erreurs.append(f"{cle} {methode} : un anonyme obtient {anonyme}")
        if cle not in PUBLIQUES | PAGES_LIBRES and admin_sans_2fa != "2fa":
            erreurs.append(
                f"{cle} {methode} : sans second facteur, l'admin obtient {admin_sans_2fa}"
            )
        # Identities and documents carrying initials: never for who sees aggregates only.
        if cle.startswith(PERSONNELLES):
            for profil in ("sans_role", roles.ANIMATEUR, roles.DIRECTION):
                if mots[PROFILS.index(profil)] == "200":
                    erreurs.append(f"{cle} {methode} : données personnelles pour {profil}")
        ouverts = [p for p, m in zip(PROFILS, mots, strict=True) if m == "200"]
        if cle == "journal:liste" and ouverts != [roles.ADMIN]:
            erreurs.append("journal:liste : réservé à l'administrateur")
    assert not erreurs, "\n".join(erreurs)

    probleme = comparer(observee, attendue)
    assert not probleme, probleme


def comparer(observee, attendue) -> str:
    """What differs between the observed and the expected matrix, said how to fix it."""
    manquantes = sorted(set(observee) - set(attendue))
    if manquantes:
        return (
            f"{len(manquantes)} URL sans ligne attendue dans tests/data/{FICHIER.name} : "
            f"ajoutez ces lignes en vérifiant chaque colonne ({';'.join(ENTETE)}) :\n"
            + "\n".join(
                _ligne_csv(cle, methode, observee[(cle, methode)]) for cle, methode in manquantes
            )
            + "\nou régénérez le fichier : MATRICE_ACCES_ECRIRE=1 DEBUG=0 .venv/bin/python -m "
            "pytest tests/test_matrice_acces.py, puis relisez le diff avant de le committer."
        )
    disparues = sorted(set(attendue) - set(observee))
    if disparues:
        return "URL disparues de la configuration, à retirer du fichier :\n" + "\n".join(
            f"{cle};{methode}" for cle, methode in disparues
        )
    differences = [
        f"{cle} {methode} — {profil} : attendu {a}, obtenu {o}"
        for (cle, methode), mots in sorted(observee.items())
        for profil, a, o in zip(PROFILS, attendue[(cle, methode)], mots, strict=True)
        if a != o
    ]
    if differences:
        return "Droits différents de la matrice attendue :\n" + "\n".join(differences)
    return ""


def test_une_url_nouvelle_sans_ligne_fait_echouer_avec_le_mode_d_emploi():
    attendue = {("accueil", "GET"): ["connexion", *["200"] * 6, "2fa"]}
    observee = dict(attendue) | {("heures:nouvelle", "GET"): ["connexion", *["403"] * 6, "2fa"]}
    message = comparer(observee, attendue)
    assert "1 URL sans ligne attendue dans tests/data/matrice_acces.csv" in message
    assert "heures:nouvelle;GET;connexion;403;403;403;403;403;403;2fa" in message
    assert "MATRICE_ACCES_ECRIRE=1" in message
    assert "URL disparues" in comparer(attendue, observee)
    changee = {("accueil", "GET"): ["connexion", "403", *["200"] * 5, "2fa"]}
    assert comparer(changee, attendue) == (
        "Droits différents de la matrice attendue :\n"
        "accueil GET — sans_role : attendu 200, obtenu 403"
    )
    assert comparer(attendue, attendue) == ""


def test_la_matrice_couvre_chaque_role():
    assert set(PROFILS[2:-1]) == {role.code for role in roles.ROLES}
    attendue = lire()
    assert len(attendue) >= 300
