"""Hours entry grid (htmx) and the declaration workflow pages."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
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


# --- the workflow, defined once (services.declarations.TRANSITIONS) ------------------------------


def _soumise(brouillon, mission, user):
    d = declarations.enregistrer_lignes(
        brouillon, {mission.pk: Decimal("42")}, brouillon.version, user
    )
    return declarations.soumettre(d, d.version, user)


class TestTransitionsPermises:
    def test_selon_le_statut_et_le_role(self, brouillon, mission, make_user):
        facilitateur = make_user(roles.FACILITATEUR, username="f")
        suivi = make_user(roles.SUIVI, username="s")
        direction = make_user(roles.DIRECTION, username="d")
        assert declarations.transitions_permises(brouillon, facilitateur) == ("soumettre",)
        assert declarations.transitions_permises(brouillon, direction) == ()
        d = _soumise(brouillon, mission, facilitateur)
        assert declarations.transitions_permises(d, facilitateur) == ()
        assert declarations.transitions_permises(d, suivi) == ("valider", "rejeter")
        d, _ = declarations.valider(d, d.version, suivi)
        assert declarations.transitions_permises(d, facilitateur) == ("corriger",)
        assert declarations.transitions_permises(d, direction) == ()
        declarations.corriger(d, "Oubli", d.version, facilitateur)
        d = DeclarationMensuelle.objects.get(pk=d.pk)
        assert declarations.transitions_permises(d, facilitateur) == ()  # already corrected

    def test_la_page_ne_montre_que_les_boutons_permis(
        self, client_for, brouillon, mission, make_user
    ):
        d = _soumise(brouillon, mission, make_user(roles.FACILITATEUR, username="f"))
        url = reverse("heures:declaration_saisie", args=[d.pk])
        texte = client_for(roles.SUIVI).get(url).content.decode()
        assert "Valider et émettre" in texte
        assert "Rejeter</button>" in texte
        assert "Soumettre pour validation" not in texte
        assert "Corriger (nouvelle version)" not in texte
        texte = client_for(roles.FACILITATEUR, username="f3").get(url).content.decode()
        assert "Valider et émettre" not in texte
        assert "Rejeter</button>" not in texte
        assert "Soumettre pour validation" not in texte


class TestVersionLueObligatoire:
    """Without ``version_lue`` nothing could detect a concurrent change: refused, no change."""

    def _poster(self, client, d, action, **donnees):
        return client.post(
            reverse("heures:declaration_action", args=[d.pk, action]), donnees, follow=True
        )

    @pytest.mark.parametrize("version", [None, "", "abc", "-1"])
    def test_soumettre_sans_version(self, client_for, brouillon, mission, version):
        client = client_for(roles.FACILITATEUR)
        _ligne(client, brouillon, mission, "12")
        brouillon.refresh_from_db()
        avant = brouillon.version
        donnees = {} if version is None else {"version_lue": version}
        texte = self._poster(client, brouillon, "soumettre", **donnees).content.decode()
        assert "Version de la déclaration absente" in texte
        brouillon.refresh_from_db()
        assert brouillon.statut == StatutDeclaration.BROUILLON
        assert brouillon.version == avant

    def test_valider_et_rejeter_sans_version(self, client_for, brouillon, mission, make_user):
        d = _soumise(brouillon, mission, make_user(roles.FACILITATEUR, username="f"))
        client = client_for(roles.SUIVI)
        for action, donnees in (("valider", {}), ("rejeter", {"motif": "Heures fausses"})):
            texte = self._poster(client, d, action, **donnees).content.decode()
            assert "Version de la déclaration absente" in texte
        d.refresh_from_db()
        assert d.statut == StatutDeclaration.SOUMISE
        assert d.motif_rejet == ""
        assert not Attestation.objects.exists()

    def test_corriger_sans_version(self, client_for, brouillon, mission, make_user):
        suivi = make_user(roles.SUIVI, username="s")
        d = _soumise(brouillon, mission, make_user(roles.FACILITATEUR, username="f"))
        d, _ = declarations.valider(d, d.version, suivi)
        client = client_for(roles.FACILITATEUR)
        texte = self._poster(client, d, "corriger", motif="Oubli").content.decode()
        assert "Version de la déclaration absente" in texte
        assert DeclarationMensuelle.objects.count() == 1
        d.refresh_from_db()
        assert d.statut == StatutDeclaration.VALIDEE

    def test_sans_permission_le_refus_reste_un_403(self, client_for, brouillon):
        client = client_for(roles.FACILITATEUR)
        response = client.post(reverse("heures:declaration_action", args=[brouillon.pk, "valider"]))
        assert response.status_code == 403

    def test_ligne_sans_version(self, client_for, brouillon, mission):
        response = client_for(roles.FACILITATEUR).post(
            reverse("heures:declaration_ligne", args=[brouillon.pk, mission.pk]),
            {"heures": "7"},
            HTTP_HX_REQUEST="true",
        )
        assert "Version de la déclaration absente" in response.content.decode()
        assert not LigneDeclaration.objects.exists()

    def test_les_services_refusent_une_version_absente(self, brouillon, mission, make_user):
        user = make_user(roles.FACILITATEUR, username="f")
        with pytest.raises(ValidationError, match="Version de la déclaration absente"):
            declarations.enregistrer_lignes(brouillon, {mission.pk: Decimal("1")}, None, user)
        d = _soumise(brouillon, mission, user)
        with pytest.raises(ValidationError, match="Version de la déclaration absente"):
            declarations.valider(d, None, make_user(roles.SUIVI, username="s"))
        d.refresh_from_db()
        assert d.statut == StatutDeclaration.SOUMISE
