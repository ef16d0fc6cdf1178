"""Nothing of a person survives its deletion or anonymisation: history rows, admin log,
free texts naming it (heures/services/traces.py)."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse

from heures.models import (
    CritereParticipant,
    DeclarationMensuelle,
    LigneDeclaration,
    Mission,
    Participant,
    Proposition,
    StatutDeclaration,
)
from heures.services import participants as services
from heures.services import traces
from mife import roles
from tests import factories as f
from tests.test_rgpd import critere, il_y_a, parcours, statistiques, vieillir

pytestmark = pytest.mark.django_db

NOM, PRENOM = "Zébulonnière", "Anaïs"
IDENTITE = [NOM, PRENOM, NOM.upper(), "0611223344", "anais.z@exemple.fr"]


def texte_de(*querysets) -> str:
    return json.dumps(
        [list(qs.values()) for qs in querysets], default=str, ensure_ascii=False
    ) + json.dumps([list(qs.values()) for qs in querysets], default=str)


def nulle_part(texte: str) -> None:
    for morceau in IDENTITE:
        assert morceau not in texte, morceau


def journal_admin(user, objet, message="", action=CHANGE):
    return LogEntry.objects.log_actions(
        user.pk, [objet], action, change_message=message, single_object=True
    )


@pytest.fixture
def admin_client(client_for):
    return client_for(roles.ADMIN, is_staff=True)


@pytest.fixture
def personne(admin_client):
    """A participant, modified once (its old phone is in a historical row), with a criterion
    justified in free text, named in the admin log, and a proposition commented."""
    p = f.ParticipantFactory(
        nom=NOM, prenom=PRENOM, telephone="0699999999", email="anais.z@exemple.fr", notes="RAS"
    )
    p.telephone = "0611223344"
    p.save()
    f.CritereParticipantFactory(
        participant=p, critere=critere("rqth"), justification=f"Notification MDPH de {PRENOM}"
    )
    journal_admin(admin_client.user, p, json.dumps([{"changed": {"fields": ["Téléphone"]}}]))
    return p


# --- deletion --------------------------------------------------------------------------------


def test_supprimer_un_participant_efface_ses_traces(admin_client, personne):
    p = personne
    besoin = f.BesoinRecrutementFactory()
    proposition = f.PropositionFactory(
        besoin=besoin, participant=p, commentaire=f"{PRENOM} très motivée"
    )
    # The besoin's admin page lists the proposition: its log names the person (inline).
    journal_admin(
        admin_client.user,
        besoin,
        [{"added": {"name": "proposition", "object": str(proposition)}}],
    )
    Proposition.objects.filter(pk=proposition.pk).delete()
    pk = p.pk
    response = admin_client.post(
        reverse("admin:heures_participant_delete", args=[pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Participant.objects.filter(pk=pk).exists()
    # History rows stay (who did what, when) but hold the pseudonym only.
    lignes = Participant.history.filter(id=pk).order_by("history_date")
    assert [ligne.history_type for ligne in lignes] == ["+", "~", "-"]
    assert {(ligne.nom, ligne.prenom) for ligne in lignes} == {("ANONYME", f"P-{pk:06d}")}
    assert {ligne.telephone for ligne in lignes} == {""}
    assert set(
        CritereParticipant.history.filter(participant_id=pk).values_list("justification", flat=True)
    ) == {""}
    assert set(
        Proposition.history.filter(participant_id=pk).values_list("commentaire", flat=True)
    ) == {traces.TEXTE_EFFACE}
    # The admin log: the deletion entry and the earlier ones no longer name the person.
    entrees = LogEntry.objects.all()
    nulle_part(texte_de(entrees))
    propre = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Participant), object_id=str(pk)
    )
    assert {e.object_repr for e in propre} == {f"Participant anonymisé n° {pk}"}
    assert propre.count() == 2  # the change logged above, and the deletion
    inline = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(besoin), object_id=str(besoin.pk)
    )
    assert json.loads(inline.change_message)[0]["added"]["object"].startswith(
        f"Participant anonymisé n° {pk} — "
    )
    nulle_part(
        texte_de(
            Participant.history.filter(id=pk),
            CritereParticipant.history.filter(participant_id=pk),
            Proposition.history.filter(participant_id=pk),
        )
    )


def test_suppression_en_masse_depuis_la_liste(admin_client, personne):
    autre = f.ParticipantFactory(nom="Quasimodo", prenom="Hugo")
    response = admin_client.post(
        reverse("admin:heures_participant_changelist"),
        {"action": "delete_selected", "_selected_action": [personne.pk, autre.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Participant.objects.exists()
    texte = texte_de(Participant.history.all(), LogEntry.objects.all())
    nulle_part(texte)
    assert "Quasimodo" not in texte


def test_les_autres_participants_ne_changent_pas(admin_client, personne):
    voisin = f.ParticipantFactory(nom="Bernard", prenom="Léa", notes="Suivi régulier")
    journal_admin(admin_client.user, voisin)
    type_participant = ContentType.objects.get_for_model(Participant)
    avant = (
        list(Participant.history.filter(id=voisin.pk).values()),
        LogEntry.objects.get(content_type=type_participant, object_id=str(voisin.pk)).object_repr,
    )
    admin_client.post(reverse("admin:heures_participant_delete", args=[personne.pk]), {"post": "1"})
    apres = (
        list(Participant.history.filter(id=voisin.pk).values()),
        LogEntry.objects.get(content_type=type_participant, object_id=str(voisin.pk)).object_repr,
    )
    assert apres == avant
    assert avant[1] == "BERNARD Léa"


# --- anonymisation ---------------------------------------------------------------------------


@pytest.fixture
def ancienne(personne, admin_client):
    """``personne``, whose last mission ended 6 years ago, with free texts everywhere."""
    p = personne
    mission = parcours(p, il_y_a(annees=7), il_y_a(annees=6), heures=("35",))
    Mission.objects.filter(pk=mission.pk).update(
        poste=f"Remplacement de {PRENOM} {NOM}",
        motif_derogation_eligibilite=f"{PRENOM} sortait d'un an d'hospitalisation",
    )
    mission.refresh_from_db()
    mission.poste = f"Maçon (poste de {PRENOM})"
    mission.save()  # a historical row with the free text
    LigneDeclaration.objects.filter(mission=mission).update(commentaire=f"Absente 2 jours ({NOM})")
    ligne = LigneDeclaration.objects.get(mission=mission)
    ligne.save()  # historical row with the comment
    proposition = f.PropositionFactory(participant=p, commentaire="Entretien reporté")
    journal_admin(admin_client.user, mission)  # « M-… — ZÉBULONNIÈRE Anaïs »
    vieillir(p, 7)
    return {"participant": p, "mission": mission, "proposition": proposition}


def test_anonymiser_efface_les_textes_libres_et_le_journal_admin(ancienne):
    p, mission = ancienne["participant"], ancienne["mission"]
    version = mission.version
    avant = statistiques()
    sortie = StringIO()
    call_command("anonymiser_participants", stdout=sortie)
    texte = sortie.getvalue()
    assert "Participants anonymisés : 1" in texte
    assert "Textes libres effacés (postes, motifs, commentaires) : 3 (historique : " in texte
    assert "Entrées du journal d'administration réécrites : 2" in texte
    mission.refresh_from_db()
    assert mission.poste == traces.TEXTE_EFFACE
    assert mission.motif_derogation_eligibilite == traces.TEXTE_EFFACE
    assert mission.version == version + 1  # an open form can no longer write it back
    ligne = LigneDeclaration.objects.get(mission=mission)
    assert ligne.commentaire == traces.TEXTE_EFFACE and ligne.heures == Decimal("35")
    proposition = Proposition.objects.get(pk=ancienne["proposition"].pk)
    assert proposition.commentaire == traces.TEXTE_EFFACE
    nulle_part(
        texte_de(
            Participant.history.filter(id=p.pk),
            Mission.objects.filter(pk=mission.pk),
            Mission.history.filter(id=mission.pk),
            LigneDeclaration.history.filter(mission_id=mission.pk),
            Proposition.history.filter(participant_id=p.pk),
            CritereParticipant.history.filter(participant_id=p.pk),
            LogEntry.objects.all(),
        )
    )
    assert LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Mission), object_id=str(mission.pk)
    ).object_repr == (f"{mission.reference} — Participant anonymisé n° {p.pk}")
    assert statistiques() == avant


def test_anonymiser_efface_le_nom_des_motifs_de_declaration(ancienne):
    """A declaration covers several people: its reasons (rejection, correction) lose the
    name of the person only, live and in their history; another person's name stays."""
    p, mission = ancienne["participant"], ancienne["mission"]
    declaration = LigneDeclaration.objects.get(mission=mission).declaration
    declaration.motif_rejet = f"Heures de {PRENOM} {NOM} à revoir ; Léa Bernard : rien à dire"
    declaration.motif_correction = f"Oubli de {NOM.upper()} {PRENOM} en mars"
    declaration.save()  # a historical row with the reasons
    version = declaration.version
    sortie = StringIO()
    call_command("anonymiser_participants", stdout=sortie)
    declaration.refresh_from_db()
    libelle = f"Participant anonymisé n° {p.pk}"
    assert declaration.motif_rejet == f"Heures de {libelle} à revoir ; Léa Bernard : rien à dire"
    assert declaration.motif_correction == f"Oubli de {libelle} en mars"
    assert declaration.version == version + 1
    assert declaration.statut == StatutDeclaration.VALIDEE
    nulle_part(texte_de(DeclarationMensuelle.history.filter(id=declaration.pk)))
    assert "Léa Bernard" in texte_de(DeclarationMensuelle.history.filter(id=declaration.pk))
    assert "Textes libres effacés (postes, motifs, commentaires) : 4 (historique : " in (
        sortie.getvalue()
    )


