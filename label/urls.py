from django.contrib.auth.decorators import login_not_required
from django.urls import path

from label.views import dossiers, espace, evenements, labels, sessions

app_name = "label"
urlpatterns = [
    # diagnoses and dossiers
    path("diagnostics/", dossiers.DiagnosticListeView.as_view(), name="diagnostic_liste"),
    path(
        "diagnostics/nouveau/",
        dossiers.DiagnosticEditionView.as_view(),
        name="diagnostic_creer",
    ),
    path("diagnostics/<int:pk>/", dossiers.DiagnosticFicheView.as_view(), name="diagnostic_detail"),
    path(
        "diagnostics/<int:pk>/ouvrir/",
        dossiers.OuvrirDossierView.as_view(),
        name="dossier_ouvrir",
    ),
    path("dossiers/", dossiers.DossierListeView.as_view(), name="dossier_liste"),
    path("dossiers/<int:pk>/", dossiers.DossierFicheView.as_view(), name="dossier_detail"),
    path(
        "dossiers/<int:pk>/contenu/",
        dossiers.DossierContenuView.as_view(),
        name="dossier_contenu",
    ),
    path("dossiers/<int:pk>/statut/", dossiers.TransitionView.as_view(), name="dossier_transition"),
    path(
        "dossiers/<int:dossier_pk>/actions/nouvelle/",
        dossiers.ActionEditionView.as_view(),
        name="action_creer",
    ),
    path(
        "actions/<int:pk>/modifier/", dossiers.ActionEditionView.as_view(), name="action_modifier"
    ),
    path(
        "actions/<int:pk>/supprimer/",
        dossiers.ActionSupprimerView.as_view(),
        name="action_supprimer",
    ),
    # attachments
    path("dossiers/<int:pk>/pieces/", dossiers.PieceAjouterView.as_view(), name="piece_ajouter"),
    path("pieces/<int:pk>/", dossiers.PieceTelechargerView.as_view(), name="piece_telecharger"),
    path(
        "pieces/<int:pk>/supprimer/",
        dossiers.PieceSupprimerView.as_view(),
        name="piece_supprimer",
    ),
    # company links (the animator's side; the company's side needs no login)
    path("dossiers/<int:pk>/liens/", dossiers.LienCreerView.as_view(), name="lien_creer"),
    path("liens/<int:pk>/revoquer/", dossiers.LienRevoquerView.as_view(), name="lien_revoquer"),
    path("espace/<str:jeton>/", login_not_required(espace.EspaceView.as_view()), name="espace"),
    path(
        "espace/<str:jeton>/contenu/",
        login_not_required(espace.EspaceContenuView.as_view()),
        name="espace_contenu",
    ),
    path(
        "espace/<str:jeton>/actions/nouvelle/",
        login_not_required(espace.EspaceActionView.as_view()),
        name="espace_action_creer",
    ),
    path(
        "espace/<str:jeton>/actions/<int:pk>/",
        login_not_required(espace.EspaceActionView.as_view()),
        name="espace_action_modifier",
    ),
    path(
        "espace/<str:jeton>/actions/<int:pk>/supprimer/",
        login_not_required(espace.EspaceActionSupprimerView.as_view()),
        name="espace_action_supprimer",
    ),
    path(
        "espace/<str:jeton>/pieces/",
        login_not_required(espace.EspacePieceAjouterView.as_view()),
        name="espace_piece_ajouter",
    ),
    path(
        "espace/<str:jeton>/pieces/<int:pk>/",
        login_not_required(espace.EspacePieceView.as_view()),
        name="espace_piece",
    ),
    path(
        "espace/<str:jeton>/pieces/<int:pk>/supprimer/",
        login_not_required(espace.EspacePieceSupprimerView.as_view()),
        name="espace_piece_supprimer",
    ),
    path("dossiers/<int:pk>/pdf/", sessions.DossierPdfView.as_view(), name="dossier_pdf"),
    # jury sessions
    path("jurys/", sessions.SessionListeView.as_view(), name="session_liste"),
    path("jurys/nouvelle/", sessions.SessionEditionView.as_view(), name="session_creer"),
    path("jurys/<int:pk>/", sessions.SessionFicheView.as_view(), name="session_detail"),
    path(
        "jurys/<int:pk>/modifier/", sessions.SessionEditionView.as_view(), name="session_modifier"
    ),
    path("jurys/<int:pk>/membres/", sessions.SessionMembresView.as_view(), name="session_membres"),
    path("jurys/<int:pk>/inscrire/", sessions.InscrireView.as_view(), name="session_inscrire"),
    path(
        "jurys/<int:pk>/convocations/",
        sessions.ConvocationsView.as_view(),
        name="session_convocations",
    ),
    path("jurys/<int:pk>/presences/", sessions.PresencesView.as_view(), name="session_presences"),
    path("jurys/<int:pk>/tenue/", sessions.TenueView.as_view(), name="session_tenue"),
    path("jurys/<int:pk>/cloturer/", sessions.CloturerView.as_view(), name="session_cloturer"),
    path("jurys/<int:pk>/annuler/", sessions.AnnulerView.as_view(), name="session_annuler"),
    path("jurys/<int:pk>/pv/", sessions.PvPdfView.as_view(), name="session_pv"),
    path("passages/<int:pk>/creneau/", sessions.CreneauView.as_view(), name="passage_creneau"),
    path("passages/<int:pk>/retirer/", sessions.RetirerView.as_view(), name="passage_retirer"),
    path("passages/<int:pk>/avis/", sessions.AvisView.as_view(), name="passage_avis"),
    path("passages/<int:pk>/decision/", sessions.DecisionView.as_view(), name="passage_decision"),
    # labels
    path("labels/", labels.LabelListeView.as_view(), name="label_liste"),
    path("labels/<int:pk>/", labels.LabelFicheView.as_view(), name="label_detail"),
    path("labels/<int:pk>/dates/", labels.LabelDatesView.as_view(), name="label_dates"),
    path("labels/<int:pk>/renouveler/", labels.RenouvelerView.as_view(), name="label_renouveler"),
    path("labels/<int:pk>/certificat/", labels.CertificatView.as_view(), name="label_certificat"),
    # public pages (no login): directory, certificate verification
    path("annuaire/", login_not_required(labels.annuaire), name="annuaire"),
    path("verifier/<str:code>/", login_not_required(labels.verifier), name="verifier"),
    # network events
    path("evenements/", evenements.EvenementListeView.as_view(), name="evenement_liste"),
    path("evenements/nouveau/", evenements.EvenementEditionView.as_view(), name="evenement_creer"),
    path("evenements/<int:pk>/", evenements.EvenementFicheView.as_view(), name="evenement_detail"),
    path(
        "evenements/<int:pk>/modifier/",
        evenements.EvenementEditionView.as_view(),
        name="evenement_modifier",
    ),
    path(
        "evenements/<int:pk>/inviter/",
        evenements.InviterView.as_view(),
        name="evenement_inviter",
    ),
    path(
        "evenements/<int:pk>/presences/",
        evenements.PresencesEvenementView.as_view(),
        name="evenement_presences",
    ),
    path(
        "evenements/<int:pk>/presences.xlsx",
        evenements.PresencesExcelView.as_view(),
        name="evenement_presences_xlsx",
    ),
    # jury members
    path("membres/", sessions.MembreListeView.as_view(), name="membre_liste"),
    path("membres/nouveau/", sessions.MembreEditionView.as_view(), name="membre_creer"),
    path(
        "membres/<int:pk>/modifier/", sessions.MembreEditionView.as_view(), name="membre_modifier"
    ),
]
