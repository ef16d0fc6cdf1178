"""Reminders by e-mail: recipients, template, log, once a day, buttons, command."""

import datetime as dt
import html

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
    donnees = {
        "mois": "2025-06",
        "entreprise": ent.pk,
        "lot": lot.pk,
        "paire": f"{ent.pk}-{lot.pk}",
    }
    reponse = client.post(URL_UNE, donnees)
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
    client.post(URL_UNE, donnees)
    assert len(mail.outbox) == 1


def test_bouton_par_ligne_refuse_une_declaration_soumise(client_for):
    lot, ent, _ = _paire(statut=StatutDeclaration.SOUMISE)
    client = client_for("suivi")
    client.post(URL_UNE, {"mois": "2025-06", "entreprise": ent.pk, "lot": lot.pk})
    assert mail.outbox == []
    assert not Relance.objects.exists()


def test_relancer_toutes_les_non_recues(client_for):
    paires = [_paire()[:2], _paire()[:2]]
    _paire(statut=StatutDeclaration.BROUILLON)
    client = client_for("admin")
    cles = [f"{ent.pk}-{lot.pk}" for lot, ent in paires]
    reponse = client.post(URL_TOUTES, {"mois": "2025-06", "paire": cles})
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


# --- confirmation step: nothing is sent before the user has seen what will be sent ----------


def _cles(reponse) -> list[str]:
    return [p.cle for p in reponse.context["a_envoyer"] + reponse.context["sans_destinataire"]]


def test_apercu_d_une_relance_n_envoie_rien(client_for):
    lot, ent, _ = _paire(statut=StatutDeclaration.REJETEE)
    _contact(ent, email="rh@exemple.fr", destinataire_relances=True)
    client = client_for("facilitateur")
    reponse = client.get(URL_UNE, {"mois": "2025-06", "entreprise": ent.pk, "lot": lot.pk})
    assert reponse.status_code == 200
    assert mail.outbox == []
    assert not Relance.objects.exists()
    prevue = reponse.context["a_envoyer"][0]
    assert prevue.adresses == ["rh@exemple.fr"]
    contenu = reponse.content.decode()
    # Recipients, subject and body exactly as they will be sent (the body is escaped HTML).
    assert "rh@exemple.fr" in contenu
    assert html.escape(prevue.sujet) in contenu and "juin 2025" in prevue.sujet
    assert html.escape(lot.marche.donneur_ordre.nom) in contenu
    assert "Motif du rejet : Heures incomplètes." in contenu
    assert "Rien n'est encore envoyé" in contenu
    assert f'name="paire" value="{ent.pk}-{lot.pk}"' in contenu
    # Confirming sends this very message.
    client.post(
        URL_UNE,
        {"mois": "2025-06", "entreprise": ent.pk, "lot": lot.pk, "paire": _cles(reponse)},
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == prevue.sujet
    assert mail.outbox[0].body == prevue.corps
    assert mail.outbox[0].to == ["rh@exemple.fr"]


def test_confirmation_envoie_exactement_les_relances_listees(client_for):
    _, ent1, _ = _paire()
    _, ent2, _ = _paire()
    _, sans, _ = _paire()
    sans.email = ""
    sans.save()
    _paire(statut=StatutDeclaration.BROUILLON)  # not « non reçue »: not in this batch
    client = client_for("suivi")
    apercu = client.get(URL_TOUTES, {"mois": "2025-06"})
    assert mail.outbox == []
    assert {p.entreprise for p in apercu.context["a_envoyer"]} == {ent1, ent2}
    assert [p.entreprise for p in apercu.context["sans_destinataire"]] == [sans]
    assert "aucun destinataire" in apercu.content.decode()
    # A pair that becomes due after the preview is not sent with the confirmed batch.
    _, tardive, _ = _paire()
    reponse = client.post(URL_TOUTES, {"mois": "2025-06", "paire": _cles(apercu)}, follow=True)
    envoyes = sorted(tuple(m.to) for m in mail.outbox)
    assert envoyes == sorted(((ent1.email,), (ent2.email,)))
    assert not Relance.objects.filter(entreprise=tardive).exists()
    assert Relance.objects.filter(statut=StatutRelance.ECHEC).get().entreprise == sans
    assert "2 relance(s) envoyée(s), 1 échec(s)" in reponse.content.decode()


def test_apercu_signale_les_relances_deja_faites_aujourd_hui(client_for):
    _, ent, _ = _paire()
    relances.relancer_mois(MOIS)
    mail.outbox.clear()
    client = client_for("suivi")
    apercu = client.get(URL_TOUTES, {"mois": "2025-06"})
    assert apercu.context["a_envoyer"] == []
    assert [p.entreprise for p in apercu.context["ignorees"]] == [ent]
    assert "Aucune relance à envoyer pour juin 2025" in apercu.content.decode()
    assert 'name="paire"' not in apercu.content.decode()


def test_confirmation_sans_relance_choisie_n_envoie_rien(client_for):
    _paire()
    client = client_for("suivi")
    reponse = client.post(URL_TOUTES, {"mois": "2025-06"}, follow=True)
    assert mail.outbox == []
    assert not Relance.objects.exists()
    assert "Aucune relance n&#x27;a été confirmée" in reponse.content.decode()


@pytest.mark.parametrize(
    "params",
    [{"mois": "juin"}, {"mois": "2025-13"}, {}],
)
def test_apercu_mois_invalide(client_for, params):
    _paire()
    reponse = client_for("suivi").get(URL_TOUTES, params, follow=True)
    assert "Mois invalide" in reponse.content.decode()
    assert mail.outbox == []


def test_apercu_entreprise_invalide(client_for):
    lot, _, _ = _paire()
    client = client_for("suivi")
    reponse = client.get(URL_UNE, {"mois": "2025-06", "entreprise": "abc", "lot": lot.pk})
    assert reponse.status_code == 404


@pytest.mark.parametrize("role", ["direction", "animateur"])
def test_apercu_interdit(client_for, role):
    lot, ent, _ = _paire()
    client = client_for(role)
    assert client.get(URL_TOUTES, {"mois": "2025-06"}).status_code == 403
    params = {"mois": "2025-06", "entreprise": ent.pk, "lot": lot.pk}
    assert client.get(URL_UNE, params).status_code == 403
    assert mail.outbox == []


def test_tableau_mene_a_l_apercu_et_non_a_l_envoi(client_for):
    lot, ent, _ = _paire()
    page = client_for("suivi").get(reverse("heures:tableau_mois"), {"mois": "2025-06"})
    contenu = page.content.decode()
    assert f"{URL_UNE}?mois=2025-06&amp;entreprise={ent.pk}&amp;lot={lot.pk}" in contenu
    assert f"{URL_TOUTES}?mois=2025-06" in contenu
    assert f'action="{URL_UNE}"' not in contenu and f'action="{URL_TOUTES}"' not in contenu
