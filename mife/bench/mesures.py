"""The bench measures: each page or job next to its bare reference, in one run.

- pages: every list page (first page, a filtered page, the last page, a sorted page), each
  role's home, the indicators and the bilan page, the lot with the most missions and the company
  with the most lots; p50 / p95 over ``repetitions`` runs, the query count, and the page's own
  queries (captured during one more run) replayed alone: ``p95 / sql_p95`` is what the app adds
  around its SQL (ORM objects, templates);
- one attestation (issue: number, figures, PDF, fingerprint) next to bare WeasyPrint on the same
  HTML, and a batch of 300 attestations (issue + ZIP + print-all PDF) as a throughput;
- the bilan aggregation (``mife.bilan.calculer``) next to one hand-written SQL aggregate;
- the Excel export of the filtered mission list next to bare openpyxl (write-only) writing the
  same rows from one SQL cursor, with the peak Python memory of each (tracemalloc);
- the import of the biggest hours workbook and of a national DECP file.

Every write is rolled back (``_annule``) and files go to a temporary ``MEDIA_ROOT``: the bench
database stays as seeded, so runs are comparable.
"""

import io
import logging
import math
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
import tracemalloc
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from entreprises.models import Entreprise
from heures.models import DeclarationMensuelle, StatutDeclaration
from marches.models import Lot
from mife import double_facteur, roles
from mife.bench import donnees
from mife.core.listes import ListeView
from mife.core.mois import ajouter_mois, premier_jour
from mife.models import User

CIBLES = {
    "attestation_vs_weasyprint": 1.3,
    "bilan_vs_sql": 1.5,
    "export_vs_openpyxl": 1.3,
    "pages_max_vs_sql": 1.5,
    "pages_max_ms": 300,
}


class _Annulation(Exception):
    pass


@contextmanager
def _annule():
    """Run the block in a transaction that is always rolled back (the bench DB stays seeded)."""
    try:
        with transaction.atomic():
            yield
            raise _Annulation
    except _Annulation:
        pass


def _p(valeurs: list[float], rang: float) -> float:
    """Nearest-rank percentile (``rang`` in 0..100) in milliseconds."""
    tri = sorted(valeurs)
    return round(tri[max(0, math.ceil(rang / 100 * len(tri)) - 1)] * 1000, 1)


def _chrono(appel, repetitions: int) -> list[float]:
    durees = []
    for _ in range(repetitions):
        debut = time.perf_counter()
        appel()
        durees.append(time.perf_counter() - debut)
    return durees


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


# --- logged-in clients -----------------------------------------------------------------------


