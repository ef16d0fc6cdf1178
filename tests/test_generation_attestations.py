"""« Générer les attestations du mois »: background batch, progress, ZIP and print-all PDF."""

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from heures.models import Attestation, GenerationAttestations, StatutGeneration
from heures.services import attestations, generation
from mife import roles
from tests.factories import (
    ClauseFactory,
    DeclarationMensuelleFactory,
    GenerationAttestationsFactory,
    LigneDeclarationFactory,
)

pytestmark = pytest.mark.django_db
MOIS = dt.date(2026, 3, 1)
IMMEDIAT = override_settings(
    TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
)


@pytest.fixture(autouse=True)
def media_temporaire(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _validees(n: int, mois=MOIS):
    """``n`` validated declarations of ``mois`` (one lot each), no attestation yet."""
    resultat = []
    for i in range(n):
        lot = ClauseFactory(heures_requises=Decimal("500")).lot
        declaration = DeclarationMensuelleFactory(lot=lot, mois=mois, validee=True)
        LigneDeclarationFactory(declaration=declaration, heures=Decimal(30 + i))
        resultat.append(declaration)
    return resultat


def _numeros(mois=MOIS) -> list[str]:
    return list(
        Attestation.objects.filter(mois=mois).order_by("numero").values_list("numero", flat=True)
    )


def _lire(champ) -> bytes:
    with champ.open("rb") as fichier:
        return fichier.read()


class Tue(BaseException):
    """Stands for the worker being killed (not caught like an ordinary error)."""


def _tuer_apres_la_premiere(monkeypatch):
    origine = attestations.emettre_mois

    def emettre_puis_mourir(mois, user=None, progression=None):
        def mourir(faites, total):
            progression(faites, total)
            raise Tue

        return origine(mois, user, mourir)

    monkeypatch.setattr(attestations, "emettre_mois", emettre_puis_mourir)


class TestService:
    @IMMEDIAT
    def test_de_bout_en_bout(self, make_user):
        suivi = make_user(roles.SUIVI)
        _validees(3)
        g = generation.demander(MOIS, suivi)
        g.refresh_from_db()
        assert g.statut == StatutGeneration.TERMINEE
        assert g.tache_id
        assert g.faites == g.total == 3
        assert g.pourcentage == 100
        numeros = _numeros()
        assert numeros == [f"ATT-2026-03-0000{i}" for i in (1, 2, 3)]

        with zipfile.ZipFile(io.BytesIO(_lire(g.fichier_zip))) as archive:
            assert sorted(archive.namelist()) == [f"{n}.pdf" for n in numeros]
            pages_attendues = sum(
                len(PdfReader(io.BytesIO(archive.read(nom))).pages) for nom in archive.namelist()
            )
        fusion = PdfReader(io.BytesIO(_lire(g.fichier_pdf)))
        assert len(fusion.pages) == pages_attendues >= 3
        texte = "\n".join(page.extract_text() for page in fusion.pages)
        for numero in numeros:
            assert numero in texte

    def test_relancer_n_emet_rien_deux_fois(self, make_user):
        _validees(2)
        premiere = GenerationAttestations.objects.create(mois=MOIS)
        generation.executer(premiere.pk)
        seconde = GenerationAttestations.objects.create(mois=MOIS)
        generation.executer(seconde.pk)
        generation.executer(premiere.pk)  # already finished: nothing happens
        seconde.refresh_from_db()
        assert seconde.statut == StatutGeneration.TERMINEE
        assert seconde.faites == seconde.total == 2
        assert _numeros() == ["ATT-2026-03-00001", "ATT-2026-03-00002"]

    def test_mois_deja_en_cours_renvoie_le_meme_lot(self, make_user):
        user = make_user(roles.SUIVI)
        _validees(1)
        g1 = generation.demander(MOIS, user)  # DB backend: enqueued, not run
        g2 = generation.demander(MOIS, user)
        assert g1.pk == g2.pk
        assert g1.statut == StatutGeneration.EN_ATTENTE and g1.tache_id
        assert GenerationAttestations.objects.count() == 1

    def test_worker_tue_puis_repris_par_executer(self, monkeypatch):
        _validees(3)
        g = GenerationAttestations.objects.create(mois=MOIS)
        with monkeypatch.context() as m:
            _tuer_apres_la_premiere(m)
            with pytest.raises(Tue):
                generation.executer(g.pk)
        g.refresh_from_db()
        assert g.statut == StatutGeneration.EN_COURS
        assert (g.faites, g.total) == (1, 3)
        assert _numeros() == ["ATT-2026-03-00001"]

        generation.executer(g.pk)
        g.refresh_from_db()
        assert g.statut == StatutGeneration.TERMINEE
        assert g.faites == g.total == 3
        assert _numeros() == [f"ATT-2026-03-0000{i}" for i in (1, 2, 3)]

    @pytest.mark.django_db(transaction=True)  # the worker closes its connection between tasks
    def test_redemarrer_le_worker_finit_le_lot(self, monkeypatch):
        """The real database queue: the worker is killed, then started again (db_worker)."""
        from django.core.management import call_command

        _validees(3)
        g = GenerationAttestations.objects.create(mois=MOIS)
        with monkeypatch.context() as m:
            _tuer_apres_la_premiere(m)
            with pytest.raises(Tue):
                generation.executer(g.pk)
        assert _numeros() == ["ATT-2026-03-00001"]
        call_command("db_worker", batch=True, interval=0, stdout=io.StringIO())
        g.refresh_from_db()
        assert g.statut == StatutGeneration.TERMINEE
        assert _numeros() == [f"ATT-2026-03-0000{i}" for i in (1, 2, 3)]

    def test_lot_bloque_repris_par_une_nouvelle_demande(self, monkeypatch, make_user):
        user = make_user(roles.SUIVI)
        _validees(3)
        with monkeypatch.context() as m, IMMEDIAT:
            _tuer_apres_la_premiere(m)
            generation.demander(MOIS, user)  # the immediate backend records the task failed
        g = GenerationAttestations.objects.get()
        assert g.statut == StatutGeneration.EN_COURS
        # Still progressing recently: asking again returns it without starting anything.
        with IMMEDIAT:
            assert generation.demander(MOIS, user).pk == g.pk
        g.refresh_from_db()
        assert g.statut == StatutGeneration.EN_COURS and _numeros() == ["ATT-2026-03-00001"]
        # No progress for longer than DELAI_BLOCAGE: the same batch is resumed.
        GenerationAttestations.objects.filter(pk=g.pk).update(
            modifie_le=timezone.now() - generation.DELAI_BLOCAGE - dt.timedelta(minutes=1)
        )
        with IMMEDIAT:
            assert generation.demander(MOIS, user).pk == g.pk
        g.refresh_from_db()
        assert g.statut == StatutGeneration.TERMINEE
        assert g.faites == g.total == 3
        numeros = _numeros()
        assert len(numeros) == len(set(numeros)) == 3
        assert numeros == [f"ATT-2026-03-0000{i}" for i in (1, 2, 3)]
        assert GenerationAttestations.objects.count() == 1

    def test_erreur_donne_echec_avec_message(self, monkeypatch):
        _validees(1)
        g = GenerationAttestations.objects.create(mois=MOIS)

        def casse(*args, **kwargs):
            raise RuntimeError("disque plein")

        monkeypatch.setattr(attestations, "emettre_mois", casse)
        with pytest.raises(RuntimeError):
            generation.executer(g.pk)
        g.refresh_from_db()
        assert g.statut == StatutGeneration.ECHEC
        assert "disque plein" in g.erreur and "Relancez" in g.erreur


class TestVues:
    @pytest.mark.parametrize("role", [roles.SUIVI, roles.ADMIN])
    def test_lancer(self, client_for, role):
        client = client_for(role)
        _validees(2)
        assert client.get(reverse("heures:generation")).status_code == 200
        with IMMEDIAT:
            reponse = client.post(reverse("heures:generation"), {"mois": "2026-03"})
        g = GenerationAttestations.objects.get()
        assert reponse.status_code == 302
        assert reponse.url == reverse("heures:generation_detail", args=[g.pk])
        assert g.statut == StatutGeneration.TERMINEE and g.demandee_par == client.user
        page = client.get(reponse.url).content.decode()
        assert 'role="progressbar"' in page and "2 / 2" in page
        assert "hx-trigger" not in page  # finished: no polling
        assert reverse("heures:generation_zip", args=[g.pk]) in page
        assert reverse("heures:generation_pdf", args=[g.pk]) in page
        for a in Attestation.objects.all():
            assert a.numero in page
            assert reverse("heures:attestation_pdf", args=[a.pk]) in page
        liste = client.get(reverse("heures:generation")).content.decode()
        assert reverse("heures:generation_detail", args=[g.pk]) in liste
        assert reverse("heures:generation") in client.get(reverse("accueil")).content.decode()

    @pytest.mark.parametrize("role", [roles.FACILITATEUR, roles.DIRECTION, roles.ANIMATEUR])
    def test_lancer_interdit(self, client_for, role):
        client = client_for(role)
        assert client.get(reverse("heures:generation")).status_code == 403
        assert client.post(reverse("heures:generation"), {"mois": "2026-03"}).status_code == 403
        assert not GenerationAttestations.objects.exists()
        assert reverse("heures:generation") not in client.get(reverse("accueil")).content.decode()

    def test_progression_interroge_tant_que_ca_tourne(self, client_for):
        client = client_for(roles.SUIVI)
        g = GenerationAttestationsFactory(
            mois=MOIS, statut=StatutGeneration.EN_COURS, faites=2, total=5
        )
        url = reverse("heures:generation_progression", args=[g.pk])
        partiel = client.get(url).content.decode()
        assert 'aria-valuenow="2"' in partiel and 'aria-valuemax="5"' in partiel
        assert "2 / 5" in partiel and 'data-largeur="40"' in partiel
        assert f'hx-get="{url}"' in partiel and 'hx-trigger="every 2s"' in partiel
        assert "Reprendre" not in partiel
        page = client.get(reverse("heures:generation_detail", args=[g.pk])).content.decode()
        assert 'hx-trigger="every 2s"' in page

        GenerationAttestations.objects.filter(pk=g.pk).update(
            modifie_le=timezone.now() - dt.timedelta(hours=1)
        )
        assert "Reprendre la génération" in client.get(url).content.decode()

        GenerationAttestations.objects.filter(pk=g.pk).update(
            statut=StatutGeneration.TERMINEE, faites=5
        )
        fini = client.get(url).content.decode()
        assert 'aria-valuenow="5"' in fini and "5 / 5" in fini
        assert "hx-trigger" not in fini

    def test_telechargements(self, client_for):
        _validees(2)
        g = GenerationAttestations.objects.create(mois=MOIS)
        generation.executer(g.pk)
        g.refresh_from_db()
        # The documents carry the participants' initials: the direction may not download
        # them (docs/autorisations.md), the suivi may.
        assert (
            client_for(roles.DIRECTION, username="dir")
            .get(reverse("heures:generation_zip", args=[g.pk]))
            .status_code
            == 403
        )
        client = client_for(roles.SUIVI)
        zip_ = client.get(reverse("heures:generation_zip", args=[g.pk]))
        assert zip_.status_code == 200 and zip_["Content-Type"] == "application/zip"
        contenu = b"".join(zip_.streaming_content)
        assert zip_["Content-Disposition"].endswith('filename="attestations-2026-03.zip"')
        assert len(zipfile.ZipFile(io.BytesIO(contenu)).namelist()) == 2
        pdf = client.get(reverse("heures:generation_pdf", args=[g.pk]))
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert b"".join(pdf.streaming_content).startswith(b"%PDF")

    def test_telechargement_interdit_ou_pas_pret(self, client_for):
        g = GenerationAttestationsFactory(mois=MOIS, statut=StatutGeneration.EN_COURS)
        assert (
            client_for(roles.ANIMATEUR)
            .get(reverse("heures:generation_zip", args=[g.pk]))
            .status_code
            == 403
        )

    def test_fichier_pas_pret(self, client_for):
        g = GenerationAttestationsFactory(mois=MOIS, statut=StatutGeneration.EN_COURS)
        client = client_for(roles.SUIVI)
        assert client.get(reverse("heures:generation_pdf", args=[g.pk])).status_code == 404
