"""Monthly declarations workflow and monthly attestations (numbering, PDF, verification)."""

import datetime as dt
import threading
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.urls import reverse
from pypdf import PdfReader

from heures import selectors
from heures.models import Attestation, DeclarationMensuelle, LigneDeclaration, StatutDeclaration
from heures.services import attestations, declarations
from mife import roles
from mife.core.concurrence import ConflitDeVersion
from mife.core.models import Parametres
from tests.factories import (
    ClauseFactory,
    EntrepriseFactory,
    MissionFactory,
    ParticipantFactory,
)

pytestmark = pytest.mark.django_db
MOIS = dt.date(2026, 3, 1)


@pytest.fixture
def lot():
    clause = ClauseFactory(
        heures_requises=Decimal("500"),
        lot__date_debut=dt.date(2026, 1, 5),
        lot__date_fin=dt.date(2027, 6, 30),
        lot__marche__date_notification=dt.date(2025, 12, 1),
    )
    return clause.lot


@pytest.fixture
def missions(lot):
    return [
        MissionFactory(
            lot=lot,
            employeur=lot.titulaire,
            participant=ParticipantFactory(nom="Zébulon", prenom="Awa"),
            date_debut=dt.date(2026, 2, 1),
            date_fin=dt.date(2026, 12, 31),
        ),
        MissionFactory(
            lot=lot,
            employeur=lot.titulaire,
            participant=ParticipantFactory(nom="Quasimodo", prenom="Hugo"),
            date_debut=dt.date(2026, 3, 10),
            date_fin=None,
        ),
    ]


@pytest.fixture
def suivi(make_user):
    return make_user(roles.SUIVI, username="suivi", first_name="Sandrine", last_name="Faivre")


@pytest.fixture
def facilitateur(make_user):
    """Enters and submits the hours; the suivi validates them (four eyes)."""
    return make_user(roles.FACILITATEUR, username="fanny", first_name="Fanny")


def _declaration_soumise(lot, missions, user, heures=("80", "35.5")):
    d = declarations.creer(lot.titulaire, lot, MOIS, user)
    valeurs = {m.pk: Decimal(h) for m, h in zip(missions, heures, strict=True)}
    d = declarations.enregistrer_lignes(d, valeurs, d.version, user)
    return declarations.soumettre(d, d.version, user)


def _texte_pdf(attestation: Attestation) -> str:
    attestation.fichier.open("rb")
    try:
        reader = PdfReader(BytesIO(attestation.fichier.read()))
    finally:
        attestation.fichier.close()
    return "\n".join(page.extract_text() for page in reader.pages)


