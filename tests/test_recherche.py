"""Issue 14: the global search and the list filters ignore accents and case everywhere (the
same result on SQLite and PostgreSQL), find references with or without their spaces, and
list nothing the user could not open."""

import pytest
from django.db import connection
from django.urls import reverse

from entreprises.models import Entreprise
from heures.models import Participant
from mife import roles
from mife.core import texte
from mife.core.texte import cle_recherche
from tests import factories as f

pytestmark = pytest.mark.django_db


def _resultats(client, q: str) -> list[tuple[str, str]]:
    reponse = client.get(reverse("recherche"), {"q": q})
    assert reponse.status_code == 200
    return [(r.categorie, r.libelle) for r in reponse.context["resultats"]]


def test_la_cle_sql_est_la_cle_python_caractere_par_caractere():
    """Every character the SQL key maps (the Latin letters with accents, ligatures, spaces,
    apostrophes…) gives in the database exactly the Python key."""
    caracteres = [chr(c) for debut, fin in texte._PLAGES for c in range(debut, fin)]
    caracteres += list("ABCZabcz09'’ -")
    echantillons = [f"x{c}Y" for c in caracteres] + [
        "  Cœur  d’Élodie ",
        "SOCIÉTÉ GÉNÉRALE\u00a0DU\u202fBÂTIMENT",
        "Ühlmann",
    ]
    morceaux = [texte.cle_sql("%s", connection.vendor, [e]) for e in echantillons]
    with connection.cursor() as curseur:
        curseur.execute(
            "SELECT " + ", ".join(sql for sql, _ in morceaux),
            [p for _, params in morceaux for p in params],
        )
        obtenu = list(curseur.fetchone())
    attendu = [cle_recherche(e) for e in echantillons]
    ecarts = [(e, o, a) for e, o, a in zip(echantillons, obtenu, attendu, strict=True) if o != a]
    assert ecarts == []


def test_le_lookup_contient_ignore_accents_casse_et_jokers():
    generale = f.EntrepriseFactory(raison_sociale="Société Générale du Bâtiment")
    f.EntrepriseFactory(raison_sociale="Maçonnerie 100% Belfort")
    trouve = Entreprise.objects.filter(raison_sociale__contient="GENERALE du batiment")
    assert list(trouve) == [generale]
    # % and _ typed by the user are plain characters, not wildcards.
    assert Entreprise.objects.filter(raison_sociale__contient="100%").count() == 1
    assert Entreprise.objects.filter(raison_sociale__contient="soc_ete").count() == 0


