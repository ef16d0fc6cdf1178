"""Label dossiers: eligibility diagnosis, opening, content and actions, completeness, the
workflow's transitions (defined once, traced, allowed by permission)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from label.models import (
    ActionLabel,
    Axe,
    DiagnosticEligibilite,
    DossierLabel,
    JournalDossier,
    NatureJournal,
    StatutDossier,
    ThemeSalaries,
)
from label.selectors import completude
from label.services import workflow
from tests import factories as f
from tests.outils_label import dossier_complet

pytestmark = pytest.mark.django_db

S = StatutDossier
ROLES_LECTEURS = ["facilitateur", "direction"]
ROLES_SANS_ECRITURE = ["facilitateur", "direction", "suivi", None]


@pytest.fixture(autouse=True)
def media_temporaire(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def texte(response) -> str:
    return response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')


# --- eligibility diagnosis ---------------------------------------------------------------------


def donnees_diagnostic(entreprise, **modifs):
    donnees = {
        "entreprise": entreprise.pk,
        "date": timezone.localdate().isoformat(),
        "implantee_territoire": "on",
        "engagements": "on",
        "effectif": "12",
        "commentaire": "Rencontre avec la gérante.",
        "version_lue": "",
    }
    donnees.update(modifs)
    return {k: v for k, v in donnees.items() if v is not None}


def test_diagnostic_eligible(client_for):
    entreprise = f.EntrepriseFactory(raison_sociale="Bâtir Ensemble")
    client = client_for("animateur")
    response = client.post(reverse("label:diagnostic_creer"), donnees_diagnostic(entreprise))
    diagnostic = DiagnosticEligibilite.objects.get()
    assert response.status_code == 302 and response.url == diagnostic.get_absolute_url()
    assert diagnostic.eligible and diagnostic.motifs == ""
    assert diagnostic.label_precedent == "Aucun label précédent"
    assert diagnostic.realise_par == client.user and diagnostic.effectif == 12
    page = texte(client.get(diagnostic.get_absolute_url()))
    assert "Éligible" in page and "Ouvrir le dossier de labellisation" in page


def test_diagnostic_non_eligible_dit_pourquoi(client_for):
    entreprise = f.EntrepriseFactory()
    client = client_for("animateur")
    client.post(
        reverse("label:diagnostic_creer"),
        donnees_diagnostic(entreprise, implantee_territoire=None, effectif="0"),
    )
    diagnostic = DiagnosticEligibilite.objects.get()
    assert not diagnostic.eligible
    assert "pas implantée sur le Territoire de Belfort" in diagnostic.motifs
    assert "Effectif insuffisant" in diagnostic.motifs
    page = texte(client.get(diagnostic.get_absolute_url()))
    assert "Non éligible" in page and "Ouvrir le dossier" not in page


def test_diagnostic_label_precedent(client_for):
    aujourdhui = timezone.localdate()
    encore_longtemps = f.LabelFactory(
        date_obtention=aujourdhui - dt.timedelta(days=100),
        date_expiration=aujourdhui + dt.timedelta(days=900),
    ).entreprise
    bientot = f.LabelFactory(
        date_obtention=aujourdhui - dt.timedelta(days=1000),
        date_expiration=aujourdhui + dt.timedelta(days=60),
    ).entreprise
    client = client_for("animateur")
    for entreprise in (encore_longtemps, bientot):
        client.post(reverse("label:diagnostic_creer"), donnees_diagnostic(entreprise))
    bloque = DiagnosticEligibilite.objects.get(entreprise=encore_longtemps)
    assert not bloque.eligible and "renouvellement se prépare" in bloque.motifs
    assert bloque.label_precedent.startswith("Label valide jusqu'au")
    assert DiagnosticEligibilite.objects.get(entreprise=bientot).eligible


def test_diagnostic_saisie_invalide(client_for):
    entreprise = f.EntrepriseFactory()
    client = client_for("animateur")
    response = client.post(
        reverse("label:diagnostic_creer"), donnees_diagnostic(entreprise, effectif="", date="")
    )
    assert response.status_code == 200
    page = texte(response)
    assert "rien n'a été enregistré" in page
    assert 'href="#id_effectif">Effectif salarié</a>' in page
    assert 'href="#id_date">Date du diagnostic</a>' in page
    assert not DiagnosticEligibilite.objects.exists()


@pytest.mark.parametrize("role", ROLES_SANS_ECRITURE)
def test_diagnostic_interdit(client_for, role):
    entreprise = f.EntrepriseFactory()
    client = client_for(role)
    assert client.get(reverse("label:diagnostic_creer")).status_code == 403
    response = client.post(reverse("label:diagnostic_creer"), donnees_diagnostic(entreprise))
    assert response.status_code == 403
    assert not DiagnosticEligibilite.objects.exists()


# --- opening a dossier -------------------------------------------------------------------------


def test_ouvrir_un_dossier(client_for):
    diagnostic = f.DiagnosticEligibiliteFactory()
    client = client_for("animateur")
    response = client.post(reverse("label:dossier_ouvrir", args=[diagnostic.pk]))
    dossier = DossierLabel.objects.get()
    assert response.url == dossier.get_absolute_url()
    assert dossier.statut == S.EN_PREPARATION and dossier.diagnostic_eligibilite == diagnostic
    assert dossier.annee == timezone.localdate().year and dossier.animateur == client.user
    entree = dossier.journal.get()
    assert entree.auteur == client.user and entree.nature == NatureJournal.TRANSITION


def test_un_seul_dossier_en_cours(client_for):
    en_cours = f.DossierLabelFactory(statut=S.DEPOSE, annee=2025)
    diagnostic = f.DiagnosticEligibiliteFactory(entreprise=en_cours.entreprise)
    client = client_for("animateur")
    response = client.post(reverse("label:dossier_ouvrir", args=[diagnostic.pk]), follow=True)
    assert "a déjà un dossier en cours (2025, déposé)" in texte(response)
    assert DossierLabel.objects.count() == 1


def test_diagnostic_non_eligible_n_ouvre_rien(client_for):
    diagnostic = f.DiagnosticEligibiliteFactory(eligible=False, motifs="Hors territoire.")
    client = client_for("animateur")
    response = client.post(reverse("label:dossier_ouvrir", args=[diagnostic.pk]), follow=True)
    assert "non-éligibilité" in texte(response)
    assert not DossierLabel.objects.exists()


@pytest.mark.parametrize("role", ROLES_SANS_ECRITURE)
def test_ouvrir_interdit(client_for, role):
    diagnostic = f.DiagnosticEligibiliteFactory()
    response = client_for(role).post(reverse("label:dossier_ouvrir", args=[diagnostic.pk]))
    assert response.status_code == 403
    assert not DossierLabel.objects.exists()


# --- the dossier's page ------------------------------------------------------------------------


def test_fiche_du_dossier_pour_l_animateur(client_for):
    dossier = f.DossierLabelFactory(
        entreprise=f.EntrepriseFactory(raison_sociale="Peintures du Lion"), statut=S.EN_PREPARATION
    )
    f.ActionLabelFactory(
        dossier=dossier, axe=Axe.SCOLAIRES, theme="", intitule="Stages de 3e", description=""
    )
    client = client_for("animateur")
    page = texte(client.get(dossier.get_absolute_url()))
    assert "Complétude du dossier" in page
    assert "Diagnostic d'éligibilité favorable" in page
    assert "Au moins une action sur l'axe « Demandeurs d'emploi »" in page
    assert "Action « Stages de 3e » : il manque la description" in page
    assert "Déposer le dossier" in page
    assert reverse("label:action_creer", args=[dossier.pk]) + "?axe=salaries" in page
    assert reverse("label:dossier_contenu", args=[dossier.pk]) in page
    assert "Envoyer le lien" in page or "ajoutez-en un sur sa fiche" in page


@pytest.mark.parametrize("role", ROLES_LECTEURS)
def test_fiche_du_dossier_en_lecture(client_for, role):
    dossier = dossier_complet()
    page = texte(client_for(role).get(dossier.get_absolute_url()))
    assert "Tutorat des apprentis" in page and "Preuve Stages de 3e" in page
    assert "Déposer le dossier" not in page
    assert reverse("label:dossier_contenu", args=[dossier.pk]) not in page
    assert "Ajouter une action" not in page and "Déposer une pièce" not in page


@pytest.mark.parametrize("role", ["suivi", None])
def test_fiche_du_dossier_interdite(client_for, role):
    dossier = f.DossierLabelFactory()
    assert client_for(role).get(dossier.get_absolute_url()).status_code == 403


# --- content: plan and good practice -----------------------------------------------------------


def donnees_contenu(dossier, **modifs):
    donnees = {
        "bonnes_pratiques": "Accueil d'autres entreprises sur nos chantiers.",
        "engagements_annee1": "Livret d'accueil.",
        "engagements_annee2": "Stages de 3e.",
        "engagements_annee3": "Tuteurs formés.",
        "plan_amelioration": "",
        "diagnostic": "",
        "version_lue": dossier.version,
    }
    donnees.update(modifs)
    return donnees


def test_contenu_enregistre_et_trace(client_for):
    dossier = f.DossierLabelFactory(statut=S.EN_PREPARATION, bonnes_pratiques="")
    client = client_for("animateur")
    url = reverse("label:dossier_contenu", args=[dossier.pk])
    response = client.post(url, donnees_contenu(dossier))
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.engagements_annee3 == "Tuteurs formés." and dossier.version == 2
    entree = dossier.journal.get()
    assert entree.auteur == client.user
    assert "engagements de la 3e année : « — » → « Tuteurs formés. »" in entree.description


def test_contenu_modification_concurrente_refusee(client_for, make_user):
    dossier = f.DossierLabelFactory(statut=S.EN_PREPARATION)
    version_ouverte = dossier.version
    autre = make_user("animateur", username="collegue", first_name="Léa", last_name="Morel")
    dossier.bonnes_pratiques = "Changé par une collègue."
    from mife.core.concurrence import enregistrer_versionne

    enregistrer_versionne(dossier, version_ouverte, user=autre)
    client = client_for("animateur")
    response = client.post(
        reverse("label:dossier_contenu", args=[dossier.pk]),
        donnees_contenu(dossier, version_lue=version_ouverte),
    )
    assert response.status_code == 200
    assert "Léa Morel a modifié cette fiche le" in texte(response)
    dossier.refresh_from_db()
    assert dossier.bonnes_pratiques == "Changé par une collègue."


def test_contenu_fige_apres_depot(client_for):
    dossier = f.DossierLabelFactory(statut=S.DEPOSE, bonnes_pratiques="Avant.")
    client = client_for("animateur")
    response = client.post(
        reverse("label:dossier_contenu", args=[dossier.pk]),
        donnees_contenu(dossier, bonnes_pratiques="Après."),
    )
    assert "son contenu ne peut plus être modifié" in texte(response)
    dossier.refresh_from_db()
    assert dossier.bonnes_pratiques == "Avant."


@pytest.mark.parametrize("role", ROLES_SANS_ECRITURE)
def test_contenu_interdit(client_for, role):
    dossier = f.DossierLabelFactory(statut=S.EN_PREPARATION, bonnes_pratiques="Avant.")
    client = client_for(role)
    url = reverse("label:dossier_contenu", args=[dossier.pk])
    assert client.post(url, donnees_contenu(dossier)).status_code == 403
    dossier.refresh_from_db()
    assert dossier.bonnes_pratiques == "Avant."


# --- actions -----------------------------------------------------------------------------------


def donnees_action(**modifs):
    donnees = {
        "axe": Axe.SALARIES,
        "theme": ThemeSalaries.TUTORAT,
        "intitule": "Tutorat des apprentis",
        "description": "Un tuteur pour chaque apprenti.",
        "date_debut": "2026-01-05",
        "date_fin": "2026-06-30",
        "personnes": "4",
        "heures": "12,5",
        "indicateur": "Apprentis suivis",
        "version_lue": "",
    }
    donnees.update(modifs)
    return donnees


def test_ajouter_puis_modifier_une_action(client_for):
    dossier = f.DossierLabelFactory(statut=S.EN_PREPARATION)
    client = client_for("animateur")
    response = client.post(reverse("label:action_creer", args=[dossier.pk]), donnees_action())
    action = ActionLabel.objects.get()
    assert response.url == dossier.get_absolute_url() + f"#action-{action.pk}"
    assert (action.personnes, str(action.heures), action.date_fin) == (
        4,
        "12.5",
        dt.date(2026, 6, 30),
    )
    response = client.post(
        reverse("label:action_modifier", args=[action.pk]),
        donnees_action(personnes="6", version_lue=action.version),
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.personnes == 6
    descriptions = list(dossier.journal.order_by("pk").values_list("description", flat=True))
    assert descriptions[0] == "Action « Tutorat des apprentis » ajoutée (axe Salariés)"
    assert "personnes concernées : « 4 » → « 6 »" in descriptions[1]


@pytest.mark.parametrize(
    "modifs, champ, message",
    [
        (
            {"date_debut": "2026-06-30", "date_fin": "2026-01-05"},
            "date_fin",
            "La date de fin doit être postérieure ou égale à la date de début.",
        ),
        (
            {"axe": Axe.SCOLAIRES},
            "theme",
            "Le thème ne s'indique que pour une action de l'axe « Salariés ».",
        ),
        ({"theme": ""}, "theme", "Choisissez le thème de cette action de l'axe « Salariés »."),
        ({"heures": "-3"}, "heures", "Le nombre d'heures ne peut pas être négatif."),
        ({"intitule": ""}, "intitule", "Ce champ est obligatoire."),
        ({"date_debut": "31/02/2026"}, "date_debut", "Saisissez une date valide."),
    ],
)
def test_action_saisie_invalide(client_for, modifs, champ, message):
    dossier = f.DossierLabelFactory(statut=S.EN_PREPARATION)
    client = client_for("animateur")
    response = client.post(
        reverse("label:action_creer", args=[dossier.pk]), donnees_action(**modifs)
    )
    assert response.status_code == 200
    form = response.context["formulaires"]["action"]
    assert any(message in e for e in form.errors[champ]), form.errors
    assert "rien n'a été enregistré" in texte(response)
    assert not ActionLabel.objects.exists()
    assert not JournalDossier.objects.exists()


def test_supprimer_une_action(client_for):
    dossier = f.DossierLabelFactory(statut=S.INCOMPLET)
    action = f.ActionLabelFactory(dossier=dossier, intitule="Visite de chantier")
    client = client_for("animateur")
    client.post(reverse("label:action_supprimer", args=[action.pk]))
    assert not ActionLabel.objects.exists()
    assert dossier.journal.get().description == "Action « Visite de chantier » supprimée"


def test_actions_figees_apres_depot(client_for):
    dossier = f.DossierLabelFactory(statut=S.RECEVABLE)
    action = f.ActionLabelFactory(dossier=dossier)
    client = client_for("animateur")
    response = client.post(reverse("label:action_creer", args=[dossier.pk]), donnees_action())
    assert "son contenu ne peut plus être modifié" in texte(response)
    client.post(reverse("label:action_supprimer", args=[action.pk]))
    assert ActionLabel.objects.count() == 1


@pytest.mark.parametrize("role", ROLES_SANS_ECRITURE)
def test_actions_interdites(client_for, role):
    dossier = f.DossierLabelFactory(statut=S.EN_PREPARATION)
    action = f.ActionLabelFactory(dossier=dossier, intitule="Avant")
    client = client_for(role)
    assert (
        client.post(reverse("label:action_creer", args=[dossier.pk]), donnees_action())
    ).status_code == 403
    assert (
        client.post(
            reverse("label:action_modifier", args=[action.pk]),
            donnees_action(version_lue=action.version),
        )
    ).status_code == 403
    assert client.post(reverse("label:action_supprimer", args=[action.pk])).status_code == 403
    assert list(ActionLabel.objects.values_list("intitule", flat=True)) == ["Avant"]


# --- completeness ------------------------------------------------------------------------------


def test_completude():
    dossier = dossier_complet()
    assert completude(dossier).complet
    assert completude(dossier).pourcentage == 100
    dossier.engagements_annee2 = ""
    action = dossier.actions.get(axe=Axe.SCOLAIRES)
    action.pieces.all().delete()
    resultat = completude(dossier)
    assert resultat.manquants == [
        "Action « Stages de 3e » : il manque une pièce justificative",
        "Plan d'amélioration : engagements de la 2e année",
    ]


def test_renouvellement_sans_diagnostic():
    dossier = dossier_complet(renouvellement=True, diagnostic_eligibilite=None)
    assert completude(dossier).complet


# --- the workflow ------------------------------------------------------------------------------


def test_table_des_transitions():
    def codes(statut):
        return [t.code for t in workflow.transitions_possibles(DossierLabel(statut=statut))]

    assert codes(S.EN_PREPARATION) == ["deposer"]
    assert codes(S.DEPOSE) == ["recevable", "incomplet"]
    assert codes(S.INCOMPLET) == ["deposer"]
    assert codes(S.RECEVABLE) == ["inscrire"]
    assert codes(S.INSCRIT) == ["retirer", "labelliser", "ajourner", "refuser"]
    assert codes(S.AJOURNE) == ["reprendre"]
    assert codes(S.LABELLISE) == codes(S.REFUSE) == []


def transition(client, dossier, code, commentaire=""):
    return client.post(
        reverse("label:dossier_transition", args=[dossier.pk]),
        {"code": code, "version_lue": dossier.version, "commentaire": commentaire},
        follow=True,
    )


def test_deposer_un_dossier_incomplet_est_refuse(client_for):
    dossier = f.DossierLabelFactory(statut=S.EN_PREPARATION)
    client = client_for("animateur")
    page = texte(transition(client, dossier, "deposer"))
    assert "Dossier incomplet, il ne peut pas être déposé. Il manque :" in page
    dossier.refresh_from_db()
    assert dossier.statut == S.EN_PREPARATION and dossier.date_depot is None
    assert not dossier.journal.exists()


def test_parcours_depot_incomplet_recevable(client_for):
    dossier = dossier_complet()
    client = client_for("animateur")
    transition(client, dossier, "deposer", "Dossier relu avec la gérante.")
    dossier.refresh_from_db()
    assert dossier.statut == S.DEPOSE and dossier.date_depot == timezone.localdate()

    page = texte(transition(client, dossier, "incomplet"))
    assert "Indiquez le motif" in page
    dossier.refresh_from_db()
    assert dossier.statut == S.DEPOSE

    transition(client, dossier, "incomplet", "Ajoutez l'organigramme.")
    dossier.refresh_from_db()
    assert dossier.statut == S.INCOMPLET
    transition(client, dossier, "deposer")
    dossier.refresh_from_db()
    transition(client, dossier, "recevable")
    dossier.refresh_from_db()
    assert dossier.statut == S.RECEVABLE

    journal = list(dossier.journal.order_by("pk"))
    assert [(j.statut_avant, j.statut_apres) for j in journal] == [
        (S.EN_PREPARATION, S.DEPOSE),
        (S.DEPOSE, S.INCOMPLET),
        (S.INCOMPLET, S.DEPOSE),
        (S.DEPOSE, S.RECEVABLE),
    ]
    assert journal[0].commentaire == "Dossier relu avec la gérante."
    assert journal[1].commentaire == "Ajoutez l'organigramme."
    assert all(j.auteur == client.user and j.le for j in journal)
    page = texte(client.get(dossier.get_absolute_url()))
    assert "Déposé → Incomplet" in page and "Ajoutez l'organigramme." in page


def test_transition_d_un_etat_qui_ne_la_permet_pas(client_for):
    dossier = dossier_complet(statut=S.RECEVABLE)
    client = client_for("animateur")
    page = texte(transition(client, dossier, "deposer"))
    assert "« Déposer le dossier » est impossible : le dossier est « recevable »." in page
    page = texte(transition(client, dossier, "inscrire"))
    assert "se fait depuis la page de la session" in page
    dossier.refresh_from_db()
    assert dossier.statut == S.RECEVABLE


def test_transition_sur_version_perimee(client_for):
    dossier = dossier_complet()
    client = client_for("animateur")
    response = client.post(
        reverse("label:dossier_transition", args=[dossier.pk]),
        {"code": "deposer", "version_lue": dossier.version - 1 if dossier.version > 1 else 99},
        follow=True,
    )
    assert "Enregistrement refusé" in texte(response)
    dossier.refresh_from_db()
    assert dossier.statut == S.EN_PREPARATION


@pytest.mark.parametrize("role", ROLES_SANS_ECRITURE)
def test_transitions_interdites(client_for, role):
    dossier = dossier_complet(statut=S.DEPOSE)
    client = client_for(role)
    response = client.post(
        reverse("label:dossier_transition", args=[dossier.pk]),
        {"code": "recevable", "version_lue": dossier.version},
    )
    assert response.status_code == 403
    dossier.refresh_from_db()
    assert dossier.statut == S.DEPOSE


def test_boutons_selon_les_droits(make_user):
    dossier = DossierLabel(statut=S.DEPOSE)
    animateur, direction = make_user("animateur"), make_user("direction")
    assert [t.code for t in workflow.boutons(dossier, animateur)] == ["recevable", "incomplet"]
    assert workflow.boutons(dossier, direction) == []


# --- lists -------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 30])
def test_requetes_liste_diagnostics(client_for, django_assert_max_num_queries, n):
    for _ in range(n):
        diagnostic = f.DiagnosticEligibiliteFactory(realise_par=f.UserFactory())
        f.DossierLabelFactory(entreprise=diagnostic.entreprise, diagnostic_eligibilite=diagnostic)
    client = client_for("animateur")
    url = reverse("label:diagnostic_liste")
    client.get(url)
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(6):  # + the access-log entry of the export
        export = client.get(url, {"export": "xlsx"})
        assert b"".join(export.streaming_content).startswith(b"PK")