def test_supprimer_efface_le_nom_des_motifs_de_declaration(admin_client, personne):
    """A declaration line of a deleted mission: its declaration's reasons named the person."""
    mission = f.MissionFactory(participant=personne)
    ligne = f.LigneDeclarationFactory(mission=mission)
    declaration = ligne.declaration
    declaration.motif_rejet = f"{PRENOM} {NOM} absente"
    declaration.save()
    ligne.delete()
    mission.delete()
    pk = personne.pk
    admin_client.post(reverse("admin:heures_participant_delete", args=[pk]), {"post": "yes"})
    assert not Participant.objects.filter(pk=pk).exists()
    declaration.refresh_from_db()
    assert declaration.motif_rejet == f"Participant anonymisé n° {pk} absente"
    nulle_part(texte_de(DeclarationMensuelle.history.filter(id=declaration.pk)))


def test_anonymiser_deux_fois_ne_change_rien_de_plus(ancienne):
    call_command("anonymiser_participants", stdout=StringIO())
    photo = (
        list(Mission.history.values()),
        list(LigneDeclaration.history.values()),
        list(LogEntry.objects.values()),
    )
    sortie = StringIO()
    call_command("anonymiser_participants", stdout=sortie)
    assert "Textes libres effacés (postes, motifs, commentaires) : 0 (historique : 0)" in (
        sortie.getvalue()
    )
    assert "Entrées du journal d'administration réécrites : 0" in sortie.getvalue()
    assert (
        list(Mission.history.values()),
        list(LigneDeclaration.history.values()),
        list(LogEntry.objects.values()),
    ) == photo


