"""Reminders by e-mail: recipients, template, log, once a day, buttons, command."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from heures.models import Relance, StatutDeclaration, StatutRelance
from heures.services import relances
from mife.core.models import Parametres
from tests import factories as f
from tests.test_tableau_mois import MOIS, _paire

pytestmark = pytest.mark.django_db

URL_UNE = reverse("heures:tableau_mois_relancer")
URL_TOUTES = reverse("heures:tableau_mois_relancer_non_recues")


def _contact(entreprise, **kwargs):
    return f.ContactFactory(entreprise=entreprise, **kwargs)


def test_destinataires_et_message():
    lot, ent, _ = _paire()
    _contact(ent, email="rh@exemple.fr", destinataire_relances=True)
    _contact(ent, email="paie@exemple.fr", destinataire_relances=True)
    _contact(ent, email="patron@exemple.fr", principal=True)
    bilan = relances.relancer_mois(MOIS)
    assert (bilan.envoyees, bilan.echecs, bilan.ignorees) == (1, 0, 0)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["paie@exemple.fr", "rh@exemple.fr"]
    assert "juin 2025" in message.subject
    assert f"lot {lot.numero}" in message.subject
    assert lot.marche.donneur_ordre.nom in message.body
    assert Parametres.get().nom_structure in message.body
    assert "http" not in message.body
    relance = Relance.objects.get()
    assert relance.statut == StatutRelance.ENVOYEE
    assert (relance.entreprise, relance.lot, relance.mois) == (ent, lot, MOIS)
    assert relance.sujet == message.subject
    assert "rh@exemple.fr" in relance.destinataires


def test_repli_sur_le_contact_principal_puis_l_email_de_l_entreprise():
    _, ent1, _ = _paire()
    _contact(ent1, email="patron@exemple.fr", principal=True)
    _contact(ent1, email="autre@exemple.fr")
    _, ent2, _ = _paire()
    ent2.email = "accueil@exemple.fr"
    ent2.save()
    relances.relancer_mois(MOIS)
    destinataires = sorted(tuple(m.to) for m in mail.outbox)
    assert destinataires == [("accueil@exemple.fr",), ("patron@exemple.fr",)]


def test_sans_destinataire_echec_journalise():
    _, ent, _ = _paire()
    ent.email = ""
    ent.save()
    bilan = relances.relancer_mois(MOIS)
    assert (bilan.envoyees, bilan.echecs) == (0, 1)
    assert mail.outbox == []
    relance = Relance.objects.get()
    assert relance.statut == StatutRelance.ECHEC
    assert "aucun destinataire" in relance.erreur.lower()


def test_seulement_non_recue_brouillon_rejetee():
    for statut in (None, "brouillon", "rejetee", "soumise", "validee"):
        _paire(statut=statut)
    bilan = relances.relancer_mois(MOIS)
    assert bilan.envoyees == 3
    assert len(mail.outbox) == 3
    assert Relance.objects.count() == 3


def test_pas_deux_fois_le_meme_jour():
    _paire()
    assert relances.relancer_mois(MOIS).envoyees == 1
    bilan = relances.relancer_mois(MOIS)
    assert (bilan.envoyees, bilan.ignorees) == (0, 1)
    assert len(mail.outbox) == 1
    assert Relance.objects.count() == 1
    # A reminder of another day does not block today's.
    Relance.objects.update(cree_le=dt.datetime(2025, 6, 1, 10, tzinfo=dt.UTC))
    assert relances.relancer_mois(MOIS).envoyees == 1


def test_bouton_par_ligne(client_for):
    lot, ent, _ = _paire()
    client = client_for("facilitateur")
    reponse = client.post(URL_UNE, {"mois": "2025-06", "entreprise": ent.pk, "lot": lot.pk})
    assert reponse.status_code == 302
    assert reponse.url.endswith("?mois=2025-06")
    assert len(mail.outbox) == 1
    relance = Relance.objects.get()
    assert relance.envoyee_par == client.user
    # The board shows the last reminder.
    page = client.get(reverse("heures:tableau_mois"), {"mois": "2025-06"})
    ligne = page.context["page_obj"].object_list[0]
    assert ligne.derniere_relance == relance.cree_le
    # Twice the same day: skipped.
    client.post(URL_UNE, {"mois": "2025-06", "entreprise": ent.pk, "lot": lot.pk})
    assert len(mail.outbox) == 1


def test_bouton_par_ligne_refuse_une_declaration_soumise(client_for):
    lot, ent, _ = _paire(statut=StatutDeclaration.SOUMISE)
    client = client_for("suivi")
    client.post(URL_UNE, {"mois": "2025-06", "entreprise": ent.pk, "lot": lot.pk})
    assert mail.outbox == []
    assert not Relance.objects.exists()


def test_relancer_toutes_les_non_recues(client_for):
    _paire()
    _paire()
    _paire(statut=StatutDeclaration.BROUILLON)
    client = client_for("admin")
    reponse = client.post(URL_TOUTES, {"mois": "2025-06"})
    assert reponse.status_code == 302
    assert len(mail.outbox) == 2
    assert Relance.objects.count() == 2


@pytest.mark.parametrize("role", ["direction", "animateur"])
def test_relance_interdite(client_for, role):
    lot, ent, _ = _paire()
    client = client_for(role)
    assert client.post(URL_TOUTES, {"mois": "2025-06"}).status_code == 403
    assert (
        client.post(URL_UNE, {"mois": "2025-06", "entreprise": ent.pk, "lot": lot.pk}).status_code
        == 403
    )
    assert mail.outbox == []


def test_relance_en_get_refusee(client_for):
    assert client_for("suivi").get(URL_TOUTES).status_code == 405


def test_commande(capsys):
    _paire()
    _paire(statut=StatutDeclaration.REJETEE)
    _, sans, _ = _paire()
    sans.email = ""
    sans.save()
    _paire(statut=StatutDeclaration.VALIDEE)

    call_command("relances", "--mois", "2025-06", "--dry-run")
    sortie = capsys.readouterr().out
    assert "2 envoyée(s), 1 échec(s), 0 ignorée(s)" in sortie
    assert mail.outbox == []
    assert not Relance.objects.exists()

    call_command("relances", "--mois", "2025-06")
    assert "2 envoyée(s), 1 échec(s), 0 ignorée(s)" in capsys.readouterr().out
    assert len(mail.outbox) == 2
    assert Relance.objects.count() == 3

    call_command("relances", "--mois", "2025-06")
    assert "0 envoyée(s), 1 échec(s), 2 ignorée(s)" in capsys.readouterr().out


def test_commande_mois_invalide():
    with pytest.raises(CommandError, match="Mois invalide"):
        call_command("relances", "--mois", "juin")