class TestWorkflow:
    def test_brouillon_soumise_validee_et_attestation(self, lot, missions, suivi, facilitateur):
        d = _declaration_soumise(lot, missions, facilitateur)
        assert d.statut == StatutDeclaration.SOUMISE
        assert selectors.heures_realisees_lot(lot) == 0  # not validated yet
        d, attestation = declarations.valider(d, d.version, suivi)
        assert d.statut == StatutDeclaration.VALIDEE
        assert d.traitee_par == suivi
        assert selectors.heures_realisees_lot(lot) == Decimal("115.50")
        assert attestation.numero == "ATT-2026-03-00001"
        assert attestation.total_heures == Decimal("115.50")
        assert attestation.cumul_heures == Decimal("115.50")
        assert attestation.heures_requises == Decimal("500")
        assert len(attestation.sha256) == 64

    def test_pdf_contient_les_bons_totaux_sans_identite(self, lot, missions, suivi, facilitateur):
        d = _declaration_soumise(lot, missions, facilitateur)
        _, attestation = declarations.valider(d, d.version, suivi)
        texte = _texte_pdf(attestation)
        assert "ATT-2026-03-00001" in texte
        assert "mars 2026" in texte
        assert "115,5 h" in texte
        assert "80 h" in texte and "35,5 h" in texte
        assert "500 h" in texte  # required
        lisible = " ".join(texte.split())
        assert "sur ce lot, cumulées jusqu'à fin mars 2026 115,5 h" in lisible
        assert "384,5 h" not in texte  # the lot's « reste » belongs to the lot, not the company
        assert "Les heures des autres entreprises du lot n'y entrent pas" in lisible
        assert "A.Z." in texte and "H.Q." in texte
        assert "Zébulon" not in texte and "Quasimodo" not in texte
        assert lot.marche.donneur_ordre.nom in texte
        assert f"/verifier/{attestation.code_verification}/" in texte

    def test_identite_complete_si_configuree(self, lot, missions, suivi, facilitateur):
        parametres = Parametres.get()
        parametres.identite_sur_attestations = True
        parametres.save()
        d = _declaration_soumise(lot, missions, facilitateur)
        _, attestation = declarations.valider(d, d.version, suivi)
        assert "ZÉBULON Awa" in _texte_pdf(attestation)

    def test_rejet_motive_puis_correction_du_brouillon(self, lot, missions, suivi, facilitateur):
        d = _declaration_soumise(lot, missions, facilitateur)
        with pytest.raises(ValidationError):
            declarations.rejeter(d, "  ", d.version, suivi)
        d = declarations.rejeter(d, "Heures de mars incohérentes", d.version, suivi)
        assert d.statut == StatutDeclaration.REJETEE
        d = declarations.enregistrer_lignes(d, {missions[0].pk: Decimal("70")}, d.version, suivi)
        assert d.statut == StatutDeclaration.BROUILLON
        assert LigneDeclaration.objects.get(declaration=d, mission=missions[0]).heures == 70

    def test_validee_verrouillee(self, lot, missions, suivi, facilitateur):
        d = _declaration_soumise(lot, missions, facilitateur)
        d, _ = declarations.valider(d, d.version, suivi)
        with pytest.raises(ValidationError, match="ne se modifie plus"):
            declarations.enregistrer_lignes(d, {missions[0].pk: Decimal("1")}, d.version, suivi)
        assert LigneDeclaration.objects.get(declaration=d, mission=missions[0]).heures == 80

    @pytest.mark.parametrize(
        ("heures", "message"),
        [
            ("-1", "négatives"),
            ("10.555", "deux décimales"),
            ("250", "plafond"),
        ],
    )
    def test_heures_invalides_rien_d_enregistre(self, lot, missions, suivi, heures, message):
        d = declarations.creer(lot.titulaire, lot, MOIS, suivi)
        with pytest.raises(ValidationError, match=message):
            declarations.enregistrer_lignes(
                d,
                {missions[0].pk: Decimal("10"), missions[1].pk: Decimal(heures)},
                d.version,
                suivi,
            )
        assert not LigneDeclaration.objects.filter(declaration=d).exists()

    def test_mission_inactive_refusee(self, lot, missions, suivi):
        d = declarations.creer(lot.titulaire, lot, dt.date(2026, 2, 1), suivi)
        with pytest.raises(ValidationError, match="pas active"):
            declarations.enregistrer_lignes(d, {missions[1].pk: Decimal("5")}, d.version, suivi)

    def test_une_seule_declaration_par_mois(self, lot, missions, suivi):
        premiere = declarations.creer(lot.titulaire, lot, MOIS, suivi)
        assert declarations.creer(lot.titulaire, lot, dt.date(2026, 3, 15), suivi) == premiere
        assert DeclarationMensuelle.objects.count() == 1

    def test_validation_concurrente_refusee(self, lot, missions, suivi, facilitateur, make_user):
        d = _declaration_soumise(lot, missions, facilitateur)
        version_ouverte = d.version
        autre = make_user(roles.SUIVI, username="autre", first_name="Paul", last_name="Roy")
        declarations.rejeter(d, "Manque une ligne", version_ouverte, autre)
        with pytest.raises(ConflitDeVersion, match="Paul Roy"):
            declarations.valider(d, version_ouverte, suivi)
        d.refresh_from_db()
        assert d.statut == StatutDeclaration.REJETEE
        assert not Attestation.objects.exists()

    def test_emission_idempotente(self, lot, missions, suivi, facilitateur):
        d = _declaration_soumise(lot, missions, facilitateur)
        d, attestation = declarations.valider(d, d.version, suivi)
        assert attestations.emettre_mensuelle(d, suivi) == attestation
        assert Attestation.objects.count() == 1


