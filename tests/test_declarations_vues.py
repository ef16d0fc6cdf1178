"""Hours entry grid (htmx) and the declaration workflow pages."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from heures.models import Attestation, DeclarationMensuelle, LigneDeclaration, StatutDeclaration
from heures.services import declarations
from mife import roles
from tests.factories import ClauseFactory, MissionFactory, ParticipantFactory

pytestmark = pytest.mark.django_db
MOIS = dt.date(2026, 3, 1)


@pytest.fixture
def mission():
    lot = ClauseFactory(
        heures_requises=Decimal("300"),
        lot__date_debut=dt.date(2026, 1, 5),
        lot__date_fin=dt.date(2027, 6, 30),
        lot__marche__date_notification=dt.date(2025, 12, 1),
    ).lot
    return MissionFactory(
        lot=lot,
        employeur=lot.titulaire,
        participant=ParticipantFactory(nom="Zébulon", prenom="Awa"),
        date_debut=dt.date(2026, 2, 1),
        date_fin=dt.date(2026, 12, 31),
    )


@pytest.fixture
def brouillon(mission, make_user):
    auteur = make_user(roles.FACILITATEUR, username="auteur")
    return declarations.creer(mission.employeur, mission.lot, MOIS, auteur)


def _ligne(client, d, mission, valeur, version=None):
    return client.post(
        reverse("heures:declaration_ligne", args=[d.pk, mission.pk]),
        {"heures": valeur, "version_lue": version or d.version},
        HTTP_HX_REQUEST="true",
    )


class TestSaisie:
    def test_ouvrir_cree_le_brouillon(self, client_for, mission):
        client = client_for(roles.FACILITATEUR)
        response = client.post(
            reverse("heures:declaration_ouvrir"),
            {"entreprise": mission.employeur.pk, "lot": mission.lot.pk, "mois": "2026-03"},
        )
        d = DeclarationMensuelle.objects.get()
        assert response["Location"] == reverse("heures:declaration_saisie", args=[d.pk])
        assert (d.mois, d.statut) == (MOIS, StatutDeclaration.BROUILLON)

    def test_ouvrir_sans_mission_active(self, client_for, mission):
        client = client_for(roles.FACILITATEUR)
        response = client.post(
            reverse("heures:declaration_ouvrir"),
            {"entreprise": mission.employeur.pk, "lot": mission.lot.pk, "mois": "2025-06"},
        )
        assert "Aucune mission de cette entreprise" in response.content.decode()
        assert not DeclarationMensuelle.objects.exists()

    def test_grille_une_ligne_par_mission_active(self, client_for, brouillon, mission):
        texte = (
            client_for(roles.FACILITATEUR)
            .get(reverse("heures:declaration_saisie", args=[brouillon.pk]))
            .content.decode()
        )
        assert mission.reference in texte
        assert "ZÉBULON Awa" in texte
        assert "Soumettre pour validation" in texte

    @pytest.mark.parametrize(
        ("saisie", "attendu"),
        [("7,5", "7.50"), ("7:30", "7.50"), ("7h30", "7.50"), ("12", "12.00")],
    )
    def test_saisie_htmx_formats_acceptes(self, client_for, brouillon, mission, saisie, attendu):
        client = client_for(roles.FACILITATEUR)
        response = _ligne(client, brouillon, mission, saisie)
        assert response.status_code == 200
        assert LigneDeclaration.objects.get(declaration=brouillon).heures == Decimal(attendu)
        texte = response.content.decode()
        assert 'id="total-declaration"' in texte  # total updated out of band
        assert 'id="version_lue"' in texte

    def test_saisie_invalide_garde_la_valeur_tapee(self, client_for, brouillon, mission):
        client = client_for(roles.FACILITATEUR)
        texte = _ligne(client, brouillon, mission, "douze").content.decode()
        assert "n&#x27;est pas un nombre d&#x27;heures" in texte or "n'est pas un nombre" in texte
        assert 'value="douze"' in texte
        assert not LigneDeclaration.objects.exists()

    def test_saisie_au_dela_du_plafond(self, client_for, brouillon, mission):
        texte = _ligne(client_for(roles.FACILITATEUR), brouillon, mission, "250").content.decode()
        assert "plafond" in texte
        assert not LigneDeclaration.objects.exists()

    def test_version_perimee_refusee(self, client_for, brouillon, mission, make_user):
        autre = make_user(roles.SUIVI, username="autre", first_name="Paul", last_name="Roy")
        ouverte = brouillon.version
        declarations.enregistrer_lignes(brouillon, {mission.pk: Decimal("5")}, ouverte, autre)
        texte = _ligne(
            client_for(roles.FACILITATEUR), brouillon, mission, "9", ouverte
        ).content.decode()
        assert "Paul Roy" in texte
        assert LigneDeclaration.objects.get().heures == 5

    def test_direction_et_animateur_refuses(self, client_for, brouillon, mission):
        for role in (roles.DIRECTION, roles.ANIMATEUR):
            client = client_for(role, username=f"u-{role}")
            assert (
                client.get(reverse("heures:declaration_saisie", args=[brouillon.pk])).status_code
                == 403
            )
            assert _ligne(client, brouillon, mission, "5").status_code == 403
        assert not LigneDeclaration.objects.exists()


class TestWorkflow:
    def _soumise(self, brouillon, mission, user):
        d = declarations.enregistrer_lignes(
            brouillon, {mission.pk: Decimal("42")}, brouillon.version, user
        )
        return declarations.soumettre(d, d.version, user)

    def test_soumettre_valider_telecharger(self, client_for, brouillon, mission, make_user):
        facilitateur = client_for(roles.FACILITATEUR)
        _ligne(facilitateur, brouillon, mission, "42")
        brouillon.refresh_from_db()
        response = facilitateur.post(
            reverse("heures:declaration_action", args=[brouillon.pk, "soumettre"]),
            {"version_lue": brouillon.version},
        )
        assert response.status_code == 302
        brouillon.refresh_from_db()
        assert brouillon.statut == StatutDeclaration.SOUMISE
        # A facilitator cannot validate.
        refus = facilitateur.post(
            reverse("heures:declaration_action", args=[brouillon.pk, "valider"]),
            {"version_lue": brouillon.version},
        )
        assert refus.status_code == 403
        suivi = make_user(roles.SUIVI, username="suivi")
        facilitateur.force_login(suivi)
        response = facilitateur.post(
            reverse("heures:declaration_action", args=[brouillon.pk, "valider"]),
            {"version_lue": brouillon.version},
            follow=True,
        )
        texte = response.content.decode()
        assert "Déclaration validée — attestation ATT-2026-03-00001 émise." in texte
        attestation = Attestation.objects.get()
        pdf = facilitateur.get(reverse("heures:attestation_pdf", args=[attestation.pk]))
        assert pdf["Content-Type"] == "application/pdf"
        assert b"".join(pdf.streaming_content).startswith(b"%PDF")

    def test_rejet_sans_motif_refuse(self, client_for, brouillon, mission, make_user):
        d = self._soumise(brouillon, mission, make_user(roles.FACILITATEUR, username="f2"))
        client = client_for(roles.SUIVI)
        response = client.post(
            reverse("heures:declaration_action", args=[d.pk, "rejeter"]),
            {"version_lue": d.version, "motif": ""},
            follow=True,
        )
        assert "Indiquez le motif du rejet" in response.content.decode()
        d.refresh_from_db()
        assert d.statut == StatutDeclaration.SOUMISE

    def test_action_inconnue_404(self, client_for, brouillon):
        client = client_for(roles.SUIVI)
        response = client.post(reverse("heures:declaration_action", args=[brouillon.pk, "effacer"]))
        assert response.status_code == 404


def test_grands_nombres_des_formulaires_sans_separateur(client_for, brouillon):
    """Ids and versions posted back by forms must not be grouped (« 1 500 » is no integer)."""
    DeclarationMensuelle.objects.filter(pk=brouillon.pk).update(version=1500)
    texte = (
        client_for(roles.FACILITATEUR)
        .get(reverse("heures:declaration_saisie", args=[brouillon.pk]))
        .content.decode()
    )
    assert 'name="version_lue" value="1500"' in texte
