"""« Confiance dans les chiffres »: attestation figures that never depend on the order of work,
re-issue after a correction, replaced attestations kept out of a month's files, and the
coherence check (command and page)."""

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from pypdf import PdfReader

from heures import selectors
from heures.models import Attestation, DeclarationMensuelle, StatutAttestation, TypeAttestation
from heures.services import attestations, coherence, declarations, generation
from mife import roles
from tests.factories import (
    AttestationFactory,
    ClauseFactory,
    EntrepriseFactory,
    LigneDeclarationFactory,
    MissionFactory,
    ParticipantFactory,
)
from tests.outils_http import lire

pytestmark = pytest.mark.django_db
AOUT, SEPTEMBRE, OCTOBRE = dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 1)


@pytest.fixture(autouse=True)
def media_temporaire(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def sans_quatre_yeux(db):
    """These tests are about figures: one user enters, submits and validates (the four-eyes
    rule has its own tests in test_autorisations.py)."""
    from mife.core.models import Parametres

    Parametres.objects.update_or_create(pk=1, defaults={"validation_quatre_yeux": False})


@pytest.fixture
def suivi(make_user):
    return make_user(roles.SUIVI, username="suivi", first_name="Sandrine", last_name="Faivre")


@pytest.fixture
def lot():
    """A lot of 1 000 h carried out by its titulaire and a co-contractor."""
    clause = ClauseFactory(
        heures_requises=Decimal("1000"),
        lot__date_debut=dt.date(2026, 6, 1),
        lot__date_fin=dt.date(2027, 12, 31),
        lot__marche__date_notification=dt.date(2026, 5, 1),
        lot__titulaire=EntrepriseFactory(raison_sociale="Bâtir Nord"),
    )
    return clause.lot


@pytest.fixture
def cotraitant(lot):
    entreprise = EntrepriseFactory(raison_sociale="Peintures du Lion")
    lot.cotraitants.add(entreprise)
    return entreprise


def _mission(lot, employeur, nom, prenom):
    return MissionFactory(
        lot=lot,
        employeur=employeur,
        participant=ParticipantFactory(nom=nom, prenom=prenom),
        date_debut=dt.date(2026, 7, 1),
        date_fin=None,
    )


@pytest.fixture
def missions(lot, cotraitant):
    return {
        "titulaire": _mission(lot, lot.titulaire, "Zébulon", "Awa"),
        "cotraitant": _mission(lot, cotraitant, "Quasimodo", "Hugo"),
    }


def valider(entreprise, lot, mois, heures: dict, user) -> Attestation:
    """The whole workflow of a month: draft, lines, submitted, validated → its attestation."""
    d = declarations.creer(entreprise, lot, mois, user)
    d = declarations.enregistrer_lignes(
        d, {m.pk: Decimal(h) for m, h in heures.items()}, d.version, user
    )
    d = declarations.soumettre(d, d.version, user)
    return declarations.valider(d, d.version, user)[1]


def corriger(attestation: Attestation, mission, heures: str, user) -> DeclarationMensuelle:
    """A submitted correction of the month of ``attestation`` (not validated yet)."""
    d = DeclarationMensuelle.objects.get(pk=attestation.declaration_id)
    v2 = declarations.corriger(d, "Relevé d'heures reçu après la validation", d.version, user)
    v2 = declarations.enregistrer_lignes(v2, {mission.pk: Decimal(heures)}, v2.version, user)
    return declarations.soumettre(v2, v2.version, user)


def texte_pdf(contenu: bytes) -> str:
    reader = PdfReader(io.BytesIO(contenu))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def texte(attestation: Attestation) -> str:
    return texte_pdf(attestations.lire_pdf(attestation))


def figures(attestation: Attestation) -> str:
    """The PDF's text without what legitimately differs between two issues of the same
    figures: the number, the verification code and the issue date."""
    t = texte(attestation)
    t = re.sub(r"ATT-\d{4}-\d{2}-\d{5}", "ATT-…", t)
    t = re.sub(r"/verifier/[\w-]+/", "/verifier/…/", t)
    return re.sub(r"Fait le \d{2}/\d{2}/\d{4}", "Fait le …", t)


# --- 1. figures that do not depend on the order of validation -----------------------------------


def test_meme_chiffres_quel_que_soit_l_ordre_des_validations(lot, cotraitant, missions, suivi):
    titulaire, autre = lot.titulaire, cotraitant
    valider(titulaire, lot, SEPTEMBRE, {missions["titulaire"]: "100"}, suivi)
    valider(autre, lot, SEPTEMBRE, {missions["cotraitant"]: "60.5"}, suivi)
    heures = {titulaire: {missions["titulaire"]: "80.25"}, autre: {missions["cotraitant"]: "40"}}

    def derouler(ordre):
        with transaction.atomic():
            emises = {e.pk: valider(e, lot, OCTOBRE, heures[e], suivi) for e in ordre}
            resultat = {
                pk: (a.total_heures, a.cumul_heures, a.heures_requises, figures(a))
                for pk, a in emises.items()
            }
            transaction.set_rollback(True)
        return resultat

    titulaire_d_abord = derouler([titulaire, autre])
    cotraitant_d_abord = derouler([autre, titulaire])
    assert titulaire_d_abord == cotraitant_d_abord
    total, cumul, requises, pdf = titulaire_d_abord[titulaire.pk]
    assert (total, cumul, requises) == (Decimal("80.25"), Decimal("180.25"), Decimal("1000"))
    assert "Heures de l'entreprise en octobre 2026 80,25 h" in pdf
    assert "sur ce lot, cumulées jusqu'à fin octobre 2026 180,25 h" in pdf
    assert "(toutes entreprises) 1" in pdf and "000 h" in pdf
    total, cumul, _, pdf = titulaire_d_abord[autre.pk]
    assert (total, cumul) == (Decimal("40.00"), Decimal("100.50"))
    assert "cumulées jusqu'à fin octobre 2026 100,5 h" in pdf
    # Nothing the other company did shows up (the old lot cumulative: 280,75 h).
    assert "280,75" not in pdf


def test_la_page_de_verification_donne_les_definitions(client, lot, missions, suivi):
    a = valider(lot.titulaire, lot, SEPTEMBRE, {missions["titulaire"]: "100"}, suivi)
    page = client.get(reverse("verifier_attestation", args=[a.code_verification]))
    contenu = page.content.decode()
    assert page.status_code == 200
    assert "Attestation valide" in contenu
    assert "Cumul de l'entreprise sur le lot à fin septembre 2026" in contenu
    assert "Les heures des autres entreprises du lot n&#x27;y entrent pas" in contenu


# --- 2. a correction of a past month: re-issue, « à réémettre », verification pages --------------


@pytest.fixture
def trois_mois(lot, cotraitant, missions, suivi):
    """The titulaire's attestations of August, September and October, the co-contractor's of
    October."""
    m = missions["titulaire"]
    return {
        "aout": valider(lot.titulaire, lot, AOUT, {m: "100"}, suivi),
        "septembre": valider(lot.titulaire, lot, SEPTEMBRE, {m: "110"}, suivi),
        "octobre": valider(lot.titulaire, lot, OCTOBRE, {m: "120"}, suivi),
        "cotraitant": valider(cotraitant, lot, OCTOBRE, {missions["cotraitant"]: "50"}, suivi),
    }


def _valider_par_la_page(client, declaration):
    url = reverse("heures:declaration_action", args=[declaration.pk, "valider"])
    reponse = client.post(url, {"version_lue": declaration.version})
    return [str(m) for m in get_messages(reponse.wsgi_request)]


def test_correction_d_un_mois_passe_reemission_et_verification(
    client, lot, missions, suivi, trois_mois
):
    aout, septembre, octobre = trois_mois["aout"], trois_mois["septembre"], trois_mois["octobre"]
    assert (septembre.cumul_heures, octobre.cumul_heures) == (Decimal("210"), Decimal("330"))
    assert not selectors.attestations_a_reemettre().exists()
    assert coherence.controler().ok

    v2 = corriger(aout, missions["titulaire"], "110", suivi)
    client.force_login(suivi)
    messages = _valider_par_la_page(client, v2)

    # The month corrected: its attestation re-issued at once, the old one « remplacée ».
    aout.refresh_from_db()
    nouvelle_aout = aout.remplacee_par
    assert aout.statut == StatutAttestation.REMPLACEE
    assert (nouvelle_aout.total_heures, nouvelle_aout.cumul_heures) == (110, 110)
    assert f"Remplace l'attestation {aout.numero}" in texte(nouvelle_aout)
    # The later months of that company are flagged, not the co-contractor's.
    flaggees = selectors.attestations_a_reemettre()
    assert {a.pk for a in flaggees} == {septembre.pk, octobre.pk}
    assert {(a.numero, a.cumul_actuel) for a in flaggees} == {
        (septembre.numero, Decimal("220")),
        (octobre.numero, Decimal("340")),
    }
    assert messages == [
        f"Déclaration validée — attestation {nouvelle_aout.numero} émise (remplace "
        f"{aout.numero}). 2 attestations déjà émises n'ont plus les bons chiffres : voir "
        "« Attestations à réémettre »."
    ]
    # Their public pages say so; the replaced one links to the one in force.
    page = client.get(reverse("verifier_attestation", args=[septembre.code_verification]))
    assert "Attestation à réémettre" in page.content.decode()
    assert "220 h" in page.content.decode()  # the validated figure today
    page = client.get(reverse("verifier_attestation", args=[aout.code_verification]))
    lien = reverse("verifier_attestation", args=[nouvelle_aout.code_verification])
    assert "Attestation remplacée" in page.content.decode()
    assert f'href="{lien}"' in page.content.decode()

    # The suivi sees them in a list and re-issues them in one batch.
    liste = client.get(reverse("heures:attestations_a_reemettre"))
    assert liste.context["total"] == 2
    assert "210 h → 220 h" in liste.content.decode()
    assert "Réémettre les 2 attestations" in liste.content.decode()
    reponse = client.post(reverse("heures:attestations_reemettre"), follow=True)
    assert "2 attestations réémises" in reponse.content.decode()
    assert not selectors.attestations_a_reemettre().exists()
    for ancienne, cumul in ((septembre, Decimal("220")), (octobre, Decimal("340"))):
        ancienne.refresh_from_db()
        nouvelle = ancienne.remplacee_par
        assert ancienne.statut == StatutAttestation.REMPLACEE
        assert (nouvelle.mois, nouvelle.cumul_heures, nouvelle.statut) == (
            ancienne.mois,
            cumul,
            StatutAttestation.EMISE,
        )
        assert nouvelle.numero.startswith(f"ATT-{ancienne.mois:%Y-%m}-")
        pdf = texte(nouvelle)
        assert f"Remplace l'attestation {ancienne.numero}" in pdf
        assert f"cumul {ancienne.cumul_heures:.0f} h → {cumul:.0f} h" in pdf
        page = client.get(reverse("verifier_attestation", args=[ancienne.code_verification]))
        lien = reverse("verifier_attestation", args=[nouvelle.code_verification])
        assert f'<a href="{lien}">{nouvelle.numero}</a>' in page.content.decode()
        page = client.get(reverse("verifier_attestation", args=[nouvelle.code_verification]))
        assert "Attestation valide" in page.content.decode()
    assert coherence.controler().ok
    trois_mois["cotraitant"].refresh_from_db()
    assert trois_mois["cotraitant"].statut == StatutAttestation.EMISE


def test_chaine_de_remplacements_la_page_renvoie_a_la_derniere(
    client, lot, missions, suivi, trois_mois
):
    aout = trois_mois["aout"]
    v2 = corriger(aout, missions["titulaire"], "110", suivi)
    declarations.valider(v2, v2.version, suivi)
    v3 = DeclarationMensuelle.objects.get(pk=v2.pk)
    v3 = corriger(v3.attestations.get(), missions["titulaire"], "115", suivi)
    _, derniere = declarations.valider(v3, v3.version, suivi)
    page = client.get(reverse("verifier_attestation", args=[aout.code_verification]))
    lien = reverse("verifier_attestation", args=[derniere.code_verification])
    assert f'href="{lien}"' in page.content.decode()
    assert derniere.numero in page.content.decode()


def test_le_tableau_de_bord_du_suivi_compte_les_attestations_a_reemettre(
    client, missions, suivi, trois_mois
):
    v2 = corriger(trois_mois["aout"], missions["titulaire"], "90", suivi)
    declarations.valider(v2, v2.version, suivi)
    client.force_login(suivi)
    accueil = client.get(reverse("accueil"))
    assert accueil.context["nb_a_reemettre"] == 2
    assert "Attestations à réémettre" in accueil.content.decode()


@pytest.mark.parametrize("role", [roles.FACILITATEUR, roles.DIRECTION, roles.ANIMATEUR])
def test_seul_le_suivi_reemet(client_for, missions, suivi, trois_mois, role):
    v2 = corriger(trois_mois["aout"], missions["titulaire"], "110", suivi)
    declarations.valider(v2, v2.version, suivi)
    client = client_for(role)
    assert client.post(reverse("heures:attestations_reemettre")).status_code == 403
    assert client.get(reverse("heures:controle_chiffres")).status_code == 403
    liste = client.get(reverse("heures:attestations_a_reemettre"))
    if role == roles.ANIMATEUR:  # no access to attestations at all
        assert liste.status_code == 403
    else:  # they may see the list, not re-issue
        assert liste.status_code == 200
        assert "Réémettre les" not in liste.content.decode()
    assert selectors.attestations_a_reemettre().count() == 2


def test_reemettre_deux_fois_ne_cree_rien_de_plus(missions, suivi, trois_mois):
    v2 = corriger(trois_mois["aout"], missions["titulaire"], "110", suivi)
    declarations.valider(v2, v2.version, suivi)
    faites, erreurs = attestations.reemettre_tout(suivi)
    assert (len(faites), erreurs) == (2, [])
    avant = Attestation.objects.count()
    assert attestations.reemettre(trois_mois["septembre"], suivi) is None  # already replaced
    assert attestations.reemettre_tout(suivi) == ([], [])
    assert Attestation.objects.count() == avant


def test_attestation_de_realisation_reemise_apres_correction(lot, missions, suivi):
    lot.clause.heures_requises = Decimal("200")
    lot.clause.save()
    m = missions["titulaire"]
    aout = valider(lot.titulaire, lot, AOUT, {m: "100"}, suivi)
    valider(lot.titulaire, lot, SEPTEMBRE, {m: "110"}, suivi)
    realisation = attestations.emettre_realisation(lot, suivi)
    assert realisation.total_heures == Decimal("210")
    date_du_jour = realisation.emise_le.astimezone().strftime("%d/%m/%Y")
    assert f"Heures réalisées sur le lot, validées au {date_du_jour} 210 h" in texte(realisation)
    v2 = corriger(aout, m, "95", suivi)
    declarations.valider(v2, v2.version, suivi)
    assert realisation.pk in {a.pk for a in attestations.a_reemettre_apres(v2)}
    faites, erreurs = attestations.reemettre_tout(suivi)
    assert erreurs == []
    nouvelle = next(n for a, n in faites if a.pk == realisation.pk)
    assert (nouvelle.type, nouvelle.total_heures) == (TypeAttestation.REALISATION, 205)
    # Below the obligation and the lot not closed: refused with the reason, nothing issued.
    v3 = corriger(v2.attestations.get(), m, "50", suivi)
    declarations.valider(v3, v3.version, suivi)
    avant = Attestation.objects.count()
    faites, erreurs = attestations.reemettre_tout(suivi)
    assert [a.mois for a, _ in faites] == [SEPTEMBRE]  # the monthly one is re-issued
    assert erreurs == [
        f"{nouvelle.numero} : obligation non atteinte (160 h sur 200 h) : clôturez le lot avec "
        "un motif pour émettre une attestation avec écart."
    ]
    assert Attestation.objects.count() == avant + 1
    assert selectors.attestations_a_reemettre().get() == nouvelle


# --- 3. a month's files: no replaced attestation unless asked -----------------------------------


def test_dossier_du_mois_sans_les_remplacees_sauf_demande(tmp_path, missions, suivi, trois_mois):
    aout = trois_mois["aout"]
    v2 = corriger(aout, missions["titulaire"], "110", suivi)
    _, nouvelle = declarations.valider(v2, v2.version, suivi)

    call_command("attestations", mois="2026-08", out=str(tmp_path / "courant"))
    fichiers = sorted(p.name for p in (tmp_path / "courant").iterdir())
    assert fichiers == [f"{nouvelle.numero}.pdf"]
    total = sum(
        (Attestation.objects.get(numero=nom.removesuffix(".pdf")).total_heures for nom in fichiers),
        Decimal("0"),
    )
    assert total == selectors.heures_entreprise_mois(aout.entreprise, aout.lot, AOUT) == 110

    sortie = io.StringIO()
    call_command(
        "attestations",
        mois="2026-08",
        out=str(tmp_path / "tout"),
        avec_remplacees=True,
        stdout=sortie,
    )
    assert "dont 1 remplacée(s)" in sortie.getvalue()
    dossier = tmp_path / "tout"
    assert sorted(p.name for p in dossier.iterdir()) == sorted(
        [f"{nouvelle.numero}.pdf", f"{aout.numero}-REMPLACÉE.pdf"]
    )
    tamponnee = texte_pdf((dossier / f"{aout.numero}-REMPLACÉE.pdf").read_bytes())
    assert "REMPLACÉE" in tamponnee and f"par l'attestation {nouvelle.numero}" in tamponnee
    assert "REMPLACÉE" not in texte_pdf((dossier / f"{nouvelle.numero}.pdf").read_bytes())
    # The stored PDF itself never changes.
    aout.refresh_from_db()
    assert "REMPLACÉE" not in texte(aout)
    assert coherence.controler(AOUT).ok


def test_zip_et_pdf_du_lot_reconstruits_apres_remplacement(
    client, missions, suivi, trois_mois, django_capture_on_commit_callbacks
):
    g = generation.GenerationAttestations.objects.create(mois=OCTOBRE)
    generation.executer(g.pk)
    octobre, cotraitant = trois_mois["octobre"], trois_mois["cotraitant"]
    v2 = corriger(trois_mois["aout"], missions["titulaire"], "110", suivi)
    declarations.valider(v2, v2.version, suivi)
    (_, nouvelle), *_ = [
        (a, n) for a, n in attestations.reemettre_tout(suivi)[0] if a.pk == octobre.pk
    ]
    client.force_login(suivi)
    reponse = client.get(reverse("heures:generation_zip", args=[g.pk]))
    with zipfile.ZipFile(io.BytesIO(b"".join(reponse.streaming_content))) as archive:
        assert sorted(archive.namelist()) == sorted(
            [f"{cotraitant.numero}.pdf", f"{nouvelle.numero}.pdf"]
        )
    reponse = client.get(reverse("heures:generation_pdf", args=[g.pk]))
    imprime = texte_pdf(b"".join(reponse.streaming_content))
    assert nouvelle.numero in imprime and octobre.numero in imprime  # « Remplace … »
    assert f"N° {octobre.numero}" not in imprime
    assert f"N° {nouvelle.numero}" in imprime


# --- 4. the coherence check ---------------------------------------------------------------------


def test_controle_rien_a_signaler_puis_ecart_plante(lot, missions, suivi, trois_mois):
    sortie = io.StringIO()
    call_command("controler_chiffres", stdout=sortie)
    assert "aucun écart" in sortie.getvalue()

    Attestation.objects.filter(pk=trois_mois["octobre"].pk).update(cumul_heures=Decimal("333"))
    controle = coherence.controler()
    assert [str(e) for e in controle.ecarts] == [
        f"Attestation {trois_mois['octobre'].numero} (Bâtir Nord, {lot}, octobre 2026) — cumul "
        "de l'entreprise imprimé : 333 h au lieu de 330 h (écart inexpliqué : aucune "
        "validation après son émission ne l'explique)"
    ]
    sortie = io.StringIO()
    with pytest.raises(CommandError, match="1 écart") as erreur:
        call_command("controler_chiffres", "--mois", "2026-10", stdout=sortie)
    assert erreur.value.returncode == 1
    assert "cumul de l'entreprise imprimé : 333 h au lieu de 330 h" in sortie.getvalue()
    # Another month is clean.
    call_command("controler_chiffres", "--mois", "2026-09", stdout=io.StringIO())


def test_controle_signale_un_pdf_modifie(trois_mois):
    a = trois_mois["septembre"]
    with open(a.fichier.path, "ab") as fichier:
        fichier.write(b"%% ajout")
    ecarts = [str(e) for e in coherence.controler().ecarts]
    assert ecarts == [
        f"Fichier {a.numero} (Bâtir Nord, {a.lot}, septembre 2026) — empreinte SHA-256 "
        "différente : le PDF a été modifié"
    ]


def test_controle_signale_les_attestations_a_reemettre(missions, suivi, trois_mois):
    v2 = corriger(trois_mois["aout"], missions["titulaire"], "110", suivi)
    declarations.valider(v2, v2.version, suivi)
    controle = coherence.controler()
    assert controle.a_reemettre == 2
    explications = {e.explication.split(" le ")[0] for e in controle.ecarts}
    assert explications == {"à réémettre : heures validées modifiées"}
    with pytest.raises(CommandError, match="2 écarts"):
        call_command("controler_chiffres", stdout=io.StringIO())


def test_controle_signale_un_total_de_page_faux(monkeypatch, trois_mois):
    """A page figure computed elsewhere than the selector's lines is caught."""
    origine = selectors.annoter_heures_realisees

    def fausse(lots):
        from django.db.models import F

        return (
            origine(lots)
            .annotate(faux=F("heures_realisees") + 1)
            .annotate(heures_realisees=F("faux"))
        )

    monkeypatch.setattr(selectors, "annoter_heures_realisees", fausse)
    ecarts = [e for e in coherence.controler().ecarts if e.categorie == "Lot"]
    assert {(e.chiffre, e.trouve - e.attendu) for e in ecarts} == {
        ("heures réalisées (liste des lots et son export, page du lot)", 1),
        ("heures réalisées (pages du marché et de l'entreprise)", 1),
    }


def test_controle_signale_deux_attestations_en_vigueur_pour_un_mois(trois_mois):
    octobre = trois_mois["octobre"]
    AttestationFactory(
        declaration=octobre.declaration,
        total_heures=Decimal("120"),
        cumul_heures=Decimal("330"),
        numero="ATT-2026-10-09999",
    )
    textes = [str(e) for e in coherence.controler(OCTOBRE).ecarts]
    assert f"deux attestations en vigueur pour Bâtir Nord sur {octobre.lot} : " in textes[1]
    assert textes[1].endswith(f"{octobre.numero} et ATT-2026-10-09999")
    assert textes[2].endswith(
        "total des attestations écrites (dossier, ZIP, PDF à imprimer) : 290 h au lieu de 170 h"
    )


def test_controle_mois_invalide():
    with pytest.raises(CommandError, match="AAAA-MM"):
        call_command("controler_chiffres", "--mois", "octobre")


def test_page_du_controle(client, suivi, trois_mois):
    client.force_login(suivi)
    page = client.get(reverse("heures:controle_chiffres"))
    assert page.status_code == 200
    assert "aucun écart" in page.content.decode()
    assert "Heures requises : l&#x27;obligation d&#x27;insertion du lot entier" in (
        page.content.decode()
    )
    Attestation.objects.filter(pk=trois_mois["aout"].pk).update(total_heures=Decimal("99"))
    page = client.get(reverse("heures:controle_chiffres"), {"mois": "2026-08"})
    # The attestation, and the month's files that would hand it out.
    assert "2 écarts" in page.content.decode()
    assert "heures du mois imprimées" in page.content.decode()
    page = client.get(reverse("heures:controle_chiffres"), {"mois": "n'importe quoi"})
    assert page.status_code == 200
    assert page.context["controle"] is None


def _plusieurs_a_reemettre(n: int) -> None:
    """``n`` monthly attestations whose printed figures differ from their (empty) lines."""
    lot = ClauseFactory(heures_requises=Decimal("500")).lot
    for i in range(n):
        declaration = LigneDeclarationFactory(
            declaration__lot=lot,
            declaration__entreprise=EntrepriseFactory(),
            declaration__mois=OCTOBRE,
            declaration__validee=True,
            heures=Decimal(10 + i),
        ).declaration
        AttestationFactory(declaration=declaration, numero=f"ATT-2026-10-{i + 1:05d}")


@pytest.mark.parametrize("n", [2, 12])
def test_requetes_liste_a_reemettre(client, suivi, django_assert_max_num_queries, n):
    _plusieurs_a_reemettre(n)
    client.force_login(suivi)
    url = reverse("heures:attestations_a_reemettre")
    client.get(url)
    with django_assert_max_num_queries(10):
        reponse = client.get(url)
    assert reponse.context["total"] == n
    with django_assert_max_num_queries(8):
        export = client.get(url, {"export": "xlsx"})
        assert len(lire(export)) > 0


@pytest.mark.parametrize("n", [2, 12])
def test_requetes_page_du_controle(client, suivi, django_assert_max_num_queries, n):
    _plusieurs_a_reemettre(n)
    client.force_login(suivi)
    url = reverse("heures:controle_chiffres")
    client.get(url)
    with django_assert_max_num_queries(28):
        reponse = client.get(url)
    assert len(reponse.context["controle"].ecarts) >= n


# --- 5. unit bits ---------------------------------------------------------------------------------


def test_heures_entreprise_et_cumul_ignorent_les_autres_entreprises(lot, cotraitant, missions):
    for entreprise, mission, mois, heures in (
        (lot.titulaire, missions["titulaire"], AOUT, "10"),
        (lot.titulaire, missions["titulaire"], SEPTEMBRE, "20"),
        (cotraitant, missions["cotraitant"], SEPTEMBRE, "40"),
    ):
        LigneDeclarationFactory(
            declaration__lot=lot,
            declaration__entreprise=entreprise,
            declaration__mois=mois,
            declaration__validee=True,
            mission=mission,
            heures=Decimal(heures),
        )
    assert selectors.heures_entreprise_mois(lot.titulaire, lot, SEPTEMBRE) == 20
    assert selectors.heures_entreprise_lot_jusqu_a(lot.titulaire, lot, SEPTEMBRE) == 30
    assert selectors.heures_entreprise_lot_jusqu_a(lot.titulaire, lot, AOUT) == 10
    assert selectors.heures_entreprise_lot_jusqu_a(cotraitant, lot, SEPTEMBRE) == 40


# --- 6. the demo data -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo data, loaded once for the module and rolled back at its end; yields the media
    folder holding the PDFs of its attestations."""
    from django.test import override_settings

    media = tmp_path_factory.mktemp("media-demo")
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(DEBUG=True, MEDIA_ROOT=media):
            call_command("seed_demo", stdout=io.StringIO())
        yield media
        transaction.set_rollback(True)


def test_demo_aucun_ecart_apres_correction_et_reemission(demo, settings):
    from django.contrib.auth import get_user_model

    settings.MEDIA_ROOT = demo  # the demo's attestations are checked against their PDF
    from django.db.models import Count

    from heures.models import StatutDeclaration

    suivi = get_user_model().objects.get(username="suivi")
    assert coherence.controler().ok  # the pages and exports of the whole demo
    # The attestations of the last four validated months of the busiest lot with two companies.
    validees = DeclarationMensuelle.objects.filter(statut=StatutDeclaration.VALIDEE)
    mois = sorted(set(validees.values_list("mois", flat=True)))[-4:]
    validees = validees.filter(mois__in=mois)
    lot_id = (
        validees.values("lot")
        .annotate(n=Count("pk"), entreprises=Count("entreprise", distinct=True))
        .filter(entreprises__gte=2)
        .order_by("-n", "lot")[0]["lot"]
    )
    a_attester = validees.filter(lot=lot_id).order_by("mois", "pk")
    emises = [attestations.emettre_mensuelle(d, suivi) for d in a_attester]
    assert len({a.entreprise_id for a in emises}) >= 2
    sortie = io.StringIO()
    call_command("controler_chiffres", stdout=sortie)
    assert "aucun écart" in sortie.getvalue()

    # A correction (+10 h) of a month followed by others for the same company.
    premiere = next(
        a
        for a in sorted(emises, key=lambda a: (a.mois, a.pk))
        if any(b.entreprise_id == a.entreprise_id and b.mois > a.mois for b in emises)
    )
    ligne = premiere.declaration.lignes.first()
    v2 = corriger(premiere, ligne.mission, str(ligne.heures + 10), suivi)
    declarations.valider(v2, v2.version, suivi)
    plus_tard = {
        a.pk for a in emises if a.entreprise_id == premiere.entreprise_id and a.mois > premiere.mois
    }
    controle = coherence.controler()
    assert controle.a_reemettre == len(controle.ecarts) == len(plus_tard)
    with pytest.raises(CommandError):
        call_command("controler_chiffres", stdout=io.StringIO())

    faites, erreurs = attestations.reemettre_tout(suivi)
    assert erreurs == []
    assert {a.pk for a, _ in faites} == plus_tard
    sortie = io.StringIO()
    call_command("controler_chiffres", stdout=sortie)
    assert "aucun écart" in sortie.getvalue()