class TestNumerotation:
    def test_numeros_successifs_par_mois(self):
        with transaction.atomic():
            numeros = [attestations.numero_suivant("ATT-2026-04") for _ in range(3)]
            autre = attestations.numero_suivant("ATT-2026-05")
        assert numeros == ["ATT-2026-04-00001", "ATT-2026-04-00002", "ATT-2026-04-00003"]
        assert autre == "ATT-2026-05-00001"

    def test_une_annulation_ne_laisse_pas_de_trou(self):
        with transaction.atomic():
            attestations.numero_suivant("ATT-2026-06")
        with pytest.raises(RuntimeError), transaction.atomic():
            attestations.numero_suivant("ATT-2026-06")
            raise RuntimeError("échec de génération")
        with transaction.atomic():
            assert attestations.numero_suivant("ATT-2026-06") == "ATT-2026-06-00002"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="verrous de ligne : PostgreSQL")
def test_numerotation_concurrente_sans_doublon_ni_trou():
    resultats, erreurs = [], []
    depart = threading.Barrier(8)

    def travail():
        try:
            depart.wait()
            for _ in range(5):
                with transaction.atomic():
                    resultats.append(attestations.numero_suivant("ATT-2026-07"))
        except Exception as exc:  # pragma: no cover - reported below
            erreurs.append(exc)
        finally:
            connections.close_all()

    fils = [threading.Thread(target=travail) for _ in range(8)]
    for f in fils:
        f.start()
    for f in fils:
        f.join()
    assert erreurs == []
    assert sorted(resultats) == [f"ATT-2026-07-{n:05d}" for n in range(1, 41)]


class TestVerification:
    def test_page_publique_sans_connexion(self, client, lot, missions, suivi, facilitateur):
        d = _declaration_soumise(lot, missions, facilitateur)
        _, attestation = declarations.valider(d, d.version, suivi)
        response = client.get(reverse("verifier_attestation", args=[attestation.code_verification]))
        texte = response.content.decode()
        assert response.status_code == 200
        assert "Attestation valide" in texte
        assert "ATT-2026-03-00001" in texte
        assert "115,5 h" in texte
        assert "Zébulon" not in texte and "A.Z." not in texte

    def test_code_inconnu(self, client):
        response = client.get(reverse("verifier_attestation", args=["inconnu"]))
        assert response.status_code == 404
        assert "Aucune attestation ne correspond" in response.content.decode()


class TestMois:
    def _validees(self, lot, missions, suivi, n=3):
        """``n`` validated declarations of MOIS (one per company) without attestation."""
        entreprises = [lot.titulaire] + [EntrepriseFactory() for _ in range(n - 1)]
        for entreprise in entreprises:
            d = DeclarationMensuelle.objects.create(
                entreprise=entreprise, lot=lot, mois=MOIS, statut=StatutDeclaration.VALIDEE
            )
            LigneDeclaration.objects.create(
                declaration=d, mission=missions[0], heures=Decimal("10")
            )

    def test_commande_emet_et_ecrit_sans_doublon(self, lot, missions, suivi, tmp_path):
        from django.core.management import call_command

        self._validees(lot, missions, suivi)
        call_command("attestations", mois="2026-03", out=str(tmp_path))
        fichiers = sorted(p.name for p in tmp_path.iterdir())
        assert fichiers == [f"ATT-2026-03-0000{i}.pdf" for i in (1, 2, 3)]
        call_command("attestations", mois="2026-03", out=str(tmp_path))
        assert Attestation.objects.count() == 3

    def test_lot_interrompu_puis_repris(self, lot, missions, suivi):
        self._validees(lot, missions, suivi)

        def panne(faites, total):
            if faites == 1:
                raise KeyboardInterrupt("worker tué")

        with pytest.raises(KeyboardInterrupt):
            attestations.emettre_mois(MOIS, progression=panne)
        assert Attestation.objects.count() == 1
        attestations.emettre_mois(MOIS)
        numeros = sorted(Attestation.objects.values_list("numero", flat=True))
        assert numeros == ["ATT-2026-03-00001", "ATT-2026-03-00002", "ATT-2026-03-00003"]

    def test_mois_invalide(self, tmp_path):
        from django.core.management import CommandError, call_command

        with pytest.raises(CommandError, match="AAAA-MM"):
            call_command("attestations", mois="mars", out=str(tmp_path))


