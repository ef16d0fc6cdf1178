"""The demo data command: refused without DEBUG, believable, valid, deterministic, idempotent."""

import re
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import override_settings
from stdnum.fr import siret

from entreprises.models import Contact, Entreprise, TypeIdentifiant, TypeStructure
from heures import selectors as heures_selectors
from heures.models import (
    Attestation,
    BesoinRecrutement,
    CompteurNumero,
    CritereParticipant,
    DeclarationMensuelle,
    LigneDeclaration,
    Mission,
    Modalite,
    Participant,
    Prescripteur,
    Proposition,
    Relance,
    Sexe,
    StatutAttestation,
    StatutBesoin,
    StatutDeclaration,
    StatutProposition,
)
from heures.selectors_mois import lignes_du_mois
from heures.services import besoins as besoins_service
from heures.services import missions as missions_service
from label import selectors
from label.models import (
    ActionLabel,
    Axe,
    College,
    ConvocationJury,
    DiagnosticEligibilite,
    DossierLabel,
    EvenementAnimation,
    Label,
    MembreJury,
    ParticipationEvenement,
    PassageJury,
    SessionJury,
    StatutDossier,
    StatutSession,
)
from marches import cpv
from marches.models import Clause, DonneurOrdre, Echange, Lot, Marche, Operation, ReferenceCalcul
from mife import roles
from mife.core.images import verifier_image
from mife.core.mois import dernier_jour, mois_precedent, premier_jour
from mife.management.commands import seed_demo
from mife.models import Parametres, User
from tests.test_documents_structure import _nombre_images

APPS = ("mife", "entreprises", "marches", "heures", "label")
COMPTES = {
    "facilitateur": roles.FACILITATEUR,
    "facilitateur2": roles.FACILITATEUR,
    "facilitateur3": roles.FACILITATEUR,
    "suivi": roles.SUIVI,
    "animateur": roles.ANIMATEUR,
    "direction": roles.DIRECTION,
    "admin": roles.ADMIN,
}


def lancer() -> str:
    sortie = StringIO()
    call_command("seed_demo", stdout=sortie)
    return sortie.getvalue()


def compter_lignes() -> dict[str, int]:
    """Rows of every table of the project's apps (history and many-to-many tables included)."""
    return {
        model._meta.label: model._default_manager.count()
        for app in APPS
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
    }