def test_simulation(ancienne):
    photo = (list(Mission.objects.values()), list(LogEntry.objects.values()))
    sortie = StringIO()
    call_command("anonymiser_participants", "--dry-run", stdout=sortie)
    assert "Textes libres à effacer (postes, motifs, commentaires) : 3" in sortie.getvalue()
    assert "Entrées du journal d'administration à réécrire : 2" in sortie.getvalue()
    assert (list(Mission.objects.values()), list(LogEntry.objects.values())) == photo


# --- what was deleted before -----------------------------------------------------------------


def test_la_commande_nettoie_les_participants_supprimes_auparavant(admin_client, personne):
    """A participant deleted before this rule existed: its history still held its identity."""
    from django.db.models.signals import post_delete

    pk = personne.pk
    mission_supprimee = f.MissionFactory(participant=personne, poste=f"Poste de {PRENOM}")
    mission_pk = mission_supprimee.pk
    mission_supprimee.delete()
    post_delete.disconnect(sender=Participant, dispatch_uid="heures_participant_supprime")
    try:
        Participant.objects.filter(pk=pk).delete()
    finally:
        post_delete.connect(
            traces.participant_supprime,
            sender=Participant,
            dispatch_uid="heures_participant_supprime",
        )
    assert NOM in texte_de(Participant.history.filter(id=pk))  # what was left
    assert services.participants_a_anonymiser().count() == 0  # invisible to the old rule
    sortie = StringIO()
    call_command("anonymiser_participants", stdout=sortie)
    assert "Participants supprimés dont il restait des traces : 1" in sortie.getvalue()
    assert "Lignes d'historique des participants nettoyées : 3" in sortie.getvalue()
    nulle_part(
        texte_de(
            Participant.history.filter(id=pk),
            CritereParticipant.history.filter(participant_id=pk),
            Mission.history.filter(id=mission_pk),
            LogEntry.objects.all(),
        )
    )
    assert set(Mission.history.filter(id=mission_pk).values_list("poste", flat=True)) == {
        traces.TEXTE_EFFACE
    }
    sortie = StringIO()
    call_command("anonymiser_participants", stdout=sortie)
    assert "Participants supprimés dont il restait des traces : 0" in sortie.getvalue()