class TestRealisation:
    @pytest.fixture(autouse=True)
    def _saisie(self, facilitateur):
        self.saisie = facilitateur  # enters and submits; the suivi validates (four eyes)

    def _valider(self, lot, missions, suivi, heures):
        saisie = self.saisie
        d = declarations.creer(lot.titulaire, lot, MOIS, saisie)
        d = declarations.enregistrer_lignes(d, {missions[0].pk: Decimal(heures)}, d.version, saisie)
        d = declarations.soumettre(d, d.version, saisie)
        return declarations.valider(d, d.version, suivi)

    def test_refusee_tant_que_l_obligation_n_est_pas_atteinte(self, lot, missions, suivi):
        self._valider(lot, missions, suivi, "100")
        possible, raison = attestations.realisation_possible(lot)
        assert not possible
        assert "100 h sur 500 h" in raison
        with pytest.raises(ValueError):
            attestations.emettre_realisation(lot, suivi)

    def test_emise_quand_les_heures_sont_atteintes(self, lot, missions, suivi, settings):
        lot.clause.heures_requises = Decimal("150")
        lot.clause.save()
        self._valider(lot, missions, suivi, "150")
        attestation = attestations.emettre_realisation(lot, suivi)
        assert attestation.type == "realisation"
        assert attestation.cumul_heures == Decimal("150.00")
        texte = _texte_pdf(attestation)
        assert "Attestation de réalisation" in texte
        assert "150 h" in texte
        assert not attestations.realisation_possible(lot)[0]  # only once

    def test_cloture_avec_ecart_motivee(self, lot, missions, suivi):
        self._valider(lot, missions, suivi, "100")
        lot.cloture_le = dt.date(2026, 10, 31)
        lot.motif_cloture = "Chantier arrêté, entreprise en liquidation"
        lot.save()
        attestation = attestations.emettre_realisation(lot, suivi)
        assert "écart" in attestation.motif
        assert "Chantier arrêté" in _texte_pdf(attestation)

    def test_vue_reservee_au_suivi(self, client_for, lot, missions, suivi):
        facilitateur = client_for(roles.FACILITATEUR)
        url = reverse("heures:attestation_realisation", args=[lot.pk])
        assert facilitateur.post(url).status_code == 403
        facilitateur.force_login(suivi)
        response = facilitateur.post(url, follow=True)
        assert "Obligation non atteinte" in response.content.decode()
        assert not Attestation.objects.filter(type="realisation").exists()


class TestCorrection:
    def test_correction_nouvelle_version_et_attestation_remplacee(
        self, lot, missions, suivi, facilitateur
    ):
        d = _declaration_soumise(lot, missions, facilitateur)
        d, premiere = declarations.valider(d, d.version, suivi)
        with pytest.raises(ValidationError, match="motif"):
            declarations.corriger(d, "", d.version, facilitateur)
        v2 = declarations.corriger(d, "Heures de M. D. mal reportées", d.version, facilitateur)
        assert (v2.numero_version, v2.statut, v2.remplace) == (2, StatutDeclaration.BROUILLON, d)
        # The validated version keeps counting while the correction is entered.
        assert selectors.heures_realisees_lot(lot) == Decimal("115.50")
        v2 = declarations.enregistrer_lignes(
            v2, {missions[1].pk: Decimal("40")}, v2.version, facilitateur
        )
        v2 = declarations.soumettre(v2, v2.version, facilitateur)
        v2, seconde = declarations.valider(v2, v2.version, suivi)
        d.refresh_from_db()
        premiere.refresh_from_db()
        assert d.statut == StatutDeclaration.REMPLACEE
        assert selectors.heures_realisees_lot(lot) == Decimal("120.00")
        assert premiere.statut == "remplacee" and premiere.remplacee_par == seconde
        assert seconde.numero == "ATT-2026-03-00002"
        assert premiere.fichier and premiere.sha256  # the old one stays downloadable
        infos = attestations.verification(premiere.code_verification)
        assert not infos["valide"] and infos["remplacee_par"] == "ATT-2026-03-00002"
        # The old validated version stays locked.
        with pytest.raises(ValidationError):
            declarations.enregistrer_lignes(d, {missions[0].pk: Decimal("1")}, d.version, suivi)
