"""Browser test of the label, from the eligibility diagnosis to « labellisé » through a jury
session, the company filling its actions through its personal link; then the company is in the
public directory and its certificate is verifiable.

Set ``LABEL_CAPTURES=/un/dossier`` to keep screenshots of the main pages.
"""

import datetime as dt
import io
import os
import re
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from entreprises.models import Entreprise
from label.models import College, DossierLabel, Label, StatutDossier
from mife import roles
from tests.choix_navigateur import choisir
from tests.factories import ContactFactory, EntrepriseFactory, MembreJuryFactory
from tests.outils_label import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CAPTURES = os.environ.get("LABEL_CAPTURES")


def capture(page, nom: str) -> None:
    if CAPTURES:
        Path(CAPTURES).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{CAPTURES}/{nom}.png", full_page=True)


def message(page) -> str:
    return page.locator(".messages").inner_text()


@pytest.fixture(autouse=True)
def reglages(settings, tmp_path, live_server):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = live_server.url


def test_du_diagnostic_au_label(make_user, connexion, navigateur, live_server):
    make_user(roles.ANIMATEUR, username="thomas", first_name="Thomas", last_name="Mougin")
    vauban = EntrepriseFactory(
        raison_sociale="Menuiserie Vauban SAS", commune="Valdoie", code_naf="4332A"
    )
    ContactFactory(
        entreprise=vauban,
        civilite="Mme",
        prenom="Claire",
        nom="Perrin",
        email="c.perrin@vauban.example",
        principal=True,
    )
    for prenom, nom, college in (
        ("Anne", "Dupuis", College.CHAMBRE),
        ("Luc", "Roux", College.ETAT),
        ("Aurélie", "Tisserand", College.FRANCE_TRAVAIL),
    ):
        MembreJuryFactory(prenom=prenom, nom=nom, college=college)
    page = connexion("thomas")
    base = live_server.url

    # 1. Eligibility diagnosis, from the animator's home.
    page.get_by_role("link", name="Faire un diagnostic d'éligibilité").click()
    page.wait_for_url("**/label/diagnostics/nouveau/")
    choisir(page, "Entreprise", "vauban", "Menuiserie Vauban SAS")
    page.get_by_label("Implantée sur le Territoire de Belfort").check()
    page.get_by_label("Accepte les engagements du label").check()
    page.get_by_label("Effectif salarié").fill("14")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/label/diagnostics/*/")
    assert "est éligible au label" in message(page)

    # 2. The dossier is opened from it.
    page.get_by_role("button", name="Ouvrir le dossier de labellisation").click()
    page.wait_for_url("**/label/dossiers/*/")
    dossier = DossierLabel.objects.get()
    assert "En préparation" in page.locator("h1 ~ .badge").first.inner_text()
    assert "Au moins une action sur l'axe « Scolaires »" in page.locator("#manquants").inner_text()

    # 3. A personal link for the company's contact (e-mailed, shown once).
    liens = page.get_by_role("form", name="Envoyer un lien personnel")
    liens.get_by_label("Contact de l'entreprise").select_option(index=0)
    liens.get_by_role("button", name="Envoyer le lien").click()
    page.wait_for_url("**/liens/")
    url_lien = page.get_by_label("Adresse du lien").input_value()
    assert url_lien.startswith(f"{base}/label/espace/")
    assert url_lien in mail.outbox[-1].body

    # 4. The company fills its dossier through the link (no account, another browser).
    contexte = navigateur.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900})
    societe = contexte.new_page()
    societe.set_default_timeout(15_000)
    societe.goto(url_lien)
    assert "Espace personnel de Mme Claire Perrin" in societe.locator("main").inner_text()
    actions = [
        ("demandeurs_emploi", "Demandeurs d'emploi", "", "Immersions professionnelles"),
        ("scolaires", "Scolaires", "", "Stages de 3e"),
        ("salaries", "Salariés", "Tutorat", "Tutorat des apprentis"),
    ]
    for code, libelle, theme, intitule in actions:
        societe.get_by_role("link", name=f"Ajouter une action sur l'axe {libelle}").click()
        societe.wait_for_url(f"**/actions/nouvelle/?axe={code}")
        if theme:
            societe.get_by_label("Thème (axe salariés)").select_option(label=theme)
        societe.get_by_label("Intitulé").fill(intitule)
        societe.get_by_label("Description").fill(f"{intitule} : deux fois par an.")
        societe.get_by_label("Début").fill("2026-01-05")
        societe.get_by_label("Fin", exact=True).fill("2026-06-30")
        societe.get_by_label("Personnes concernées").fill("3")
        societe.get_by_label("Heures").fill("21")
        societe.get_by_role("button", name="Enregistrer").click()
        societe.wait_for_url("**/espace/*/#actions")
        assert f"Action « {intitule} » enregistrée." in message(societe)
        depot = societe.get_by_role("form", name="Déposer une pièce justificative")
        depot.get_by_label("Libellé").fill(f"Preuve : {intitule}")
        depot.get_by_label("Fichier").set_input_files(
            {"name": "preuve.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        depot.get_by_label("Action justifiée").select_option(label=f"{libelle} — {intitule}")
        depot.get_by_role("button", name="Déposer").click()
        societe.wait_for_url("**/espace/*/#pieces")
        assert f"Pièce « Preuve : {intitule} » ajoutée." in message(societe)
    # A renamed executable is refused.
    depot = societe.get_by_role("form", name="Déposer une pièce justificative")
    depot.get_by_label("Libellé").fill("Programme")
    depot.get_by_label("Fichier").set_input_files(
        {"name": "programme.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" * 20}
    )
    depot.get_by_role("button", name="Déposer").click()
    societe.wait_for_url("**/espace/*/#pieces")
    assert "n'est pas un PDF, PNG, JPEG, DOCX, XLSX ou ODT" in message(societe)

    societe.locator("#plan").get_by_role("link", name="Modifier").click()
    societe.get_by_label("Partage de bonnes pratiques").fill("Témoignage au forum de l'alternance.")
    for rang, texte in enumerate(
        ("Livret d'accueil.", "Six stages de 3e.", "Deux tuteurs formés."), start=1
    ):
        annee = "1re" if rang == 1 else f"{rang}e"
        societe.get_by_label(f"Engagements de la {annee} année").fill(texte)
    societe.get_by_role("button", name="Enregistrer").click()
    societe.wait_for_url("**/espace/*/#plan")
    assert "Tout est renseigné" in societe.locator("#completude").inner_text()
    capture(societe, "1-espace-entreprise")

    # 5. The animator sees who changed what, files the dossier and declares it receivable.
    page.goto(f"{base}{dossier.get_absolute_url()}")
    journal = page.locator("#journal").inner_text()
    assert "Mme Claire Perrin (entreprise, lien personnel)" in journal
    assert "Action « Stages de 3e » ajoutée (axe Scolaires)" in journal
    capture(page, "2-dossier")
    page.get_by_role("button", name="Déposer le dossier").click()
    page.wait_for_load_state()
    assert "le dossier est « Déposé »" in message(page)
    page.get_by_role("button", name="Déclarer recevable").click()
    page.wait_for_load_state()
    assert "le dossier est « Recevable »" in message(page)

    # 6. A jury session tomorrow: members, agenda, convocations with .ics.
    page.goto(f"{base}/label/jurys/")
    page.get_by_role("link", name="Nouvelle session").first.click()
    demain = timezone.localtime() + dt.timedelta(days=1)
    page.get_by_label("Date et heure").fill(demain.strftime("%Y-%m-%dT14:00"))
    page.get_by_label("Lieu").fill("MIFE du Territoire de Belfort — salle du conseil")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/label/jurys/*/")
    page.get_by_role("link", name="Membres", exact=True).click()
    for nom in ("Anne Dupuis", "Luc Roux", "Aurélie Tisserand"):
        page.get_by_label(nom, exact=False).check()
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/label/jurys/*/")
    inscription = page.get_by_role("form", name="Inscrire un dossier")
    inscription.get_by_label("Dossier recevable à inscrire").select_option(index=0)
    inscription.get_by_role("button", name="Inscrire à l'ordre du jour").click()
    page.wait_for_load_state()
    assert "inscrit à l'ordre du jour, passage à 14:00" in message(page)
    avant = len(mail.outbox)
    page.get_by_role("button", name="Envoyer les convocations").click()
    page.wait_for_load_state()
    assert "Convocations envoyées : 3 membres du jury, 1 entreprise." in message(page)
    assert len(mail.outbox) == avant + 4
    assert all(m.attachments[0][0] == "invitation.ics" for m in mail.outbox[avant:])

    # 7. The session takes place (moved to this morning): attendance, opinions, decision.
    page.get_by_role("link", name="Modifier", exact=True).click()
    ce_matin = timezone.localtime() - dt.timedelta(hours=1)
    page.get_by_label("Date et heure").fill(ce_matin.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/label/jurys/*/")
    page.get_by_role("button", name="Marquer la session comme tenue").click()
    page.wait_for_load_state()
    for nom in ("Anne Dupuis", "Luc Roux", "Aurélie Tisserand"):
        page.get_by_label(f"Présence de {nom}").select_option(label="Présent·e")
    page.get_by_role("button", name="Enregistrer les présences").click()
    page.wait_for_load_state()
    assert "Quorum atteint : 3 présents sur 3" in message(page)
    avis = page.get_by_role("form", name="Avis des membres sur Menuiserie Vauban SAS")
    avis.get_by_label("Avis de Anne Dupuis").select_option(label="Favorable")
    avis.get_by_label("Avis de Luc Roux").select_option(label="Favorable avec réserves")
    avis.get_by_label("Avis de Aurélie Tisserand").select_option(label="Favorable")
    avis.get_by_role("button", name="Enregistrer les avis").click()
    page.wait_for_load_state()
    assert "3 avis enregistrés" in message(page)
    decision = page.get_by_role("form", name="Décision sur Menuiserie Vauban SAS")
    decision.get_by_label("Décision du jury").select_option(label="Labellisé")
    decision.get_by_label("Motivation").fill("Démarche complète sur les trois axes.")
    decision.get_by_role("button", name="Enregistrer la décision").click()
    page.wait_for_load_state()
    assert "Menuiserie Vauban SAS : labellisé." in message(page)
    capture(page, "3-session")
    page.get_by_role("button", name="Clôturer la session").click()
    page.wait_for_load_state()
    assert "Session clôturée" in message(page)
    dossier.refresh_from_db()
    assert dossier.statut == StatutDossier.LABELLISE
    label = Label.objects.get()

    # 8. The certificate (PDF) leads to the public verification page.
    page.goto(f"{base}{label.get_absolute_url()}")
    lien = page.get_by_role("link", name="Certificat (PDF)").get_attribute("href")
    certificat = page.request.get(f"{base}{lien}")
    assert certificat.headers["content-type"] == "application/pdf"
    texte = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(certificat.body())).pages).split()
    )
    assert "Menuiserie Vauban SAS" in texte and label.numero in texte
    verification = re.search(rf"{re.escape(base)}/label/verifier/[\w-]+/", texte).group(0)

    public = contexte.new_page()
    public.goto(f"{base}/label/annuaire/")
    annuaire = public.locator("#annuaire").inner_text()
    assert "Menuiserie Vauban SAS" in annuaire and "Valdoie" in annuaire
    assert "Construction" in annuaire and label.date_expiration.strftime("%d/%m/%Y") in annuaire
    capture(public, "4-annuaire")
    public.goto(verification)
    assert (
        "Certificat authentique, label en cours de validité." in public.locator("main").inner_text()
    )
    assert "Menuiserie Vauban SAS" in public.locator("main").inner_text()
    capture(public, "5-verification")
    contexte.close()
    assert Entreprise.objects.get(pk=vauban.pk).labels.count() == 1