class TestRechercheGlobale:
    def test_accents_et_casse_ignores(self, client_for):
        f.EntrepriseFactory(raison_sociale="Société Générale du Bâtiment")
        f.ParticipantFactory(nom="Ühlmann", prenom="Zoé")
        client = client_for(roles.FACILITATEUR)
        assert ("Entreprise", "Société Générale du Bâtiment") in _resultats(client, "Generale")
        assert ("Entreprise", "Société Générale du Bâtiment") in _resultats(client, "société GÉN")
        assert ("Participant", "ÜHLMANN Zoé") in _resultats(client, "ühlmann")
        assert ("Participant", "ÜHLMANN Zoé") in _resultats(client, "zoe UHLMANN")

    def test_references_avec_ou_sans_espaces(self, client_for):
        f.EntrepriseFactory(identifiant="73282932000074", raison_sociale="Alpha")
        lot = f.LotFactory(marche__reference="2026-MP-0142", numero="3", intitule="Peinture")
        mission = f.MissionFactory(reference="MIS-2026-0007", lot=lot)
        attestation = f.AttestationFactory(numero="ATT-2026-10-00042")
        client = client_for(roles.FACILITATEUR)
        for saisie in ("732 829 320 00074", "73282932000074", "00074"):
            assert ("Entreprise", "Alpha") in _resultats(client, saisie)
        trouves = _resultats(client, "2026-MP 0142")
        assert ("Marché", str(lot.marche)) in trouves
        assert ("Lot", str(lot)) in trouves
        assert ("Lot", str(lot)) in _resultats(client, "peinture")
        assert ("Mission", str(mission)) in _resultats(client, "mis-2026-0007")
        assert ("Attestation", attestation.numero) in _resultats(client, "ATT-2026-10 00042")
        lien = reverse("heures:attestation_liste") + "?q=ATT-2026-10-00042"
        assert lien in client.get(reverse("recherche"), {"q": "att-2026-10-00042"}).content.decode()

    def test_rien_de_ce_que_le_role_ne_peut_ouvrir(self, client_for):
        f.EntrepriseFactory(raison_sociale="Générale Ühlmann")
        participant = f.ParticipantFactory(nom="Ühlmann", prenom="Léa")
        f.MissionFactory(reference="MIS-2026-0099", participant=participant)
        direction = _resultats(client_for(roles.DIRECTION), "uhlmann")
        assert direction == [("Entreprise", "Générale Ühlmann")]
        assert _resultats(client_for(roles.DIRECTION, username="d2"), "MIS-2026-0099") == []

    def test_les_criteres_de_sante_ne_sont_jamais_cherches(self, client_for):
        rqth = f.CritereEligibiliteFactory(code="rqth-test", libelle="RQTH", sensible=True)
        f.CritereParticipantFactory(critere=rqth, participant__nom="Durand")
        client = client_for(roles.FACILITATEUR)
        assert _resultats(client, "RQTH") == []

    def test_anonymises_exclus(self, client_for):
        from django.utils import timezone

        f.ParticipantFactory(nom="Ühlmann", anonymise_le=timezone.now())
        assert _resultats(client_for(roles.FACILITATEUR), "uhlmann") == []

    def test_nombre_de_requetes_constant(self, client_for, django_assert_max_num_queries):
        client = client_for(roles.ADMIN)
        client.get(reverse("recherche"), {"q": "Générale"})
        for i in range(30):
            f.EntrepriseFactory(raison_sociale=f"Générale {i}")
            f.LotFactory(intitule=f"Générale {i}")
        with django_assert_max_num_queries(20):
            reponse = client.get(reverse("recherche"), {"q": "generale"})
        categories = [r.categorie for r in reponse.context["resultats"]]
        assert categories.count("Entreprise") == 20  # at most 20 per category


class TestFiltresDesListes:
    def test_liste_des_entreprises(self, client_for):
        f.EntrepriseFactory(raison_sociale="Société Générale", commune="Délle")
        f.EntrepriseFactory(raison_sociale="Autre", commune="Belfort")
        client = client_for(roles.FACILITATEUR)
        for filtre in ({"q": "generale"}, {"q": "SOCIETE gen"}, {"commune": "delle"}):
            reponse = client.get(reverse("entreprises:liste"), filtre)
            noms = [e.raison_sociale for e in reponse.context["page_obj"].object_list]
            assert noms == ["Société Générale"], filtre

    def test_liste_des_participants(self, client_for):
        f.ParticipantFactory(nom="Ühlmann", prenom="Zoé", commune="Héricourt")
        f.ParticipantFactory(nom="Martin", prenom="Paul", commune="Belfort")
        client = client_for(roles.FACILITATEUR)
        for filtre in ({"q": "uhlmann zoe"}, {"commune": "HERICOURT"}):
            reponse = client.get(reverse("heures:participant_liste"), filtre)
            noms = [p.nom for p in reponse.context["page_obj"].object_list]
            assert noms == ["Ühlmann"], filtre

    def test_liste_des_lots(self, client_for):
        lot = f.LotFactory(intitule="Électricité générale")
        f.LotFactory(intitule="Peinture")
        client = client_for(roles.FACILITATEUR)
        reponse = client.get(reverse("marches:lot_liste"), {"q": "electricite GENERALE"})
        assert list(reponse.context["page_obj"].object_list) == [lot]


def test_participant_model_sans_cle_stockee():
    """The chosen mechanism needs no stored column: a row written by any path (bulk_create,
    import, update) is found at once."""
    modele = f.ParticipantFactory.build(nom="Œillet", prenom="Ève")
    Participant.objects.bulk_create([modele])
    assert Participant.objects.filter(nom__contient="oeillet", prenom__contient="EVE").count() == 1
