from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from entreprises import perms
from entreprises.filters import EntrepriseFilter
from entreprises.models import Entreprise
from heures import selectors as heures_selectors
from label import perms as label_perms
from label.models import Label
from mife import formats
from mife.fiches import Champ, FicheView, Section, Tableau
from mife.listes import Colonne, ListeView
from mife.models import Parametres


class EntrepriseListeView(ListeView):
    titre = "Entreprises"
    filterset_class = EntrepriseFilter
    tri_defaut = "raison_sociale"
    colonnes = [
        Colonne("Raison sociale", "raison_sociale", tri="raison_sociale", lien=True),
        Colonne("Identifiant", "identifiant", tri="identifiant"),
        Colonne("Type", "get_type_structure_display", tri="type_structure"),
        Colonne("Commune", "commune", tri="commune"),
        Colonne(
            "Lots (titulaire)",
            "nb_lots_titulaire",
            tri="nb_lots_titulaire",
            format="nombre",
            numerique=True,
        ),
        Colonne("Active", "active", tri="active", format="booleen"),
    ]

    def has_permission(self):
        return perms.peut_voir(self.request.user)

    def get_queryset(self):
        self.queryset = Entreprise.objects.annotate(
            nb_lots_titulaire=Count("lots_titulaire", distinct=True)
        )
        return super().get_queryset()


def _lignes_lots(lots, colonne_titulaire: bool) -> list[list[tuple[str, str]]]:
    """Rows of a table of lots: the titulaire's own lots show hours, the others the titulaire."""
    lignes = []
    for lot in lots:
        ligne = [(str(lot), lot.get_absolute_url())]
        if colonne_titulaire:
            titulaire = lot.titulaire
            ligne.append((str(titulaire), titulaire.get_absolute_url()) if titulaire else ("—", ""))
        ligne += [
            (lot.marche.donneur_ordre.nom, ""),
            (formats.date_fr(lot.date_debut), ""),
            (formats.date_fr(lot.date_fin), ""),
            (lot.statut_libelle, ""),
        ]
        if not colonne_titulaire:
            clause = getattr(lot, "clause", None)
            ligne += [
                (formats.heures(clause.heures_requises) if clause else "—", ""),
                (formats.heures(lot.heures_realisees), ""),
            ]
        lignes.append(ligne)
    return lignes


class EntrepriseFicheView(FicheView):
    queryset = Entreprise.objects.all()

    def has_permission(self):
        return perms.peut_voir(self.request.user)

    def get_object(self, queryset=None):
        entreprise = super().get_object(queryset)
        self.dernier_label = (
            Label.objects.filter(entreprise=entreprise).order_by("-date_obtention").first()
        )
        return entreprise

    def _label_valide(self) -> bool:
        label = self.dernier_label
        jour = timezone.localdate()
        return bool(label and label.date_obtention <= jour < label.date_expiration)

    def get_statut(self):
        if not self.object.active:
            return ("archivee", "Inactive")
        if self._label_valide():
            return ("labellise", "Labellisée Empl'itudes")
        return None

    def get_fil(self):
        return [("Entreprises", reverse("entreprises:liste")), (str(self.object), None)]

    def get_sections(self):
        e = self.object
        label = self.dernier_label
        if label is None:
            etat_label = "Non labellisée"
        elif self._label_valide():
            etat_label = f"Labellisée jusqu'au {formats.date_fr(label.date_expiration)}"
        elif label.date_obtention > timezone.localdate():
            etat_label = f"Labellisée à partir du {formats.date_fr(label.date_obtention)}"
        else:
            etat_label = f"Label expiré le {formats.date_fr(label.date_expiration)}"
        section_label = [Champ("Statut", etat_label)]
        if label is not None:
            section_label += [
                Champ("Obtenu le", label.date_obtention, "date"),
                Champ("Expire le", label.date_expiration, "date"),
            ]
        return [
            Section(
                "Identité",
                [
                    Champ("Raison sociale", e.raison_sociale),
                    Champ("Nom commercial", e.nom_commercial),
                    Champ(e.get_type_identifiant_display(), e.identifiant),
                    Champ("Type de structure", e.get_type_structure_display()),
                    Champ("Code NAF", e.code_naf),
                    Champ("Active", e.active, "booleen"),
                    Champ("Notes", e.notes),
                ],
            ),
            Section(
                "Coordonnées",
                [
                    Champ("Adresse", f"{e.adresse}\n{e.code_postal} {e.commune}".strip()),
                    Champ("Téléphone", e.telephone),
                    Champ("E-mail", e.email),
                ],
            ),
            Section("Label Empl'itudes", section_label),
        ]

    def get_tableaux(self):
        e = self.object
        user = self.request.user
        tableaux = []
        if perms.peut_voir_contacts(user):
            tableaux.append(
                Tableau(
                    "Contacts",
                    ["Nom", "Fonction", "E-mail", "Téléphone", "Principal", "Relances d'heures"],
                    [
                        [
                            (str(c), ""),
                            (c.fonction, ""),
                            (c.email, f"mailto:{c.email}" if c.email else ""),
                            (c.telephone, ""),
                            ("Oui" if c.principal else "Non", ""),
                            ("Oui" if c.destinataire_relances else "Non", ""),
                        ]
                        for c in e.contacts.all()
                    ],
                    vide="Aucun contact.",
                )
            )
        titulaire = heures_selectors.annoter_heures_realisees(
            e.lots_titulaire.select_related("marche__donneur_ordre", "clause").order_by(
                "-date_debut", "pk"
            )
        )
        entetes = ["Lot", "Donneur d'ordre", "Début", "Fin", "Statut"]
        tableaux.append(
            Tableau(
                "Lots comme titulaire",
                [*entetes, "Heures requises", "Heures réalisées"],
                _lignes_lots(titulaire, colonne_titulaire=False),
                vide="Aucun lot.",
            )
        )
        for titre, lots in (
            ("Lots comme cotraitant", e.lots_cotraitant),
            ("Lots comme sous-traitant", e.lots_sous_traitant),
        ):
            lots = lots.select_related("marche__donneur_ordre", "titulaire").order_by(
                "-date_debut", "pk"
            )
            tableaux.append(
                Tableau(
                    titre,
                    ["Lot", "Titulaire", *entetes[1:]],
                    _lignes_lots(lots, colonne_titulaire=True),
                    vide="Aucun lot.",
                )
            )
        par_annee = heures_selectors.heures_par_annee_entreprise(e)
        lignes_heures = []
        if par_annee:
            parametres = Parametres.get()
            for annee, heures in par_annee:
                lignes_heures.append(
                    [
                        (str(annee), ""),
                        (formats.heures(heures), ""),
                        (formats.nombre(heures_selectors.etp(heures, parametres), 2), ""),
                    ]
                )
        tableaux.append(
            Tableau(
                "Heures d'insertion validées par année",
                ["Année", "Heures validées", "ETP"],
                lignes_heures,
                vide="Aucune heure validée.",
            )
        )
        if label_perms.peut_voir_dossiers(user):
            dossiers = e.dossiers_label.select_related("animateur").order_by("-annee")
            tableaux.append(
                Tableau(
                    "Dossiers de labellisation",
                    ["Année", "Statut", "Animateur·rice", "Déposé le"],
                    [
                        [
                            (str(d.annee), d.get_absolute_url()),
                            (d.get_statut_display(), ""),
                            (str(d.animateur or "—"), ""),
                            (formats.date_fr(d.date_depot), ""),
                        ]
                        for d in dossiers
                    ],
                    vide="Aucun dossier.",
                )
            )
        return tableaux