def test_une_declaration_validee_garde_ses_heures(ancienne):
    mission = ancienne["mission"]
    total = LigneDeclaration.objects.filter(
        mission=mission, declaration__statut=StatutDeclaration.VALIDEE
    ).values_list("heures", flat=True)
    avant = list(total)
    call_command("anonymiser_participants", stdout=StringIO())
    assert list(total) == avant


def test_le_journal_admin_d_un_homonyme_partiel_ne_change_pas(admin_client):
    """Only whole words: the log of « Combo Lingerie » survives the deletion of « Li Bo »."""
    p = f.ParticipantFactory(nom="Li", prenom="Bo")
    entreprise = f.EntrepriseFactory(raison_sociale="Combo Lingerie")
    journal_admin(admin_client.user, entreprise)
    journal_admin(admin_client.user, p)
    admin_client.post(reverse("admin:heures_participant_delete", args=[p.pk]), {"post": "1"})
    type_entreprise = ContentType.objects.get_for_model(entreprise)
    entree = LogEntry.objects.get(content_type=type_entreprise, object_id=str(entreprise.pk))
    assert entree.object_repr == "Combo Lingerie"


def test_formes_du_nom():
    assert set(traces._formes({("Lefèvre", "Amélie")})) == {
        "LEFÈVRE Amélie",
        "Lefèvre Amélie",
        "Amélie Lefèvre",
    }


def test_texte_neutre_tient_dans_les_champs():
    for modele, champ in (
        (Mission, "poste"),
        (LigneDeclaration, "commentaire"),
        (Proposition, "commentaire"),
    ):
        longueur = modele._meta.get_field(champ).max_length
        assert longueur is None or len(traces.TEXTE_EFFACE) <= longueur