def _client(user) -> Client:
    """A client logged in as ``user``, second factor passed when the account needs one."""
    client = Client()
    client.force_login(user)
    if double_facteur.exige(user):
        appareil, _ = TOTPDevice.objects.get_or_create(
            user=user, name="Bench", defaults={"confirmed": True}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = appareil.persistent_id
        session[double_facteur.CLE_APPAREIL] = True
        session.save()
    return client


def _superviseur() -> User:
    user, _ = User.objects.get_or_create(
        username="bench-superviseur", defaults={"is_superuser": True, "is_staff": True}
    )
    return user


# --- pages -----------------------------------------------------------------------------------


def pages_de_liste() -> list[tuple[str, type[ListeView]]]:
    """(URL name, view class) of every list page without URL argument."""
    trouvees = []

    def parcourir(motifs, espace):
        for motif in motifs:
            if isinstance(motif, URLResolver):
                ns = f"{espace}{motif.namespace}:" if motif.namespace else espace
                parcourir(motif.url_patterns, ns)
            elif isinstance(motif, URLPattern) and motif.name:
                classe = getattr(motif.callback, "view_class", None)
                if classe and issubclass(classe, ListeView) and not motif.pattern.regex.groupindex:
                    trouvees.append((f"{espace}{motif.name}", classe))

    parcourir(get_resolver().url_patterns, "")
    return sorted(trouvees)


def _variantes(url: str, classe: type[ListeView]) -> list[tuple[str, str]]:
    """The four views of a list: first page, a filtered page, the last page, a sorted page."""
    variantes = [("première page", url)]
    filtres = classe.filterset_class.base_filters if classe.filterset_class else {}
    filtre = ""
    for nom, f in filtres.items():
        choix = f.extra.get("choices")
        if choix and not callable(choix):
            filtre = f"{nom}={next(iter(choix))[0]}"
            break
    if not filtre and "q" in filtres:
        filtre = "q=ma"
    if filtre:
        variantes.append(("filtrée", f"{url}?{filtre}"))
    variantes.append(("dernière page", f"{url}?page=last"))
    tris = [c.tri for c in classe.colonnes if c.tri]
    if tris:
        variantes.append(("triée", f"{url}?tri=-{tris[-1]}"))
    return variantes


def mesurer_page(client, nom: str, url: str, repetitions: int, role: str) -> dict:
    client.get(url, secure=True)  # warm-up: templates, URL resolver, caches
    reponses = []

    def appel():
        reponses.append(client.get(url, secure=True))

    durees = _chrono(appel, repetitions)
    statut = reponses[-1].status_code
    with CaptureQueriesContext(connection) as requetes:
        client.get(url, secure=True)
    lectures = [
        q["sql"]
        for q in requetes.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT")
    ]

    def rejouer():
        with connection.cursor() as curseur:
            for sql in lectures:
                curseur.execute(sql)
                curseur.fetchall()

    sql = _chrono(rejouer, repetitions)
    resultat = {
        "nom": nom,
        "url": url,
        "role": role,
        "statut": statut,
        "p50_ms": _p(durees, 50),
        "p95_ms": _p(durees, 95),
        "requetes": len(requetes),
        "sql_p50_ms": _p(sql, 50),
        "sql_p95_ms": _p(sql, 95),
    }
    resultat["ratio_sql"] = round(resultat["p95_ms"] / max(resultat["sql_p95_ms"], 0.1), 2)
    return resultat


def mesurer_pages(repetitions: int, journal) -> list[dict]:
    resultats = []
    superviseur = _client(_superviseur())
    for nom_url, classe in pages_de_liste():
        url = reverse(nom_url)
        for variante, adresse in _variantes(url, classe):
            r = mesurer_page(superviseur, f"{classe.titre or nom_url} ({variante})", adresse,
                             repetitions, "superutilisateur")  # fmt: skip
            journal(_ligne_page(r))
            resultats.append(r)
    autres = []
    for code in donnees.COMPTES:
        user = User.objects.filter(username=f"bench-{code}-000").first()
        if user:
            autres.append((f"Accueil {code}", "/", user, code))
    direction = (
        User.objects.filter(username=f"bench-{roles.DIRECTION}-000").first() or _superviseur()
    )
    autres += [
        ("Indicateurs", reverse("indicateurs"), direction, roles.DIRECTION),
        ("Bilan annuel (page)", reverse("bilan"), direction, roles.DIRECTION),
    ]
    lot = Lot.objects.filter(intitule__endswith=" 0").order_by("pk").first() or Lot.objects.first()
    if lot:
        autres.append(("Lot aux 2 000 missions", lot.get_absolute_url(), None, "superutilisateur"))
    entreprise = Entreprise.objects.order_by("pk").first()
    if entreprise:
        autres.append(("Entreprise aux 2 000 lots", entreprise.get_absolute_url(), None,
                       "superutilisateur"))  # fmt: skip
    for nom, url, user, role in autres:
        client = superviseur if user is None else _client(user)
        r = mesurer_page(client, nom, url, repetitions, role)
        journal(_ligne_page(r))
        resultats.append(r)
    return resultats


def _ligne_page(r: dict) -> str:
    return (
        f"{r['nom'][:58]:<58} {r['statut']:>3} p50 {r['p50_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms"
        f"  {r['requetes']:3d} req.  SQL p95 {r['sql_p95_ms']:7.1f} ms  ×{r['ratio_sql']}"
    )


# --- attestations --------------------------------------------------------------------------


def _declarations_a_attester(nombre: int):
    fin = ajouter_mois(premier_jour(timezone.localdate()), -2)
    return list(
        DeclarationMensuelle.objects.filter(mois=fin, statut=StatutDeclaration.VALIDEE).order_by(
            "pk"
        )[:nombre]
    )


def mesurer_attestation(repetitions: int) -> dict:
    from weasyprint import HTML

    from heures.services import attestations

    declaration = (
        DeclarationMensuelle.objects.filter(statut=StatutDeclaration.VALIDEE)
        .order_by("-mois", "pk")
        .first()
    )
    pages_html = []
    original = attestations.render_to_string

    def capturer(*args, **kwargs):
        html = original(*args, **kwargs)
        pages_html.append(html)
        return html

    attestations.render_to_string = capturer
    try:

        def emettre():
            with _annule():
                attestations.emettre_mensuelle(DeclarationMensuelle(pk=declaration.pk))

        emettre()  # warm-up (fonts, template)
        app = _chrono(emettre, repetitions)
    finally:
        attestations.render_to_string = original
    html = pages_html[-1]
    nu = _chrono(
        lambda: HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(), repetitions
    )
    return {
        "repetitions": repetitions,
        "app_p50_ms": _p(app, 50),
        "app_p95_ms": _p(app, 95),
        "weasyprint_p50_ms": _p(nu, 50),
        "weasyprint_p95_ms": _p(nu, 95),
        "ratio": round(statistics.median(app) / statistics.median(nu), 2),
    }


def mesurer_lot_attestations(nombre: int) -> dict:
    from heures.services import attestations, generation

    declarations = _declarations_a_attester(nombre)
    debut = time.perf_counter()
    with _annule():
        emises = [attestations.emettre_mensuelle(d) for d in declarations]
        milieu = time.perf_counter()
        # The batch's ZIP and print-all PDF, written to temporary files as the task does.
        with tempfile.TemporaryFile() as zip_, tempfile.TemporaryFile() as pdf:
            generation._fichiers(emises, zip_, pdf)
    fin = time.perf_counter()
    duree = fin - debut
    return {
        "attestations": len(emises),
        "duree_s": round(duree, 1),
        "emission_s": round(milieu - debut, 1),
        "zip_et_pdf_s": round(fin - milieu, 1),
        "par_seconde": round(len(emises) / duree, 2) if duree else 0,
    }


# --- bilan -------------------------------------------------------------------------------------


def mesurer_bilan(repetitions: int) -> dict:
    from mife import bilan

    annee = ajouter_mois(premier_jour(timezone.localdate()), -1).year
    app = _chrono(lambda: bilan.calculer(annee), repetitions)
    sql = """
        SELECT COUNT(DISTINCT m.participant_id), SUM(l.heures), COUNT(DISTINCT d.lot_id)
        FROM heures_lignedeclaration l
        JOIN heures_declarationmensuelle d ON d.id = l.declaration_id
        JOIN heures_mission m ON m.id = l.mission_id
        WHERE d.statut = 'validee' AND d.mois >= %s AND d.mois <= %s
    """

    def brut():
        with connection.cursor() as curseur:
            for a in (annee, annee - 1):  # the bilan shows the year and the year before
                curseur.execute(sql, [f"{a}-01-01", f"{a}-12-01"])
                curseur.fetchall()

    nu = _chrono(brut, repetitions)
    return {
        "annee": annee,
        "repetitions": repetitions,
        "app_p50_ms": _p(app, 50),
        "app_p95_ms": _p(app, 95),
        "sql_p50_ms": _p(nu, 50),
        "sql_p95_ms": _p(nu, 95),
        "ratio": round(statistics.median(app) / statistics.median(nu), 2),
    }


# --- Excel export ------------------------------------------------------------------------------

EXPORT_URL = "/heures/missions/?etat=terminee"
EXPORT_SQL = """
    SELECT m.reference, p.nom, p.prenom, ma.reference, lo.numero, e.raison_sociale, m.modalite,
           m.date_debut, m.date_fin, m.sortie
    FROM heures_mission m
    JOIN heures_participant p ON p.id = m.participant_id
    JOIN marches_lot lo ON lo.id = m.lot_id
    JOIN marches_marche ma ON ma.id = lo.marche_id
    JOIN entreprises_entreprise e ON e.id = m.employeur_id
    WHERE m.date_fin < %s
    ORDER BY m.date_debut DESC, m.id
"""


def _openpyxl_nu() -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Missions")
    ws.append(["Référence", "Participant", "Lot", "Employeur", "Modalité", "Début", "Fin",
               "Sortie"])  # fmt: skip
    n = 0
    with connection.chunked_cursor() as curseur:
        curseur.execute(EXPORT_SQL, [timezone.localdate()])
        for ref, nom, prenom, marche, lot, employeur, modalite, debut, fin, sortie in curseur:
            dates = []
            for valeur in (debut, fin):
                cellule = WriteOnlyCell(ws, value=valeur)
                cellule.number_format = "DD/MM/YYYY"
                dates.append(cellule)
            ws.append([ref, f"{nom} {prenom}", f"{marche} lot {lot}", employeur, modalite,
                       *dates, sortie])  # fmt: skip
            n += 1
    with tempfile.TemporaryFile() as fichier:
        wb.save(fichier)
    return n


def _export_app(client) -> int:
    reponse = client.get(EXPORT_URL + "&export=xlsx", secure=True)
    # Reading the stream to its end closes the response through the test client (a direct
    # close() would fire request_finished and drop the connection inside a transaction).
    return sum(len(morceau) for morceau in reponse.streaming_content)


def _pic_memoire(appel) -> float:
    tracemalloc.start()
    try:
        appel()
        return round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    finally:
        tracemalloc.stop()


def mesurer_export(repetitions: int) -> dict:
    client = _client(_superviseur())
    app = _chrono(lambda: _export_app(client), repetitions)
    lignes = []
    nu = _chrono(lambda: lignes.append(_openpyxl_nu()), repetitions)
    return {
        "url": EXPORT_URL,
        "lignes": lignes[-1],
        "repetitions": repetitions,
        "app_p50_ms": _p(app, 50),
        "openpyxl_p50_ms": _p(nu, 50),
        "app_pic_memoire_mio": _pic_memoire(lambda: _export_app(client)),
        "openpyxl_pic_memoire_mio": _pic_memoire(_openpyxl_nu),
        "ratio": round(statistics.median(app) / statistics.median(nu), 2),
    }


# --- imports -----------------------------------------------------------------------------------


def _classeur_rempli(entreprise, mois, user) -> tuple[bytes, int]:
    """The company's hours template of ``mois``, every mission given 7 hours."""
    from openpyxl import load_workbook

    from heures.services import excel_heures as xl

    wb = load_workbook(io.BytesIO(xl.generer_modele(entreprise, mois, user)))
    lignes = 0
    for ws in wb.worksheets:
        if ws.title == xl.FEUILLE_META:
            continue
        for rang in range(xl.PREMIERE_LIGNE, ws.max_row + 1):
            if ws.cell(rang, xl.COL_REFERENCE).value:
                ws.cell(rang, xl.COL_HEURES).value = 7
                lignes += 1
    tampon = io.BytesIO()
    wb.save(tampon)
    return tampon.getvalue(), lignes


DECP_NATIONAL = Path(settings.BASE_DIR) / "tests" / "data" / "decp" / "decp_2019_national_pes.json"


def mesurer_imports(fichier_decp: Path = DECP_NATIONAL) -> dict:
    from heures.services import excel_heures as xl
    from marches import decp

    resultat = {}
    user = _superviseur()
    entreprise = Entreprise.objects.order_by("pk").first()
    mois = ajouter_mois(premier_jour(timezone.localdate()), -1)
    contenu, lignes = _classeur_rempli(entreprise, mois, user)
    with _annule():
        debut = time.perf_counter()
        rapport = xl.analyser(contenu, entreprise, mois)
        milieu = time.perf_counter()
        enregistrees = xl.enregistrer(rapport, user) if not rapport.erreurs else []
        fin = time.perf_counter()
    resultat["classeur_heures"] = {
        "lignes": lignes,
        "feuilles": len(rapport.lots),
        "erreurs": len(rapport.erreurs),
        "declarations_enregistrees": len(enregistrees),
        "analyse_s": round(milieu - debut, 2),
        "enregistrement_s": round(fin - milieu, 2),
        "total_s": round(fin - debut, 2),
    }
    fichier = Path(fichier_decp)
    brut = fichier.read_bytes()
    with _annule():
        debut = time.perf_counter()
        rapport = decp.importer(brut)
        duree = time.perf_counter() - debut
    resultat["decp_national"] = {
        "fichier": fichier.name,
        "octets": len(brut),
        "enregistrements_lus": rapport.nb_enregistrements,
        "importes": rapport.nb_importes,
        "ecartes": rapport.nb_ecartes,
        "erreurs": len(rapport.erreurs),
        "total_s": round(duree, 2),
    }
    return resultat


# --- the whole run -----------------------------------------------------------------------------


def executer(
    echelle: float,
    repetitions: int,
    nb_attestations: int,
    journal=print,
    fichier_decp: Path = DECP_NATIONAL,
) -> dict:
    media = tempfile.mkdtemp(prefix="bench-media-")
    # The login and export events of the bench accounts would drown the table in the output.
    logging.disable(logging.INFO)
    try:
        resultats = _executer(echelle, repetitions, nb_attestations, journal, fichier_decp, media)
    finally:
        logging.disable(logging.NOTSET)
        shutil.rmtree(media, ignore_errors=True)
    return resultats


def _executer(echelle, repetitions, nb_attestations, journal, fichier_decp, media) -> dict:
    with override_settings(MEDIA_ROOT=media):
        journal(f"Mesures ({connection.vendor}, {os.cpu_count()} cœurs, {repetitions} passages) :")
        pages = mesurer_pages(repetitions, journal)
        journal("Attestation : émission par l'application et WeasyPrint seul…")
        attestation = mesurer_attestation(max(1, repetitions // 4))
        journal(f"Lot de {nb_attestations} attestations…")
        lot = mesurer_lot_attestations(nb_attestations)
        journal("Bilan…")
        bilan_ = mesurer_bilan(max(1, repetitions // 4))
        journal("Export Excel…")
        export = mesurer_export(min(3, repetitions))
        journal("Imports…")
        imports = mesurer_imports(fichier_decp)
    valides = [p for p in pages if p["statut"] == 200]
    pire = max(valides, key=lambda p: p["p95_ms"]) if valides else None
    resultats = {
        "machine": {
            "coeurs": os.cpu_count(),
            "systeme": platform.platform(),
            "python": platform.python_version(),
            "base": connection.vendor,
            "debug": settings.DEBUG,
        },
        "commit": _commit(),
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "echelle": donnees.Echelle(echelle).resume(),
        "repetitions": repetitions,
        "pages": pages,
        "pages_en_erreur": [p["url"] for p in pages if p["statut"] != 200],
        "pages_max_ms": pire["p95_ms"] if pire else None,
        "pages_max_page": pire["nom"] if pire else None,
        "queries_max": max((p["requetes"] for p in pages), default=0),
        "attestation": attestation,
        "lot_attestations": lot,
        "bilan": bilan_,
        "export": export,
        "imports": imports,
        "ratios": {
            "attestation_vs_weasyprint": attestation["ratio"],
            "bilan_vs_sql": bilan_["ratio"],
            "export_vs_openpyxl": export["ratio"],
            "pages_max_vs_sql": pire["ratio_sql"] if pire else None,
        },
        "cibles": CIBLES,
    }
    return resultats


def tableau(r: dict) -> str:
    """The summary printed at the end of a run."""
    lignes = [
        f"Échelle {r['echelle']['facteur']} — {r['machine']['coeurs']} cœurs — "
        f"{r['machine']['base']} — commit {r['commit'][:10]}",
        f"{'chiffre':<34} {'mesure':>12} {'cible':>10}",
    ]
    cibles = r["cibles"]
    for cle, valeur in r["ratios"].items():
        lignes.append(f"{cle:<34} {valeur!s:>12} {'≤ ' + str(cibles.get(cle, '')):>10}")
    lignes.append(
        f"{'pages_max_ms':<34} {r['pages_max_ms']!s:>12} {'≤ ' + str(cibles['pages_max_ms']):>10}"
        f"   ({r['pages_max_page']})"
    )
    lignes.append(f"{'queries_max':<34} {r['queries_max']:>12}")
    lot = r["lot_attestations"]
    lignes.append(
        f"{'lot d’attestations (par seconde)':<34} {lot['par_seconde']:>12}"
        f"   ({lot['attestations']} en {lot['duree_s']} s)"
    )
    ex = r["export"]
    lignes.append(
        f"{'export Excel (lignes, pic Mio)':<34} {ex['lignes']:>12}"
        f"   (app {ex['app_pic_memoire_mio']} Mio, openpyxl {ex['openpyxl_pic_memoire_mio']} Mio)"
    )
    im = r["imports"]
    lignes.append(
        f"{'import classeur d’heures (s)':<34} {im['classeur_heures']['total_s']:>12}"
        f"   ({im['classeur_heures']['lignes']} lignes)"
    )
    lignes.append(f"{'import DECP national (s)':<34} {im['decp_national']['total_s']:>12}")
    if r["pages_en_erreur"]:
        lignes.append(f"Pages en erreur : {', '.join(r['pages_en_erreur'])}")
    return "\n".join(lignes)
