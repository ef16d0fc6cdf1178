"""The left navigation, grouped by area, showing only what the user's role may use."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Entree:
    libelle: str
    url_name: str
    permission: str  # "app_label.codename"
    icone: str = "circle"


@dataclass(frozen=True)
class Section:
    titre: str
    entrees: tuple[Entree, ...]


SECTIONS: tuple[Section, ...] = (
    Section(
        "Marchés",
        (
            Entree("Opérations", "marches:operation_liste", "marches.view_operation", "folder2"),
            Entree("Marchés", "marches:marche_liste", "marches.view_marche", "briefcase"),
            Entree("Lots et clauses", "marches:lot_liste", "marches.view_lot", "list-check"),
            Entree(
                "Donneurs d'ordre", "marches:donneur_liste", "marches.view_donneurordre", "bank"
            ),
            # A work queue: shown to who may qualify (follow or set aside) the contracts.
            Entree(
                "Marchés à qualifier",
                "marches:file_qualification",
                "marches.change_marche",
                "funnel",
            ),
            Entree("Import DECP", "marches:import_decp", "marches.importer_decp", "cloud-download"),
        ),
    ),
    Section(
        "Entreprises",
        (Entree("Entreprises", "entreprises:liste", "entreprises.view_entreprise", "building"),),
    ),
    Section(
        "Participants",
        (
            Entree("Participants", "heures:participant_liste", "heures.view_participant", "people"),
            Entree("Missions", "heures:mission_liste", "heures.view_mission", "person-workspace"),
            Entree(
                "Besoins",
                "heures:besoin_liste",
                "heures.view_besoinrecrutement",
                "person-raised-hand",
            ),
        ),
    ),
    Section(
        "Heures",
        (
            Entree(
                "Déclarations",
                "heures:declaration_liste",
                "heures.view_declarationmensuelle",
                "calendar-check",
            ),
            Entree(
                "Tableau du mois",
                "heures:tableau_mois",
                "heures.view_declarationmensuelle",
                "calendar3",
            ),
            Entree(
                "Attestations",
                "heures:attestation_liste",
                "heures.view_attestation",
                "file-earmark-check",
            ),
            Entree(
                "Générer les attestations",
                "heures:generation",
                "heures.add_generationattestations",
                "files",
            ),
            Entree(
                "Attestations à réémettre",
                "heures:attestations_a_reemettre",
                "heures.emettre_attestation",
                "arrow-repeat",
            ),
            Entree(
                "Contrôle des chiffres",
                "heures:controle_chiffres",
                "heures.emettre_attestation",
                "clipboard-check",
            ),
        ),
    ),
    Section(
        "Label",
        (
            Entree("Dossiers", "label:dossier_liste", "label.view_dossierlabel", "award"),
            Entree(
                "Diagnostics",
                "label:diagnostic_liste",
                "label.view_diagnosticeligibilite",
                "clipboard-check",
            ),
            Entree(
                "Sessions de jury", "label:session_liste", "label.view_sessionjury", "people-fill"
            ),
            Entree(
                "Membres du jury", "label:membre_liste", "label.view_membrejury", "person-badge"
            ),
            Entree("Labels", "label:label_liste", "label.view_label", "patch-check"),
            Entree(
                "Événements du réseau",
                "label:evenement_liste",
                "label.view_evenementanimation",
                "calendar-event",
            ),
            Entree("Annuaire public", "label:annuaire", "label.view_label", "globe"),
        ),
    ),
    Section(
        "Bilan",
        (
            Entree("Indicateurs", "indicateurs", "mife.voir_bilan", "bar-chart"),
            Entree("Bilan annuel", "bilan", "mife.voir_bilan", "file-earmark-bar-graph"),
            Entree("Prévision des lots", "previsions", "mife.voir_bilan", "graph-up-arrow"),
            Entree("Rapports", "rapports", "mife.view_rapportdonneur", "envelope"),
        ),
    ),
    Section(
        "Administration",
        (
            Entree("Administration", "admin:index", "mife.administrer", "gear"),
            Entree(
                "Journal des accès",
                "journal:liste",
                "journal.view_entreejournal",
                "journal-text",
            ),
        ),
    ),
)


def navigation_pour(user) -> list[dict]:
    """Sections and entries the user may see; entries whose page does not exist are left out."""
    sections = []
    for section in SECTIONS:
        entrees = []
        for entree in section.entrees:
            if not user.has_perm(entree.permission):
                continue
            try:
                url = reverse(entree.url_name)
            except NoReverseMatch:
                continue
            entrees.append({"libelle": entree.libelle, "url": url, "icone": entree.icone})
        if entrees:
            sections.append({"titre": section.titre, "entrees": entrees})
    return sections