@pytest.fixture(scope="module")
def jeu_demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo data, loaded once for the module and rolled back at its end.

    Each test still runs in its own savepoint (pytest-django), so a test that writes leaves
    nothing behind for the next one.
    """
    media = tmp_path_factory.mktemp("media-demo")  # the PDFs of its attestations
    # MEDIA_ROOT stays the module's: the tests read the files the command wrote.
    with override_settings(MEDIA_ROOT=media), django_db_blocker.unblock(), transaction.atomic():
        with override_settings(DEBUG=True):
            sortie = lancer()
        yield sortie
        transaction.set_rollback(True)


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_refuse_de_tourner_sans_debug():
    avant = compter_lignes()
    with pytest.raises(CommandError, match=r"DEBUG=1") as erreur:
        lancer()
    message = str(erreur.value)
    assert "production" in message
    assert "demo" in message
    assert compter_lignes() == avant


@pytest.mark.django_db
def test_comptes_de_demo_un_par_role(jeu_demo):
    for username, role in COMPTES.items():
        user = User.objects.get(username=username)
        assert user.check_password("demo")
        assert user.is_active
        assert list(user.groups.values_list("name", flat=True)) == [
            roles.ROLES_PAR_CODE[role].groupe
        ]
        assert user.first_name and user.last_name and user.fonction
        assert user.email.endswith("@mife90.fr")
        assert not user.is_superuser
        assert user.is_staff == (username == "admin")
    assert User.objects.filter(groups__name="Facilitateur·rice").count() == 3


@pytest.mark.django_db
def test_parametres_completes(jeu_demo):
    parametres = Parametres.get()
    assert parametres.signataire_nom == User.objects.get(username="direction").get_full_name()
    assert parametres.signataire_titre
    # The full postal address (the migration's row had no street), a logo and a signature as
    # the administrator would upload them: the demo's attestations carry all three.
    assert parametres.adresse.splitlines() == [
        "Maison de l'Information, de la Formation et de l'Emploi",
        "2 rue Jean-Jaurès",
        "90000 Belfort",
    ]
    for chemin in (parametres.chemin_logo, parametres.chemin_signature):
        assert chemin.startswith(str(settings.MEDIA_ROOT))
        with open(chemin, "rb") as fichier:
            verifier_image(File(fichier, name=chemin))
    with Attestation.objects.filter(statut=StatutAttestation.EMISE).first().fichier.open() as f:
        assert _nombre_images(f.read()) >= 2


@pytest.mark.django_db
def test_marches_lots_et_clauses(jeu_demo):
    assert 7 <= DonneurOrdre.objects.count() <= 10
    assert DonneurOrdre.objects.filter(nom="Ville de Belfort").exists()
    assert Operation.objects.count() == 15
    assert Operation.objects.filter(renouvellement_urbain=True).exists()
    assert 20 <= Marche.objects.count() <= 30
    assert Lot.objects.count() == 40
    assert Clause.objects.count() == 40
    references = {r.nature: r for r in ReferenceCalcul.objects.all()}
    types_de_clause = set()
    ajustees = 0
    for lot in Lot.objects.select_related("marche", "clause", "titulaire"):
        clause = lot.clause
        types_de_clause.add(clause.type)
        assert lot.titulaire is not None
        assert lot.facilitateur.groups.filter(name="Facilitateur·rice").exists()
        assert lot.marche.date_notification <= lot.date_debut <= lot.date_fin
        assert cpv.valider(lot.marche.code_cpv) == lot.marche.code_cpv
        assert clause.montant_base == lot.montant_ht
        assert clause.cout_horaire == references[lot.marche.nature].cout_horaire
        attendu = Clause.calculer_heures(
            clause.montant_base, clause.part_main_oeuvre, clause.taux_insertion, clause.cout_horaire
        )
        assert clause.heures_calculees == attendu > 0
        if clause.est_ajustee:
            ajustees += 1
            assert clause.motif_derogation
    assert types_de_clause == {
        "L2112-2",
        "L2152-7",
        "L2113-12",
        "L2113-13",
        "R2123-1",
    }
    assert 2 <= ajustees <= 6
    mois_courant = premier_jour(date.today())
    assert Lot.objects.filter(date_fin__lt=mois_courant).exists()  # terminés
    assert Lot.objects.filter(date_debut__lt=mois_courant, date_fin__gte=mois_courant).exists()
    assert Lot.objects.filter(date_debut__gt=date.today()).exists()  # à venir
    assert Lot.objects.exclude(cotraitants=None).exists()
    assert Lot.objects.exclude(sous_traitants=None).exists()


@pytest.mark.django_db
def test_entreprises_aux_siret_valides(jeu_demo):
    assert Entreprise.objects.count() == 30
    for entreprise in Entreprise.objects.all():
        assert entreprise.type_identifiant == TypeIdentifiant.SIRET
        assert siret.is_valid(entreprise.identifiant), entreprise.identifiant
        assert entreprise.commune and entreprise.code_postal
        assert entreprise.contacts.filter(principal=True).count() == 1
    types = set(Entreprise.objects.values_list("type_structure", flat=True))
    assert {
        TypeStructure.ETTI,
        TypeStructure.AI,
        TypeStructure.EI,
        TypeStructure.ACI,
        TypeStructure.GEIQ,
        TypeStructure.EA,
        TypeStructure.CLASSIQUE,
    } <= types
    assert Entreprise.objects.filter(raison_sociale__icontains="GEIQ BTP").exists()
    communes = set(Entreprise.objects.values_list("commune", flat=True))
    assert {"Belfort", "Delle", "Valdoie"} <= communes


@pytest.mark.django_db
def test_participants_et_criteres(jeu_demo):
    assert Prescripteur.objects.count() == 8
    assert Prescripteur.objects.filter(nom="France Travail Belfort").exists()
    assert Participant.objects.count() == 60
    assert set(Participant.objects.values_list("sexe", flat=True)) == {Sexe.FEMME, Sexe.HOMME}
    assert Participant.objects.filter(resident_qpv=True).exists()
    codes = set(CritereParticipant.objects.values_list("critere__code", flat=True))
    assert "rqth" in codes
    for participant in Participant.objects.prefetch_related("criteres_valides", "missions"):
        criteres = list(participant.criteres_valides.all())
        assert 1 <= len(criteres) <= 2
        premiere = min(m.date_debut for m in participant.missions.all())
        assert 18 <= participant.age_le(premiere) <= 62
        for critere in criteres:
            assert critere.prescripteur_id is not None
            assert critere.date_validation < premiere


@pytest.mark.django_db
def test_missions(jeu_demo):
    missions = list(Mission.objects.select_related("lot", "employeur"))
    assert len(missions) == 80
    assert {m.modalite for m in missions} == set(Modalite.values)
    assert all(re.fullmatch(r"MIS-\d{4}-\d{4}", m.reference) for m in missions)
    for mission in missions:
        assert mission.reference[4:8] == str(mission.date_debut.year)
        assert mission.lot.date_debut <= mission.date_debut <= mission.date_fin
        assert mission.date_fin <= mission.lot.date_fin
        if mission.sortie:
            assert mission.date_sortie == mission.date_fin < date.today()
    assert any(m.sortie for m in missions)
    employeurs = {m.employeur.type_structure for m in missions}
    assert {TypeStructure.CLASSIQUE, TypeStructure.ETTI, TypeStructure.GEIQ} <= employeurs
    assert any(m.employeur_id == m.lot.titulaire_id for m in missions)


@pytest.mark.django_db
def test_declarations_dans_tous_les_etats(jeu_demo):
    statuts = set(DeclarationMensuelle.objects.values_list("statut", flat=True))
    assert statuts == set(StatutDeclaration.values)
    mois = sorted(set(DeclarationMensuelle.objects.values_list("mois", flat=True)))
    mois_courant = premier_jour(date.today())
    assert len(mois) == 18
    assert mois[-1] == mois_precedent(mois_courant)

    suivi = User.objects.get(username="suivi")
    for declaration in DeclarationMensuelle.objects.exclude(statut__in=["brouillon", "soumise"]):
        assert declaration.traitee_par == suivi
        assert declaration.soumise_le < declaration.traitee_le
    for rejetee in DeclarationMensuelle.objects.filter(statut="rejetee"):
        assert rejetee.motif_rejet
    assert DeclarationMensuelle.objects.filter(statut="rejetee").count() >= 2
    assert not DeclarationMensuelle.objects.filter(statut="brouillon", soumise_le__isnull=False)

    corrigee = DeclarationMensuelle.objects.get(numero_version=2)
    ancienne = corrigee.remplace
    assert ancienne.statut == StatutDeclaration.REMPLACEE
    assert corrigee.statut == StatutDeclaration.VALIDEE
    assert corrigee.motif_correction
    assert (ancienne.entreprise_id, ancienne.lot_id, ancienne.mois) == (
        corrigee.entreprise_id,
        corrigee.lot_id,
        corrigee.mois,
    )

    alerte = DeclarationMensuelle.objects.get(
        statut=StatutDeclaration.SOUMISE, lignes__heures=Decimal("168.00")
    )
    for ligne in LigneDeclaration.objects.select_related("declaration", "mission"):
        declaration, mission = ligne.declaration, ligne.mission
        assert mission.lot_id == declaration.lot_id
        assert mission.employeur_id == declaration.entreprise_id
        assert mission.date_debut <= dernier_jour(declaration.mois)
        assert mission.date_fin >= declaration.mois
        assert ligne.heures == ligne.heures.quantize(Decimal("0.01"))
        maximum = Decimal("165.67") if declaration.numero_version == 2 else Decimal("151.67")
        if declaration == alerte:  # the line above the alert threshold, on purpose
            maximum = Decimal("168.00")
        assert Decimal("20") <= ligne.heures <= maximum


@pytest.mark.django_db
def test_une_declaration_soumise_montre_ses_alertes(jeu_demo):
    """The suivi's check before validation has something to show in the demo: the latest
    submitted declaration has a line above the monthly alert threshold."""
    soumise = DeclarationMensuelle.objects.get(
        statut=StatutDeclaration.SOUMISE, lignes__heures=Decimal("168.00")
    )
    assert soumise.mois == max(
        DeclarationMensuelle.objects.filter(statut=StatutDeclaration.SOUMISE).values_list(
            "mois", flat=True
        )
    )
    controle = heures_selectors.controle_declaration(soumise, date.today())
    codes = {anomalie.code for _, anomalie in controle.anomalies}
    assert "maximum" in codes


@pytest.mark.django_db
def test_attestations_emises_dont_une_reemise(jeu_demo):
    emises = Attestation.objects.filter(statut=StatutAttestation.EMISE)
    assert emises.count() == seed_demo.NB_ATTESTATIONS + 1
    assert all(a.fichier and len(a.sha256) == 64 for a in Attestation.objects.all())
    assert all(re.fullmatch(r"ATT-\d{4}-\d{2}-\d{5}", a.numero) for a in Attestation.objects.all())
    # The corrected declaration: its version 1 had an attestation, replaced at re-issue.
    (remplacee,) = Attestation.objects.filter(statut=StatutAttestation.REMPLACEE)
    corrigee = DeclarationMensuelle.objects.get(numero_version=2)
    assert remplacee.declaration == corrigee.remplace
    nouvelle = remplacee.remplacee_par
    assert nouvelle.declaration == corrigee and nouvelle.statut == StatutAttestation.EMISE
    assert nouvelle.motif.startswith(f"Remplace l'attestation {remplacee.numero}")
    assert nouvelle.total_heures == remplacee.total_heures + Decimal("14.00")
    # The motif names the mission by the reference it was given.
    reference = re.search(r"\((MIS-\d{4}-\d{4})\)", corrigee.motif_correction).group(1)
    assert Mission.objects.filter(reference=reference).exists()
    # The others: validated declarations of the month before last, none to re-issue.
    mois = DeclarationMensuelle.objects.order_by("-mois").values_list("mois", flat=True)[0]
    autres = emises.exclude(pk=nouvelle.pk)
    assert {a.mois for a in autres} == {mois_precedent(mois)}
    assert all(a.declaration.statut == StatutDeclaration.VALIDEE for a in autres)
    assert not heures_selectors.attestations_a_reemettre().exists()


@pytest.mark.django_db
def test_references_des_missions_tirees_du_compteur(jeu_demo):
    for annee in {m.date_debut.year for m in Mission.objects.all()}:
        compteur = CompteurNumero.objects.get(prefixe=f"MIS-{annee}")
        nombre = Mission.objects.filter(reference__startswith=f"MIS-{annee}-").count()
        assert compteur.dernier == nombre
        assert Mission.objects.filter(reference=f"MIS-{annee}-{nombre:04d}").exists()
    # A mission typed next gets the following number, no collision with the demo's.
    annee = max(m.date_debut.year for m in Mission.objects.all())
    suivante = missions_service.reference_suivante(annee)
    assert not Mission.objects.filter(reference=suivante).exists()


@pytest.mark.django_db
def test_echanges_avec_prochaines_actions(jeu_demo):
    avec_action = Echange.objects.exclude(prochaine_action="")
    assert avec_action.count() >= 5
    faites = avec_action.filter(action_faite_le__isnull=False)
    a_faire = avec_action.filter(action_faite_le__isnull=True)
    assert faites.exists() and a_faire.exists()
    for echange in avec_action:
        assert echange.echeance >= echange.date
        echange.full_clean()
    assert all(e.action_faite_par_id for e in faites)


@pytest.mark.django_db
def test_besoins_ouverts_et_propositions(jeu_demo):
    besoins = BesoinRecrutement.objects.all()
    assert besoins.count() == len(seed_demo.BESOINS)
    assert {b.statut for b in besoins} == {StatutBesoin.OUVERT}
    for besoin in besoins:
        besoins_service.verifier_besoin(besoin)
        assert besoin.lot.titulaire_id == besoin.entreprise_id
    statuts = {p.statut for p in Proposition.objects.all()}
    assert statuts == {
        StatutProposition.PROPOSE,
        StatutProposition.ENTRETIEN,
        StatutProposition.NON_RETENU,
    }
    assert Proposition.objects.count() == 3 * len(seed_demo.BESOINS)
    for proposition in Proposition.objects.all():
        proposition.full_clean()
        assert proposition.mission is None


@pytest.mark.django_db
def test_journal_des_relances(jeu_demo):
    relances = Relance.objects.select_related("entreprise", "lot")
    assert relances.exists()
    mois = DeclarationMensuelle.objects.order_by("-mois").values_list("mois", flat=True)[0]
    a_relancer = {(li.entreprise_id, li.lot_id) for li in lignes_du_mois(mois) if li.a_relancer}
    assert {(r.entreprise_id, r.lot_id) for r in relances} == a_relancer
    suivi = User.objects.get(username="suivi")
    for relance in relances:
        assert relance.mois == mois and relance.envoyee_par == suivi
        assert relance.statut == "envoyee" and "@" in relance.destinataires
        assert relance.sujet and relance.corps
        assert relance.cree_le.date() > dernier_jour(mois)


@pytest.mark.django_db
def test_label(jeu_demo):
    dossiers = DossierLabel.objects.all()
    assert dossiers.count() == 11
    assert {d.statut for d in dossiers} == set(StatutDossier.values)  # every state shown
    for dossier in dossiers:
        axes = set(dossier.actions.values_list("axe", flat=True))
        assert axes == set(Axe.values)
        assert dossier.journal.filter(statut_apres=dossier.statut).exists()
        assert dossier.renouvellement or dossier.diagnostic_eligibilite.eligible
    assert DiagnosticEligibilite.objects.filter(eligible=False).count() == 1
    assert not ActionLabel.objects.filter(axe=Axe.SALARIES, theme="").exists()
    assert not ActionLabel.objects.exclude(axe=Axe.SALARIES).exclude(theme="").exists()

    assert MembreJury.objects.count() == 8
    assert len(set(MembreJury.objects.values_list("college", flat=True))) >= 5
    assert set(MembreJury.objects.values_list("college", flat=True)) <= set(College.values)
    tenue = SessionJury.objects.get(statut=StatutSession.TENUE)
    prevue = SessionJury.objects.get(statut=StatutSession.PLANIFIEE)
    ancienne = SessionJury.objects.get(statut=StatutSession.CLOTUREE)
    assert ancienne.date < tenue.date < prevue.date
    assert prevue.date.date() > date.today()
    assert ConvocationJury.objects.filter(session=tenue).count() == 8
    assert selectors.quorum(tenue).atteint
    passages = PassageJury.objects.filter(session=tenue)
    assert passages.exclude(decision="").count() == passages.count() == 4
    assert all(p.avis.exists() and p.debut for p in passages)
    a_venir = PassageJury.objects.filter(session=prevue)
    assert a_venir.count() == 2 and not a_venir.exclude(decision="").exists()
    assert {p.dossier.statut for p in a_venir} == {StatutDossier.INSCRIT}

    labellises = dossiers.filter(statut=StatutDossier.LABELLISE)
    assert labellises.count() == Label.objects.count() == 3
    for dossier in labellises:
        label = dossier.label
        passage = dossier.passages.get(decision="labellise")
        assert label.entreprise_id == dossier.entreprise_id
        assert label.date_obtention == passage.session.date.date()
        debut = label.date_obtention
        assert label.date_expiration == debut.replace(year=debut.year + 3)
        assert label.numero and label.code_verification
    # One label to renew within six months (reminder, animator's home).
    assert selectors.labels_a_renouveler(date.today()).count() == 1

    assert EvenementAnimation.objects.count() == 4
    assert ParticipationEvenement.objects.count() >= 15
    assert ParticipationEvenement.objects.filter(present=None).count() == 5  # the one to come


@pytest.mark.django_db
def test_chaque_objet_passe_full_clean(jeu_demo):
    modeles = [
        User,
        DonneurOrdre,
        Operation,
        Marche,
        Lot,
        Clause,
        Entreprise,
        Prescripteur,
        Participant,
        Mission,
        DossierLabel,
        ActionLabel,
        MembreJury,
        SessionJury,
        PassageJury,
        Label,
        EvenementAnimation,
    ]
    for modele in modeles:
        for objet in modele._default_manager.all():
            objet.full_clean()
    # The big tables: a sample (each full_clean runs several queries), every state included.
    declarations = DeclarationMensuelle.objects.order_by("pk")
    echantillon = [*declarations[::10], *declarations.exclude(statut="validee")]
    for declaration in echantillon:
        declaration.full_clean()
    for ligne in LigneDeclaration.objects.order_by("pk")[::10]:
        ligne.full_clean()
    for modele in (Contact, CritereParticipant):
        for objet in modele.objects.order_by("pk")[::3]:
            objet.full_clean()


@pytest.mark.django_db
def test_relancer_ne_change_rien(jeu_demo):
    def instantane():
        return {
            "comptes": compter_lignes(),
            "users": list(User.objects.order_by("pk").values()),
            "lots": list(Lot.objects.order_by("pk").values()),
            "clauses": list(Clause.objects.order_by("pk").values()),
            "entreprises": list(Entreprise.objects.order_by("pk").values()),
            "participants": list(Participant.objects.order_by("pk").values()),
            "missions": list(Mission.objects.order_by("pk").values()),
            "declarations": list(DeclarationMensuelle.objects.order_by("pk").values()),
            "lignes": list(LigneDeclaration.objects.order_by("pk").values()),
            "labels": list(Label.objects.order_by("pk").values()),
            "attestations": list(Attestation.objects.order_by("pk").values()),
            "relances": list(Relance.objects.order_by("pk").values()),
            "besoins": list(BesoinRecrutement.objects.order_by("pk").values()),
            "propositions": list(Proposition.objects.order_by("pk").values()),
            "echanges": list(Echange.objects.order_by("pk").values()),
            "parametres": list(Parametres.objects.values()),
        }

    avant = instantane()
    with override_settings(DEBUG=True):
        sortie = lancer()
    assert "0 objets créés, 0 mis à jour" in sortie
    apres = instantane()
    assert apres["comptes"] == avant["comptes"]
    for cle in avant:
        assert apres[cle] == avant[cle], cle


@pytest.mark.django_db
def test_relancer_un_autre_mois_garde_le_mois_de_reference(jeu_demo, monkeypatch):
    """The dates of a loaded demo stay put: no duplicates when it is run again months later."""

    class DansTroisMois(date):
        @classmethod
        def today(cls):
            return date.today() + timedelta(days=92)

    monkeypatch.setattr(seed_demo, "date", DansTroisMois)
    avant = compter_lignes()
    with override_settings(DEBUG=True):
        sortie = lancer()
    assert "0 objets créés, 0 mis à jour" in sortie
    assert compter_lignes() == avant


@pytest.mark.django_db
def test_resume_en_francais(jeu_demo):
    assert "Données de démonstration" in jeu_demo
    assert "40 lots" in jeu_demo
    assert "60 participants" in jeu_demo
    assert "mot de passe « demo »" in jeu_demo
