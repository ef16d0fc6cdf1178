from django.urls import path

from marches import views

app_name = "marches"
urlpatterns = [
    path("", views.MarcheListeView.as_view(), name="marche_liste"),
    path("nouveau/", views.MarcheEditionView.as_view(), name="marche_creer"),
    path("<int:pk>/", views.MarcheFicheView.as_view(), name="marche_detail"),
    path("<int:pk>/modifier/", views.MarcheEditionView.as_view(), name="marche_modifier"),
    path("<int:marche_pk>/lots/nouveau/", views.LotEditionView.as_view(), name="lot_creer"),
    path("lots/", views.LotListeView.as_view(), name="lot_liste"),
    path("lots/<int:pk>/", views.LotFicheView.as_view(), name="lot_detail"),
    path("lots/<int:pk>/modifier/", views.LotEditionView.as_view(), name="lot_modifier"),
    path(
        "lots/<int:pk>/annexe.<str:format>",
        views.annexe_clause,
        name="lot_annexe",
    ),
    path("calcul-heures/", views.calcul_heures, name="calcul_heures"),
    path("operations/", views.OperationListeView.as_view(), name="operation_liste"),
    path("operations/nouvelle/", views.OperationEditionView.as_view(), name="operation_creer"),
    path("operations/<int:pk>/", views.OperationFicheView.as_view(), name="operation_detail"),
    path(
        "operations/<int:pk>/modifier/",
        views.OperationEditionView.as_view(),
        name="operation_modifier",
    ),
    path("donneurs-ordre/", views.DonneurOrdreListeView.as_view(), name="donneur_liste"),
    path("donneurs-ordre/nouveau/", views.DonneurOrdreEditionView.as_view(), name="donneur_creer"),
    path("donneurs-ordre/<int:pk>/", views.DonneurOrdreFicheView.as_view(), name="donneur_detail"),
    path(
        "donneurs-ordre/<int:pk>/modifier/",
        views.DonneurOrdreEditionView.as_view(),
        name="donneur_modifier",
    ),
    path("import-decp/", views.ImportDecpView.as_view(), name="import_decp"),
    path("import-decp/<int:pk>/", views.import_decp_tache, name="import_decp_tache"),
    path(
        "import-decp/<int:pk>/progression/",
        views.import_decp_progression,
        name="import_decp_progression",
    ),
    path(
        "import-decp/rapports/<int:pk>/", views.RapportImportView.as_view(), name="rapport_import"
    ),
    path("a-qualifier/", views.FileQualificationView.as_view(), name="file_qualification"),
    path("<int:pk>/qualifier/", views.QualifierMarcheView.as_view(), name="marche_qualifier"),
    # Accompagnement des entreprises
    path("echanges/", views.EchangeListeView.as_view(), name="echange_liste"),
    path(
        "entreprises/<int:entreprise_pk>/echanges/nouveau/",
        views.EchangeEditionView.as_view(),
        name="echange_creer",
    ),
    path("echanges/<int:pk>/", views.EchangeFicheView.as_view(), name="echange_detail"),
    path(
        "echanges/<int:pk>/modifier/", views.EchangeEditionView.as_view(), name="echange_modifier"
    ),
    path(
        "echanges/<int:pk>/action-faite/",
        views.echange_action_faite,
        name="echange_action_faite",
    ),
]
