"""List exports read from tuples of values (``mife.core.listes``, « Export from values »): which
columns can be read so, and every list page exporting exactly the same cells whichever way
its rows are read (values or objects), on the demo data."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import transaction
from django.dispatch import Signal
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from heures.models import (
    ANONYMISE,
    Attestation,
    Mission,
    Participant,
    StatutAttestation,
    TypeAttestation,
)
from heures.views.listes import colonne_lot, colonne_participant, libelle_lot, nom_affiche
from marches.models import Lot
from mife.bench.mesures import pages_de_liste
from mife.core import listes
from mife.core.listes import Colonne, ListeView, lecture_en_valeurs
from tests import factories as f

# --- which columns are read from values ----------------------------------------------------------


def _lecture(colonne: Colonne, queryset=None):
    queryset = Mission.objects.all() if queryset is None else queryset
    return colonne.lecture(queryset.model, set(queryset.query.annotations))


@pytest.mark.parametrize(
    ("valeur", "chemins"),
    [
        ("reference", ("reference",)),
        ("employeur.raison_sociale", ("employeur__raison_sociale",)),
        ("lot.marche.donneur_ordre.nom", ("lot__marche__donneur_ordre__nom",)),
        ("participant_id", ("participant_id",)),
        ("get_modalite_display", ("modalite",)),
        # A related object shown by its __str__, a property, a method, a to-many path, a
        # field followed by an attribute, an unknown name: the object is needed.
        ("lot", None),
        ("participant.nom_affiche", None),
        ("participant.initiales", None),
        ("lignes.heures", None),
        ("participant.criteres.libelle", None),
        ("lot.cotraitants", None),
        ("lot.cotraitants.raison_sociale", None),
        ("date_debut.year", None),
        ("inconnu", None),
    ],
)
def test_chemins_lus_en_valeurs(valeur, chemins):
    lecture = _lecture(Colonne("Titre", valeur))
    assert (lecture and lecture[0]) == chemins


def test_chemins_annotation_et_relation_inverse_un_a_un():
    from django.db.models import Count

    lots = Lot.objects.annotate(nb=Count("missions"))
    assert _lecture(Colonne("Missions", "nb"), lots)[0] == ("nb",)
    assert _lecture(Colonne("Clause", "clause.type"), lots)[0] == ("clause__type",)
    assert _lecture(Colonne("Missions", "nb.real"), lots) is None


def test_fonction_sans_champs_lit_l_objet_avec_champs_ses_valeurs():
    assert _lecture(Colonne("Nom", lambda m: m.participant.nom_affiche)) is None
    lecture = _lecture(colonne_participant())
    assert lecture == (
        ("participant_id", "participant__nom", "participant__prenom", "participant__anonymise_le"),
        nom_affiche,
    )
    with pytest.raises(ImproperlyConfigured, match="champs demande une fonction"):
        Colonne("Nom", "participant.nom", champs=("participant__nom",))


def test_une_colonne_objet_fait_passer_toute_la_liste_par_les_objets():
    colonnes = [Colonne("Référence", "reference"), Colonne("Lot", "lot")]
    assert lecture_en_valeurs(Mission.objects.all(), colonnes) is None
    chemins, cellules = lecture_en_valeurs(Mission.objects.all(), [colonnes[0], colonne_lot()])
    assert chemins == [
        "pk",
        "reference",
        "lot__marche__reference",
        "lot__numero",
        "lot__intitule",
    ]
    assert [c((7, "MIS-1", "MAR-1", "2", "Voirie")) for c in cellules] == [
        "MIS-1",
        "MAR-1 lot 2 — Voirie",
    ]


@pytest.mark.django_db
def test_fonctions_de_valeurs_comme_le_modele():
    """``nom_affiche`` and ``libelle_lot`` give what the model shows, on the page (object)
    and in the export (values)."""
    lot = f.LotFactory(numero="3", intitule="Gros œuvre")
    present = f.ParticipantFactory(nom="Zébulon", prenom="Awa")
    efface = f.ParticipantFactory(anonymise_le=timezone.now())
    for p in (present, efface):
        p = Participant.objects.get(pk=p.pk)
        assert nom_affiche(p.pk, p.nom, p.prenom, p.anonymise_le) == p.nom_affiche
        mission = f.MissionFactory(participant=p, lot=lot)
        assert colonne_participant().brute(mission) == p.nom_affiche
    assert efface.nom_affiche.startswith(ANONYMISE)
    lot = Lot.objects.select_related("marche").get(pk=lot.pk)
    assert libelle_lot(lot.marche.reference, lot.numero, lot.intitule) == str(lot)
    assert colonne_lot().brute(mission) == str(lot)
    assert libelle_lot(None, None, None) is None


@pytest.mark.django_db
def test_liste_distincte_garde_les_lignes_aux_memes_valeurs():
    """The key is read first: two rows whose exported cells are equal stay two rows."""
    lot = f.LotFactory()
    f.MissionFactory.create_batch(2, lot=lot)
    lignes = list(
        ListeView().lignes_excel(Mission.objects.filter(lot=lot).distinct(), [colonne_lot()])
    )
    assert lignes == [[str(lot)], [str(lot)]]


# --- every list: the same cells from values and from objects -----------------------------------


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo data, loaded once for the module and rolled back at its end."""
    media = tmp_path_factory.mktemp("media-demo")
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(DEBUG=True, MEDIA_ROOT=media):
            call_command("seed_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


def _cellules(contenu: bytes) -> tuple[list, dict]:
    ws = load_workbook(io.BytesIO(contenu)).active
    cellules = [
        [(c.value, c.number_format, c.data_type, c.quotePrefix) for c in ligne]
        for ligne in ws.iter_rows()
    ]
    largeurs = {lettre: d.width for lettre, d in ws.column_dimensions.items()}
    return cellules, largeurs


def _exporter(client, url) -> tuple[list, dict]:
    reponse = client.get(url)
    assert reponse.status_code == 200, url
    return _cellules(b"".join(reponse.streaming_content))


@pytest.mark.django_db
def test_chaque_liste_exporte_les_memes_cellules_en_valeurs_et_en_objets(
    demo, client_for, monkeypatch
):
    # The access log of each export would add a row to the journal's own export.
    monkeypatch.setattr(listes, "liste_exportee", Signal())
    # Two attestations to re-issue (printed figures changed), so that list has rows too.
    emises = Attestation.objects.filter(
        statut=StatutAttestation.EMISE, type=TypeAttestation.MENSUELLE
    ).order_by("pk")[:2]
    Attestation.objects.filter(pk__in=[a.pk for a in emises]).update(
        total_heures=Decimal("99.5"), cumul_heures=Decimal("1234.25")
    )
    client = client_for(None, username="tout-voir", is_superuser=True, is_staff=True)
    urls = [f"{reverse(nom)}?export=xlsx" for nom, _ in pages_de_liste()]
    urls += [
        f"{reverse('heures:mission_liste')}?etat=terminee&export=xlsx",  # the bench's export
        f"{reverse('heures:mission_liste')}?tri=-participant__nom&export=xlsx",
        f"{reverse('heures:declaration_liste')}?tri=lot__marche__reference&export=xlsx",
    ]
    original = listes.lecture_en_valeurs
    en_valeurs = set()

    def espion(queryset, colonnes):
        lecture = original(queryset, colonnes)
        if lecture is not None:
            en_valeurs.add(queryset.model._meta.label)
        return lecture

    monkeypatch.setattr(listes, "lecture_en_valeurs", espion)
    par_valeurs = {url: _exporter(client, url) for url in urls}
    monkeypatch.setattr(listes, "lecture_en_valeurs", lambda queryset, colonnes: None)
    for url in urls:
        assert _exporter(client, url) == par_valeurs[url], url
    # Real rows were compared, and the big lists were read from values.
    missions = par_valeurs[urls[-3]][0]
    assert len(missions) > 20 and missions[0][0][0] == "Référence"
    assert isinstance(missions[1][5][0], dt.datetime)
    assert {
        "heures.Mission",
        "heures.DeclarationMensuelle",
        "heures.Attestation",
        "entreprises.Entreprise",
        "marches.Marche",
    } <= en_valeurs
    # A column that applies an object-level rule (the protected criteria) keeps its list on
    # the objects.
    assert "heures.Participant" not in en_valeurs
    a_reemettre = par_valeurs[f"{reverse('heures:attestations_a_reemettre')}?export=xlsx"][0]
    assert len(a_reemettre) == 3 and "99,5 h → " in a_reemettre[1][5][0]
