"""Charge un jeu de données de démonstration crédible (Territoire de Belfort).

Réservé à une démonstration locale : la commande refuse de tourner quand DEBUG est désactivé,
car elle crée des comptes dont le mot de passe est connu (« demo »).

Le jeu est déterministe (tirages d'un ``random.Random(90)``, faits en mémoire avant toute
écriture) et idempotent : chaque objet est retrouvé par sa clé naturelle et n'est enregistré
que s'il manque ou s'il diffère ; une relance ne crée ni ne modifie rien. Les dates sont placées
par rapport à un mois de référence : le mois courant au premier chargement, puis celui du jeu
déjà présent (déduit de sa première déclaration mensuelle), pour que relancer la commande un
autre mois sur la même base ne duplique rien. Pour des dates fraîches : une base neuve.
"""

import hashlib
import io
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont
from simple_history.utils import bulk_create_with_history
from stdnum import luhn
from stdnum.fr import siret as stdnum_siret

from entreprises.models import Contact, Entreprise, TypeIdentifiant
from entreprises.models import TypeStructure as TS
from heures.models import (
    Attestation,
    BesoinRecrutement,
    CritereEligibilite,
    CritereParticipant,
    DeclarationMensuelle,
    LigneDeclaration,
    Mission,
    Modalite,
    NiveauQualification,
    Participant,
    Prescripteur,
    Proposition,
    Relance,
    Sexe,
    SituationEntree,
    SituationSixMois,
    Sortie,
    StatutAttestation,
    StatutBesoin,
    StatutDeclaration,
    StatutProposition,
    StatutRelance,
    TypeContrat,
    TypePrescripteur,
)
from heures.selectors_mois import lignes_du_mois
from heures.services import attestations as attestations_service
from heures.services import besoins as besoins_service
from heures.services import missions as missions_service
from heures.services import relances as relances_service
from heures.services import totaux
from label.models import (
    DUREE_LABEL_ANNEES,
    ActionLabel,
    Avis,
    AvisMembre,
    Axe,
    College,
    ConvocationJury,
    Decision,
    DiagnosticEligibilite,
    DossierLabel,
    EvenementAnimation,
    JournalDossier,
    Label,
    MembreJury,
    NatureJournal,
    ParticipationEvenement,
    PassageJury,
    SessionJury,
    StatutDossier,
    StatutSession,
    ThemeSalaries,
)
from marches import cpv
from marches.models import (
    Clause,
    DonneurOrdre,
    Echange,
    Lot,
    Marche,
    NatureMarche,
    Operation,
    Procedure,
    ReferenceCalcul,
    TypeClause,
    TypeDonneurOrdre,
    TypeEchange,
)
from mife import roles
from mife.core.models import Parametres
from mife.core.mois import ajouter_mois, dernier_jour, premier_jour
from mife.core.texte import sans_accents

GRAINE = 90
# Postal address of the settings row created by migration mife 0002 (street missing).
ADRESSE_MIGRATION = "Maison de l'Information, de la Formation et de l'Emploi\n90000 Belfort"
POLICES = Path(settings.BASE_DIR) / "static" / "fonts"
MOT_DE_PASSE = "demo"
NB_MOIS = 18  # fenêtre des déclarations : les 18 mois qui précèdent le mois de référence
NB_ATTESTATIONS = 6  # attestations émises du mois précédant le dernier (chacune est un PDF)
PROCHAINES_ACTIONS = (
    "Envoyer le planning des embauches au donneur d'ordre",
    "Relancer le titulaire pour la fiche de poste du second recrutement",
    "Organiser la visite de chantier avec le conducteur de travaux",
    "Transmettre la liste des candidats repérés avec France Travail",
)
BESOINS = (
    # (poste, nombre de postes, modalité, type de contrat, exigences)
    ("Manœuvre bâtiment", 2, Modalite.EMBAUCHE_CDD, TypeContrat.CDD,
     "Port de charges, travail en extérieur ; permis B apprécié."),
    ("Agent d'entretien des espaces verts", 1, Modalite.EMBAUCHE_CDD, TypeContrat.CDD,
     "Débroussailleuse ; CACES non exigé."),
    ("Aide-plaquiste", 1, Modalite.EMBAUCHE_CDD, TypeContrat.CDD,
     "Première expérience sur chantier souhaitée."),
)  # fmt: skip
NB_PARTICIPANTS = 60
NB_MISSIONS = 80

MESSAGE_REFUS = (
    "seed_demo refusé : DEBUG est désactivé. Cette commande crée des comptes de démonstration "
    f"dont le mot de passe est connu (« {MOT_DE_PASSE} ») ; ils ne doivent jamais exister en "
    "production. Pour une démonstration locale, lancez-la avec DEBUG=1 "
    "(par exemple : DEBUG=1 python manage.py seed_demo)."
)

# ---------------------------------------------------------------------------------------------
# Données
# ---------------------------------------------------------------------------------------------

# username, rôle, prénom, nom, fonction, téléphone
COMPTES = [
    ("facilitateur", roles.FACILITATEUR, "Camille", "Girardot",
     "Facilitatrice des clauses sociales", "03 84 46 61 01"),
    ("facilitateur2", roles.FACILITATEUR, "Julien", "Vuillemin",
     "Facilitateur des clauses sociales", "03 84 46 61 02"),
    ("facilitateur3", roles.FACILITATEUR, "Nadia", "Benali",
     "Facilitatrice des clauses sociales", "03 84 46 61 03"),
    ("suivi", roles.SUIVI, "Sandrine", "Faivre",
     "Assistante de suivi des clauses", "03 84 46 61 04"),
    ("animateur", roles.ANIMATEUR, "Thomas", "Mougin",
     "Animateur du label Empl'itudes", "03 84 46 61 05"),
    ("direction", roles.DIRECTION, "Isabelle", "Jeanningros",
     "Directrice de la MIFE", "03 84 46 61 00"),
    ("admin", roles.ADMIN, "Marc", "Bourquin",
     "Administrateur de l'application", "03 84 46 61 06"),
]  # fmt: skip
FACILITATEURS = ["facilitateur", "facilitateur2", "facilitateur3"]

# code postal des communes utilisées
COMMUNES = {
    "Belfort": "90000",
    "Delle": "90100",
    "Valdoie": "90300",
    "Offemont": "90300",
    "Cravanche": "90300",
    "Beaucourt": "90500",
    "Bavilliers": "90800",
    "Danjoutin": "90400",
    "Andelnans": "90400",
    "Trévenans": "90400",
    "Giromagny": "90200",
    "Essert": "90850",
    "Grandvillars": "90600",
    "Bourogne": "90140",
    "Châtenois-les-Forges": "90700",
    "Rougemont-le-Château": "90110",
    "Morvillars": "90120",
    "Montbéliard": "25200",
    "Besançon": "25000",
    "Héricourt": "70400",
}
# communes de résidence des participants, avec leur poids
COMMUNES_PARTICIPANTS = [
    ("Belfort", 30), ("Offemont", 6), ("Valdoie", 5), ("Bavilliers", 4), ("Danjoutin", 3),
    ("Delle", 5), ("Beaucourt", 4), ("Grandvillars", 2), ("Giromagny", 2), ("Essert", 2),
    ("Cravanche", 1), ("Châtenois-les-Forges", 2), ("Rougemont-le-Château", 1),
    ("Montbéliard", 2), ("Héricourt", 1),
]  # fmt: skip
QUARTIERS_QPV = {
    "Belfort": ["Les Résidences — Le Mont", "Glacis du Château", "Centre-ville", "Jean Jaurès"],
    "Offemont": ["Arsot"],
}
RUES = [
    "rue de la Savoureuse", "avenue Jean Jaurès", "rue du Général de Gaulle", "rue des Artisans",
    "rue de l'Industrie", "faubourg de Montbéliard", "rue de Belfort", "rue du Lion",
    "zone artisanale des Prés", "rue de la Miotte", "avenue de la Laurencie", "rue Thiers",
    "rue des Entrepreneurs", "rue de la Gare", "rue du Ballon d'Alsace",
]  # fmt: skip

PRENOMS_F = [
    "Sarah", "Inès", "Laura", "Manon", "Fatima", "Aïcha", "Nathalie", "Sylvie", "Mélissa",
    "Océane", "Yasmine", "Émilie", "Chloé", "Samira", "Christelle", "Sabrina", "Léa", "Justine",
    "Naïma", "Kelly", "Valérie", "Amandine", "Hélène", "Corinne", "Aurélie", "Stéphanie",
]  # fmt: skip
PRENOMS_H = [
    "Kevin", "Mehdi", "Julien", "Anthony", "Yanis", "Karim", "Thomas", "Nicolas", "David",
    "Mamadou", "Dylan", "Florian", "Sofiane", "Jérémy", "Bruno", "Patrick", "Hakim", "Enzo",
    "Lucas", "Rachid", "Alexandre", "Mickaël", "Jordan", "Ibrahim", "Théo", "Philippe",
    "Didier", "Olivier", "Franck", "Laurent", "Sébastien", "Cédric",
]  # fmt: skip
NOMS = [
    "Martin", "Bernard", "Petit", "Girard", "Moreau", "Roux", "Perrin", "Jacquot", "Cuenot",
    "Boillot", "Lachat", "Tisserand", "Rossi", "Da Silva", "Ferreira", "Yilmaz", "Demir",
    "Haddad", "Diallo", "Traoré", "Mansouri", "Bouzid", "Kaya", "Lopez", "Garcia", "Schmitt",
    "Meyer", "Muller", "Klein", "Richard", "Simon", "Laurent", "Michel", "Lefebvre", "Henry",
    "Roussel", "Vernier", "Parrenin", "Courtot", "Demougeot", "Maillard", "Lhomme", "Grosjean",
    "Monnier", "Cattin", "Bourgeois", "Chevalier", "Mathieu", "Dubois", "Nguyen", "Benamar",
    "Oukacha", "Sahin", "Pereira", "Ziegler",
]  # fmt: skip

# code, nom, type, adresse, commune, domaine (fictif) du courriel du contact
DONNEURS_ORDRE = [
    ("VB", "Ville de Belfort", TypeDonneurOrdre.COMMUNE, "Place d'Armes", "Belfort",
     "ville-belfort"),
    ("GBCA", "Grand Belfort Communauté d'Agglomération", TypeDonneurOrdre.EPCI,
     "Place d'Armes", "Belfort", "grandbelfort"),
    ("CD90", "Département du Territoire de Belfort", TypeDonneurOrdre.DEPARTEMENT,
     "6 place de la Révolution française", "Belfort", "territoiredebelfort"),
    ("TH", "Territoire habitat", TypeDonneurOrdre.BAILLEUR, "", "Belfort",
     "territoire-habitat"),
    ("NEO", "Néolia", TypeDonneurOrdre.BAILLEUR, "", "Montbéliard", "neolia"),
    ("HNFC", "Hôpital Nord Franche-Comté", TypeDonneurOrdre.HOPITAL, "100 route de Moval",
     "Trévenans", "hnfc"),
    ("RBFC", "Région Bourgogne-Franche-Comté", TypeDonneurOrdre.REGION, "4 square Castan",
     "Besançon", "bourgognefranchecomte"),
    ("DEL", "Ville de Delle", TypeDonneurOrdre.COMMUNE, "", "Delle", "ville-delle"),
]  # fmt: skip

# « passé par la Ville de Belfort », « par le Département… » ; sans article : un nom propre.
ARTICLES_DONNEURS = {"VB": "la", "GBCA": "le", "CD90": "le", "HNFC": "l'", "RBFC": "la",
                     "DEL": "la"}  # fmt: skip

# code, donneur d'ordre, nom, commune, renouvellement urbain, description
OPERATIONS = [
    ("pergaud", "VB", "Rénovation et extension du groupe scolaire Louis Pergaud", "Belfort",
     False, "Mise aux normes, isolation et création de deux classes."),
    ("residences", "VB", "Renouvellement urbain des Résidences — Le Mont (NPNRU)", "Belfort",
     True, "Requalification des espaces publics du quartier prioritaire des Résidences."),
    ("glacis", "VB", "Requalification du quartier des Glacis du Château", "Belfort", True,
     "Réhabilitation des équipements de proximité du quartier prioritaire."),
    ("optymo", "GBCA", "Lignes Optymo à haut niveau de service", "Belfort", False,
     "Aménagement en site propre des lignes structurantes du réseau Optymo."),
    ("za", "GBCA", "Entretien des zones d'activités communautaires", "Belfort", False,
     "Gestion différenciée des espaces verts des zones d'activités."),
    ("conservatoire", "GBCA", "Rénovation énergétique du conservatoire Henri Dutilleux",
     "Belfort", False, "Remplacement des installations de chauffage et des menuiseries."),
    ("chateaudun", "CD90", "Restructuration du collège Châteaudun", "Belfort", False,
     "Restructuration lourde en site occupé."),
    ("routes", "CD90", "Entretien des routes départementales — secteur Nord", "Giromagny",
     False, "Accord-cadre d'entretien et de réfection des chaussées."),
    ("th_rehab", "TH", "Réhabilitation thermique de 120 logements — Les Résidences", "Belfort",
     True, "Isolation par l'extérieur, menuiseries et ventilation de trois bâtiments."),
    ("th_proximite", "TH", "Gestion de proximité du patrimoine de Belfort", "Belfort", True,
     "Nettoyage des parties communes et gestion des encombrants."),
    ("valdoie", "NEO", "Construction de 24 logements collectifs à Valdoie", "Valdoie", False,
     "Résidence de 24 logements locatifs sociaux."),
    ("urgences", "HNFC", "Réaménagement du service des urgences", "Trévenans", False,
     "Extension des boxes d'examen et de la zone d'accueil."),
    ("condorcet", "RBFC", "Rénovation du lycée Condorcet — bâtiment B", "Belfort", False,
     "Désamiantage et rénovation complète du bâtiment d'enseignement général."),
    ("follereau", "RBFC", "Restructuration des ateliers du lycée Raoul Follereau", "Belfort",
     False, "Nouveaux ateliers pour les filières du bâtiment."),
    ("delle_centre", "DEL", "Aménagement du centre-bourg de Delle", "Delle", False,
     "Requalification des rues commerçantes et de la place."),
]  # fmt: skip

# code, raison sociale, nom commercial, type de structure, code NAF, commune
ENTREPRISES = [
    ("lion", "Bâtiments du Lion SARL", "Bâtiments du Lion", TS.CLASSIQUE, "4399C", "Belfort"),
    ("vauban", "Menuiserie Vauban SAS", "", TS.CLASSIQUE, "4332A", "Valdoie"),
    ("savoureuse", "Peintures de la Savoureuse", "", TS.CLASSIQUE, "4334Z", "Bavilliers"),
    ("miotte", "Électricité Miotte SARL", "", TS.CLASSIQUE, "4321A", "Belfort"),
    ("thermique", "Thermique Nord Franche-Comté SAS", "TNFC", TS.CLASSIQUE, "4322B",
     "Danjoutin"),
    ("salbert", "Travaux Publics du Salbert SAS", "TP Salbert", TS.CLASSIQUE, "4211Z",
     "Offemont"),
    ("grosjean", "Couverture Zinguerie Grosjean", "", TS.CLASSIQUE, "4391B", "Giromagny"),
    ("platrerie", "Plâtrerie Isolation Belfortaine SARL", "PIB", TS.CLASSIQUE, "4331Z",
     "Essert"),
    ("metal_delle", "Constructions Métalliques de Delle SAS", "", TS.CLASSIQUE, "2511Z",
     "Delle"),
    ("paysages", "Jardins et Paysages du Territoire SARL", "", TS.CLASSIQUE, "8130Z",
     "Bourogne"),
    ("proprete90", "Propreté Service 90 SAS", "", TS.CLASSIQUE, "8121Z", "Belfort"),
    ("faivre", "Carrelages Faivre et Fils", "", TS.CLASSIQUE, "4333Z", "Beaucourt"),
    ("vrde", "VRD de l'Est SAS", "VRDE", TS.CLASSIQUE, "4221Z", "Andelnans"),
    ("archi", "Atelier d'Architecture Vosges-Jura", "", TS.CLASSIQUE, "7111Z", "Belfort"),
    ("cuenot", "Sols et Façades Cuenot SARL", "", TS.CLASSIQUE, "4334Z", "Grandvillars"),
    ("demolition", "Démolition Désamiantage Franc-Comtois SAS", "DDFC", TS.CLASSIQUE,
     "4311Z", "Châtenois-les-Forges"),
    ("boillot", "Serrurerie Métallerie Boillot", "", TS.CLASSIQUE, "2512Z", "Cravanche"),
    ("batest", "Groupe Bâtiment Est — agence de Belfort", "", TS.CLASSIQUE, "4120B",
     "Belfort"),
    ("tremplin", "Tremplin Intérim Insertion 90", "", TS.ETTI, "7820Z", "Belfort"),
    ("etti_sud", "ETTI Sud Territoire Emploi", "", TS.ETTI, "7820Z", "Delle"),
    ("ai_solidarite", "Association intermédiaire Solidarité Services", "", TS.AI, "7830Z",
     "Belfort"),
    ("ai_trait", "Trait d'Union Emploi", "", TS.AI, "7830Z", "Grandvillars"),
    ("bati_insertion", "Bâti Insertion 90", "", TS.EI, "4339Z", "Belfort"),
    ("proprete_solidaire", "Propreté Solidaire du Territoire", "", TS.EI, "8121Z",
     "Offemont"),
    ("aci_nature", "Chantier Nature et Patrimoine", "", TS.ACI, "8130Z", "Giromagny"),
    ("aci_residences", "Atelier Second Œuvre des Résidences", "", TS.ACI, "4334Z",
     "Belfort"),
    ("geiq", "GEIQ BTP Nord Franche-Comté", "", TS.GEIQ, "7830Z", "Belfort"),
    ("ea_lion", "Les Ateliers du Lion — entreprise adaptée", "", TS.EA, "8130Z", "Valdoie"),
    ("ea_blanchisserie", "Blanchisserie et Services du Territoire", "", TS.EA, "9601A",
     "Danjoutin"),
    ("esat", "ESAT Les Jardins de Cravanche", "", TS.ESAT, "8810C", "Cravanche"),
]  # fmt: skip
TYPES = {code: type_structure for code, _, _, type_structure, _, _ in ENTREPRISES}
ETTI = ["tremplin", "etti_sud"]
AI = ["ai_solidarite", "ai_trait"]
# fonctions des contacts (au masculin, au féminin)
FONCTIONS_CONTACT = {
    TS.CLASSIQUE: [("Gérant", "Gérante"), ("Responsable des ressources humaines",) * 2,
                   ("Conducteur de travaux", "Conductrice de travaux"),
                   ("Assistant de direction", "Assistante de direction")],
    "insertion": [("Directeur", "Directrice"),
                  ("Chargé d'insertion professionnelle", "Chargée d'insertion professionnelle"),
                  ("Conseiller en insertion professionnelle",
                   "Conseillère en insertion professionnelle"),
                  ("Responsable d'agence",) * 2],
}  # fmt: skip
MOTS_VIDES = {"de", "du", "des", "la", "le", "les", "et", "d", "l", "en", "sas", "sarl"}


def _png(image: Image.Image) -> bytes:
    sortie = io.BytesIO()
    image.save(sortie, format="PNG")
    return sortie.getvalue()


def image_logo() -> bytes:
    """The demo's logo: « MIFE 90 » in a blue banner, as a PNG."""
    image = Image.new("RGB", (480, 160), "white")
    dessin = ImageDraw.Draw(image)
    dessin.rounded_rectangle((8, 8, 472, 152), radius=24, fill="#0b3d6b")
    gras = ImageFont.truetype(str(POLICES / "DejaVuSans-Bold.ttf"), 64)
    petit = ImageFont.truetype(str(POLICES / "DejaVuSans.ttf"), 22)
    dessin.text((240, 62), "MIFE 90", font=gras, fill="white", anchor="mm")
    dessin.text((240, 120), "Territoire de Belfort", font=petit, fill="#cfe0f2", anchor="mm")
    return _png(image)


def image_signature() -> bytes:
    """The demo's signature: a handwritten-like stroke, on a transparent background."""
    image = Image.new("RGBA", (420, 140), (255, 255, 255, 0))
    dessin = ImageDraw.Draw(image)
    # Loops drifting to the right (a cycloid), shrinking, then a flourish underneath.
    points = [
        (30 + 3.2 * t - 22 * math.sin(t / 5), 70 - (34 - t / 5) * math.cos(t / 5))
        for t in range(0, 110)
    ]
    encre = (20, 30, 90, 255)
    dessin.line(points, fill=encre, width=4, joint="curve")
    dessin.line([(40, 118), (200, 108), (390, 112)], fill=encre, width=3, joint="curve")
    return _png(image)


@dataclass(frozen=True)
class LotDemo:
    numero: str
    intitule: str
    montant: int  # € HT
    titulaire: str  # code de ENTREPRISES
    debut: int  # mois après celui de la notification
    duree: int  # mois
    poste: str  # poste type des missions d'insertion
    clause: str = TypeClause.CONDITION_EXECUTION
    part_mo: str | None = None  # % ; sinon la valeur de référence de la nature
    taux: str | None = None  # % ; idem
    heures_imposees: int | None = None  # ajustement du calcul (avec motif)
    motif: str = ""
    ponderation: int | None = None  # % du critère d'attribution
    cotraitants: tuple[str, ...] = ()
    sous_traitants: tuple[str, ...] = ()
    modalites: tuple[str, ...] = ()  # restreint les modalités possibles


@dataclass(frozen=True)
class MarcheDemo:
    acheteur: str
    numero: int
    operation: str | None
    objet: str
    nature: str
    procedure: str
    cpv: str
    notification: int  # mois, par rapport au mois de référence
    duree: int
    lots: tuple[LotDemo, ...]


T, S = NatureMarche.TRAVAUX, NatureMarche.SERVICES
AOO, MAPA = Procedure.AO_OUVERT, Procedure.ADAPTEE
CRITERE = TypeClause.CRITERE_ATTRIBUTION
RESERVE_SIAE = TypeClause.RESERVE_SIAE
RESERVE_EA = TypeClause.RESERVE_EA
INSERTION_QUALIF = TypeClause.INSERTION_QUALIFICATION

MARCHES = [
    MarcheDemo("VB", 31, "pergaud", "Rénovation et extension du groupe scolaire Louis Pergaud",
               T, AOO, "45214200-2", -20, 20, (
        LotDemo("01", "Gros œuvre — maçonnerie", 1_450_000, "lion", 1, 16, "Aide-maçon",
                sous_traitants=("demolition", "bati_insertion")),
        LotDemo("03", "Menuiseries extérieures", 380_000, "vauban", 3, 9,
                "Aide-menuisier poseur", part_mo="40"),
        LotDemo("06", "Peinture — revêtements muraux", 210_000, "savoureuse", 8, 10,
                "Peintre en bâtiment", part_mo="70"),
    )),
    MarcheDemo("VB", 12, "residences", "Aménagement des espaces publics des Résidences — "
               "tranche 1", T, AOO, "45233140-2", -14, 18, (
        LotDemo("01", "Voirie et réseaux divers", 1_900_000, "salbert", 1, 16, "Ouvrier VRD",
                cotraitants=("vrde",), sous_traitants=("bati_insertion",), taux="7"),
        LotDemo("02", "Espaces verts et plantations", 320_000, "paysages", 6, 12,
                "Ouvrier paysagiste", sous_traitants=("aci_nature",), taux="7"),
    )),
    MarcheDemo("VB", 44, "glacis", "Réhabilitation de la maison de quartier des Glacis du "
               "Château", T, MAPA, "45453000-7", -9, 12, (
        LotDemo("02", "Plâtrerie — isolation — faux plafonds", 190_000, "platrerie", 3, 7,
                "Plaquiste", sous_traitants=("aci_residences",)),
        LotDemo("03", "Électricité courants forts et faibles", 160_000, "miotte", 3, 8,
                "Aide-électricien", clause=CRITERE, ponderation=10),
    )),
    MarcheDemo("VB", 7, None, "Nettoyage des bâtiments communaux", S, AOO, "90910000-9", -22,
               48, (
        LotDemo("01", "Nettoyage des écoles maternelles et élémentaires", 1_680_000,
                "proprete90", 1, 47, "Agent de propreté", part_mo="80"),
        LotDemo("02", "Nettoyage de la vitrerie", 240_000, "proprete_solidaire", 1, 36,
                "Laveur de vitres", clause=RESERVE_SIAE),
    )),
    MarcheDemo("VB", 58, None, "Entretien des espaces verts du secteur Nord", S, MAPA,
               "77310000-6", -4, 36, (
        LotDemo("unique", "Tonte, taille et désherbage du secteur Nord", 240_000, "aci_nature",
                1, 35, "Agent d'entretien des espaces verts", clause=RESERVE_SIAE),
    )),
    MarcheDemo("GBCA", 18, "optymo", "Ligne Optymo 1 en site propre — section centre-ville / "
               "Techn'hom", T, AOO, "45233140-2", -26, 24, (
        LotDemo("01", "Terrassements et chaussées", 3_200_000, "salbert", 2, 20, "Ouvrier VRD",
                heures_imposees=2_700, motif="Objectif arrondi à 2 700 h par le comité de "
                "pilotage de l'opération (phasage des travaux de nuit).",
                sous_traitants=("vrde",)),
        LotDemo("02", "Quais et mobilier urbain", 650_000, "metal_delle", 10, 12,
                "Aide-monteur en serrurerie", part_mo="20"),
    )),
    MarcheDemo("GBCA", 63, "optymo", "Ligne Optymo 2 — pôle d'échanges de la gare", T, AOO,
               "45233140-2", -6, 20, (
        LotDemo("01", "Voirie, réseaux et signalisation", 2_400_000, "vrde", 1, 18,
                "Ouvrier VRD", sous_traitants=("bati_insertion",)),
        LotDemo("02", "Abris voyageurs et serrurerie", 280_000, "boillot", 7, 8,
                "Aide-serrurier", part_mo="20"),
    )),
    MarcheDemo("GBCA", 25, "za", "Entretien des espaces verts des zones d'activités "
               "communautaires", S, AOO, "77310000-6", -16, 36, (
        LotDemo("01", "Zones d'activités du Nord (Aéroparc, Techn'hom)", 360_000, "paysages",
                1, 35, "Agent d'entretien des espaces verts", sous_traitants=("esat",)),
        LotDemo("02", "Zones d'activités du Sud", 210_000, "ea_lion", 1, 35,
                "Agent d'entretien des espaces verts", clause=RESERVE_EA),
    )),
    MarcheDemo("GBCA", 39, "conservatoire", "Rénovation énergétique du conservatoire Henri "
               "Dutilleux", T, AOO, "45331000-6", -11, 14, (
        LotDemo("02", "Chauffage — ventilation — plomberie", 520_000, "thermique", 2, 11,
                "Aide-chauffagiste"),
    )),
    MarcheDemo("GBCA", 51, None, "Maîtrise d'œuvre de la réhabilitation de la piscine du Parc",
               S, MAPA, "71000000-8", -12, 30, (
        LotDemo("unique", "Mission de maîtrise d'œuvre complète", 310_000, "archi", 1, 29,
                "Dessinateur-projeteur en alternance", clause=CRITERE, ponderation=15,
                heures_imposees=400, motif="Volume fixé à 400 h dans le règlement de la "
                "consultation (offre d'insertion notée au critère social).",
                modalites=(Modalite.ALTERNANCE,)),
    )),
    MarcheDemo("CD90", 105, "chateaudun", "Restructuration du collège Châteaudun", T, AOO,
               "45214200-2", -17, 26, (
        LotDemo("01", "Démolition — gros œuvre", 1_100_000, "batest", 1, 14, "Aide-maçon",
                sous_traitants=("demolition",)),
        LotDemo("05", "Plâtrerie — cloisons", 330_000, "platrerie", 8, 12, "Plaquiste"),
    )),
    MarcheDemo("CD90", 88, "routes", "Entretien et réfection des routes départementales — "
               "secteur Nord (accord-cadre)", T, AOO, "45233140-2", -24, 48, (
        LotDemo("01", "Réfection de chaussées", 2_000_000, "salbert", 1, 47, "Ouvrier VRD"),
    )),
    MarcheDemo("CD90", 112, None, "Entretien des sentiers de randonnée et petits ouvrages "
               "(marché d'insertion)", S, MAPA, "77310000-6", -13, 24, (
        LotDemo("unique", "Entretien des sentiers et petits ouvrages", 180_000, "aci_nature",
                1, 23, "Agent d'entretien des espaces naturels", clause=INSERTION_QUALIF,
                heures_imposees=3_200, motif="Marché d'insertion : les heures retenues sont le "
                "temps de travail des salariés en parcours (deux équipes de six)."),
    )),
    MarcheDemo("TH", 19, "th_rehab", "Réhabilitation thermique de 120 logements — rue de "
               "Marseille", T, AOO, "45453000-7", -19, 22, (
        LotDemo("01", "Isolation thermique par l'extérieur", 1_250_000, "cuenot", 2, 14,
                "Façadier-isolateur", sous_traitants=("aci_residences",)),
        LotDemo("04", "Ventilation — chauffage", 470_000, "thermique", 6, 12,
                "Aide-chauffagiste"),
        LotDemo("05", "Peinture des parties communes", 260_000, "savoureuse", 12, 10,
                "Peintre en bâtiment", part_mo="70", sous_traitants=("aci_residences",)),
    )),
    MarcheDemo("TH", 27, "th_proximite", "Nettoyage des parties communes et gestion des "
               "encombrants", S, AOO, "90910000-9", -15, 36, (
        LotDemo("01", "Secteur Belfort Nord — Les Résidences", 480_000, "proprete90", 1, 35,
                "Agent de propreté", taux="10"),
        LotDemo("02", "Secteur Belfort Sud — Glacis du Château", 350_000, "proprete_solidaire",
                1, 35, "Agent de propreté", clause=RESERVE_SIAE, taux="10"),
    )),
    MarcheDemo("NEO", 3, "valdoie", "Construction de 24 logements collectifs à Valdoie", T,
               AOO, "45210000", -8, 20, (
        LotDemo("02", "Gros œuvre", 980_000, "lion", 1, 12, "Aide-maçon",
                sous_traitants=("bati_insertion",)),
        LotDemo("07", "Menuiseries intérieures", 210_000, "vauban", 10, 6,
                "Aide-menuisier poseur", part_mo="40"),
    )),
    MarcheDemo("HNFC", 41, "urgences", "Réaménagement du service des urgences", T, AOO,
               "45453000-7", -10, 16, (
        LotDemo("03", "Cloisons — doublages — faux plafonds", 410_000, "platrerie", 2, 10,
                "Plaquiste"),
        LotDemo("06", "Électricité", 380_000, "miotte", 2, 12, "Aide-électricien",
                clause=CRITERE, ponderation=15),
    )),
    MarcheDemo("HNFC", 17, None, "Bionettoyage des locaux administratifs et logistiques", S,
               AOO, "90910000-9", -21, 36, (
        LotDemo("01", "Site de Trévenans", 900_000, "proprete90", 1, 35, "Agent de propreté",
                heures_imposees=1_000, motif="Minimum de 1 000 h fixé au CCAP, supérieur au "
                "calcul de référence."),
    )),
    MarcheDemo("HNFC", 66, None, "Entretien des espaces extérieurs du site de Trévenans", S,
               MAPA, "77310000-6", -2, 24, (
        LotDemo("unique", "Tonte, taille et entretien des abords", 95_000, "ea_lion", 1, 23,
                "Agent d'entretien des espaces verts", clause=RESERVE_EA),
    )),
    MarcheDemo("RBFC", 208, "condorcet", "Rénovation du lycée Condorcet — bâtiment B", T, AOO,
               "45214200-2", -28, 24, (
        LotDemo("01", "Gros œuvre — désamiantage", 1_600_000, "batest", 1, 18, "Aide-maçon",
                sous_traitants=("demolition",)),
    )),
    MarcheDemo("RBFC", 231, "follereau", "Restructuration des ateliers du lycée Raoul "
               "Follereau", T, AOO, "45214200-2", -1, 24, (
        LotDemo("01", "Gros œuvre", 1_350_000, "lion", 2, 18, "Aide-maçon"),
    )),
    MarcheDemo("RBFC", 190, None, "Entretien ménager des lycées du nord de la Franche-Comté",
               S, AOO, "90910000-9", -30, 48, (
        LotDemo("02", "Lycées de Belfort", 1_200_000, "proprete90", 1, 47, "Agent de propreté",
                part_mo="80"),
    )),
    MarcheDemo("DEL", 9, "delle_centre", "Aménagement du centre-bourg", T, MAPA, "45233140-2",
               -18, 14, (
        LotDemo("01", "Voirie — réseaux", 720_000, "vrde", 1, 12, "Ouvrier VRD"),
        LotDemo("02", "Espaces verts — mobilier", 160_000, "aci_nature", 6, 6,
                "Ouvrier paysagiste", clause=RESERVE_SIAE),
    )),
    MarcheDemo("DEL", 14, None, "Remplacement des menuiseries extérieures de l'école "
               "élémentaire", T, MAPA, "45421000", -7, 6, (
        LotDemo("unique", "Menuiseries extérieures aluminium", 230_000, "vauban", 1, 4,
                "Aide-menuisier poseur", part_mo="40"),
    )),
    MarcheDemo("DEL", 21, None, "Travaux de peinture dans les écoles (accord-cadre)", T, MAPA,
               "45442100", -3, 24, (
        LotDemo("unique", "Peinture intérieure des écoles", 120_000, "savoureuse", 0, 24,
                "Peintre en bâtiment", part_mo="70"),
    )),
]  # fmt: skip

# nom, type, commune
PRESCRIPTEURS = [
    ("France Travail Belfort", TypePrescripteur.FRANCE_TRAVAIL, "Belfort"),
    ("Mission Locale du Territoire de Belfort", TypePrescripteur.MISSION_LOCALE, "Belfort"),
    ("Cap Emploi 90", TypePrescripteur.CAP_EMPLOI, "Belfort"),
    ("PLIE du Territoire de Belfort", TypePrescripteur.PLIE, "Belfort"),
    ("Département du Territoire de Belfort — service insertion", TypePrescripteur.DEPARTEMENT,
     "Belfort"),
    ("MDPH du Territoire de Belfort", TypePrescripteur.MDPH, "Belfort"),
    ("EPIDE de Belfort", TypePrescripteur.AUTRE, "Belfort"),
    ("École de la 2e chance du Territoire de Belfort", TypePrescripteur.AUTRE, "Belfort"),
]  # fmt: skip
# critère → prescripteurs qui le valident habituellement
PRESCRIPTEURS_PAR_CRITERE = {
    "deld": [0],
    "senior": [0],
    "rsa": [4],
    "rqth": [2, 5],
    "ass_aah": [2, 0],
    "jeune": [1, 1, 7],
    "qpv": [3],
    "siae": [3],
    "autre": [0, 6],
}
JUSTIFICATION_AUTRE = (
    "Avis motivé du prescripteur : longue période sans emploi, absence de qualification "
    "reconnue et de permis de conduire."
)

# (modalité, poids) pour le tirage des missions
MODALITES = [
    (Modalite.MISE_A_DISPOSITION, 36),
    (Modalite.EMBAUCHE_CDD, 15),
    (Modalite.EMBAUCHE_CDI, 8),
    (Modalite.ALTERNANCE, 10),
    (Modalite.SOUS_TRAITANCE_SIAE, 20),
    (Modalite.FORMATION, 7),
]
SORTIES = [
    (Sortie.EMPLOI_DURABLE, 35),
    (Sortie.EMPLOI_TRANSITION, 30),
    (Sortie.FORMATION_QUALIFIANTE, 15),
    (Sortie.AUTRE, 20),
]
# Profil des participants (niveau, situation à l'entrée) et situation six mois après la sortie,
# tirés avec un générateur à part pour ne pas changer le reste du jeu.
NIVEAUX = [
    (NiveauQualification.INFRA_3, 38),
    (NiveauQualification.NIVEAU_3, 34),
    (NiveauQualification.NIVEAU_4, 18),
    (NiveauQualification.NIVEAU_5, 7),
    (NiveauQualification.NIVEAU_6, 3),
]
SITUATIONS_ENTREE = [
    (SituationEntree.DEMANDEUR_EMPLOI, 40),
    (SituationEntree.DEMANDEUR_LONGUE_DUREE, 35),
    (SituationEntree.INACTIF, 20),
    (SituationEntree.EN_EMPLOI, 5),
]
S6 = SituationSixMois
SITUATIONS_SIX_MOIS = {
    Sortie.EMPLOI_DURABLE: [(S6.EMPLOI_DURABLE, 85), (S6.DEMANDEUR_EMPLOI, 15)],
    Sortie.EMPLOI_TRANSITION: [
        (S6.EMPLOI_TRANSITION, 55), (S6.EMPLOI_DURABLE, 20), (S6.DEMANDEUR_EMPLOI, 25)
    ],
    Sortie.FORMATION_QUALIFIANTE: [
        (S6.FORMATION, 50), (S6.EMPLOI_TRANSITION, 30), (S6.DEMANDEUR_EMPLOI, 20)
    ],
    Sortie.AUTRE_SIAE: [(S6.EMPLOI_TRANSITION, 70), (S6.DEMANDEUR_EMPLOI, 30)],
    Sortie.AUTRE: [(S6.DEMANDEUR_EMPLOI, 60), (S6.INACTIF, 40)],
}  # fmt: skip
MOTIFS_REJET = [
    "Heures supérieures au planning transmis par l'ETTI : merci de joindre les relevés "
    "d'heures signés.",
    "La mission de la deuxième ligne était terminée ce mois-ci ; heures à retirer ou à justifier.",
]

# civilité, prénom, nom, organisme, collège
MEMBRES_JURY = [
    ("Mme", "Véronique", "Lachat", "Grand Belfort Communauté d'Agglomération",
     College.SIGNATAIRE),
    ("M.", "Didier", "Jacquot", "Département du Territoire de Belfort", College.SIGNATAIRE),
    ("Mme", "Corinne", "Maillard", "CCI du Territoire de Belfort", College.CHAMBRE),
    ("M.", "Olivier", "Roussel", "Chambre de métiers et de l'artisanat de Bourgogne-"
     "Franche-Comté", College.CHAMBRE),
    ("M.", "Franck", "Parrenin", "Fédération du BTP du Territoire de Belfort", College.BRANCHE),
    ("Mme", "Stéphanie", "Vernier", "UIMM Nord Franche-Comté", College.BRANCHE),
    ("M.", "Laurent", "Demougeot", "DDETS du Territoire de Belfort", College.ETAT),
    ("Mme", "Aurélie", "Tisserand", "France Travail Belfort", College.FRANCE_TRAVAIL),
]  # fmt: skip
ABSENTS_SESSION_TENUE = {"Roussel", "Vernier"}

# entreprise, statut, renouvellement, passage (session, ordre, décision, motivation) :
# un dossier dans chaque statut ; « ancienne » est la session d'il y a près de trois ans, dont
# le label arrive à échéance dans les six mois (renouvellement à préparer).
DOSSIERS = [
    ("lion", StatutDossier.LABELLISE, False, ("tenue", 1, Decision.LABELLISE,
     "Dossier solide sur les trois axes ; tutorat exemplaire sur les chantiers.")),
    ("proprete90", StatutDossier.LABELLISE, True, ("tenue", 2, Decision.LABELLISE,
     "Renouvellement : le plan d'amélioration du précédent label a été réalisé.")),
    ("miotte", StatutDossier.AJOURNE, False, ("tenue", 3, Decision.AJOURNE,
     "Axe scolaires à construire : dossier à représenter avec un plan d'actions daté.")),
    ("thermique", StatutDossier.REFUSE, False, ("tenue", 4, Decision.REFUSE,
     "Actions ponctuelles sans engagement pluriannuel ; candidature à reprendre plus tard.")),
    ("paysages", StatutDossier.INSCRIT, False, ("prevue", 1, "", "")),
    ("savoureuse", StatutDossier.INSCRIT, False, ("prevue", 2, "", "")),
    ("salbert", StatutDossier.RECEVABLE, False, None),
    ("tremplin", StatutDossier.DEPOSE, False, None),
    ("grosjean", StatutDossier.INCOMPLET, False, None),
    ("vauban", StatutDossier.EN_PREPARATION, False, None),
    ("batest", StatutDossier.LABELLISE, False, ("ancienne", 1, Decision.LABELLISE,
     "Engagement fort sur l'accueil de scolaires et le recrutement via la clause.")),
]  # fmt: skip
MOTIF_INCOMPLET = "Pièces justificatives manquantes pour les actions de l'axe salariés."
# Diagnostic sans suite : entreprise, implantée, engagements, effectif, commentaire
DIAGNOSTIC_NON_ELIGIBLE = (
    "faivre",
    True,
    False,
    6,
    "L'entreprise ne souhaite pas s'engager sur un plan à trois ans.",
)
ACTIONS_DEMANDEURS = [
    ("Accueil de personnes en immersion professionnelle (PMSMP)", "4 immersions par an"),
    ("Participation aux jobs datings de la MIFE", "2 sessions par an"),
    ("Recrutements via la clause d'insertion au-delà de l'obligation", "Embauches durables"),
    ("Parrainage de demandeurs d'emploi par des salariés volontaires", "3 parrainages par an"),
]
ACTIONS_SCOLAIRES = [
    ("Accueil de collégiens de 3e en stage d'observation", "6 élèves par an"),
    ("Présentation des métiers au collège Châteaudun", "2 interventions par an"),
    ("Visites de chantier pour les lycéens de la filière bâtiment", "3 visites par an"),
]
ACTIONS_SALARIES = [
    (ThemeSalaries.INTEGRATION, "Livret d'accueil et parrainage des nouveaux salariés",
     "100 % des nouveaux arrivants accompagnés"),
    (ThemeSalaries.EVOLUTION, "Entretiens professionnels et plan de développement des "
     "compétences", "Taux d'entretiens réalisés"),
    (ThemeSalaries.EQUILIBRE, "Horaires aménagés pour les parents (pas de prise de poste "
     "avant 7 h 30)", "Salariés concernés"),
    (ThemeSalaries.TUTORAT, "Formation de tuteurs en entreprise", "2 tuteurs formés par an"),
]  # fmt: skip

# titre, thème, mois (par rapport au mois de référence), heure, lieu, entreprises ; les
# événements passés ont leurs présences, celui à venir ses invitations.
EVENEMENTS = [
    ("Petit-déjeuner des entreprises Empl'itudes", "Recruter autrement : la méthode de "
     "recrutement par simulation", -10, 8, "CCI du Territoire de Belfort, Belfort",
     ["lion", "proprete90", "miotte", "paysages", "batest", "tremplin"]),
    ("Visite du chantier des Résidences", "Clause d'insertion et tutorat sur chantier", -6, 14,
     "Quartier des Résidences, Belfort", ["salbert", "vrde", "bati_insertion", "geiq", "lion"]),
    ("Rencontre entreprises — écoles", "Faire découvrir nos métiers aux collégiens", -2, 17,
     "MIFE du Territoire de Belfort, Belfort",
     ["lion", "vauban", "savoureuse", "proprete90", "ea_lion", "thermique", "miotte"]),
    ("Forum de l'alternance", "Accueillir et accompagner un alternant", 2, 9,
     "Atria, Belfort", ["lion", "batest", "proprete90", "salbert", "vauban"]),
]  # fmt: skip

# ---------------------------------------------------------------------------------------------
# Outils
# ---------------------------------------------------------------------------------------------

CENTIEME = Decimal("0.01")


def ajouter_annees(jour: date, n: int) -> date:
    try:
        return jour.replace(year=jour.year + n)
    except ValueError:  # 29 février
        return jour.replace(year=jour.year + n, day=28)


def instant(jour: date, heure: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(jour, time(heure, minute)))


def courriel(prenom: str, nom: str, domaine: str) -> str:
    local = f"{prenom}.{nom}".lower().replace(" ", "").replace("'", "")
    return f"{sans_accents(local)}@{domaine}"


def domaine_fictif(texte: str) -> str:
    """Domaine réservé « .example » : aucun courriel de démo ne part chez un vrai destinataire."""
    mots = "".join(c if c.isalnum() else " " for c in sans_accents(texte).lower()).split()
    return "-".join([m for m in mots if m not in MOTS_VIDES][:3]) + ".example"


def telephone(rng: random.Random, prefixe: str = "03 84") -> str:
    return prefixe + "".join(f" {rng.randint(10, 99)}" for _ in range(4 - prefixe.count(" ")))


def siret_valide(rng: random.Random) -> str:
    """Un SIRET fictif dont la clé du SIREN et celle du SIRET (Luhn) sont correctes."""
    while True:
        siren = str(rng.randint(30_000_000, 99_999_999))
        siren += luhn.calc_check_digit(siren)
        base = siren + f"{rng.randint(1, 9):04d}"
        numero = base + luhn.calc_check_digit(base)
        if stdnum_siret.is_valid(numero) and not numero.startswith("356000000"):
            return numero


def heures(valeur: float) -> Decimal:
    return Decimal(str(valeur)).quantize(CENTIEME)


# ---------------------------------------------------------------------------------------------
# Plan en mémoire : tous les tirages, dans un ordre fixe qui ne dépend pas de la base
# ---------------------------------------------------------------------------------------------


@dataclass
class LotPrevu:
    marche: MarcheDemo
    spec: LotDemo
    reference: str
    notification: date
    date_debut: date
    date_fin: date
    facilitateur: str
    heures_requises: Decimal = Decimal("0")
    missions: int = 0  # nombre de missions prévues sur le lot


@dataclass
class ParticipantPrevu:
    nom: str
    prenom: str
    sexe: str
    date_naissance: date
    age: int
    commune: str
    qpv: bool
    telephone: str
    email: str
    notes: str
    missions: list["MissionPrevue"] = field(default_factory=list)
    niveau: str = ""
    situation_entree: str = ""
    criteres: list[tuple[str, int, date]] = field(default_factory=list)  # code, prescr., date
    objet: Participant | None = None


@dataclass
class MissionPrevue:
    participant: ParticipantPrevu
    lot: LotPrevu
    employeur: str
    modalite: str
    type_contrat: str
    date_debut: date
    date_fin: date
    heures_prevues: Decimal
    sortie: str = ""
    situation_six_mois: str = ""
    cle: str = ""  # clé du plan (ordre des débuts) ; la référence vient du compteur


@dataclass
class DeclarationPrevue:
    lot: LotPrevu
    employeur: str
    mois: date
    lignes: list[tuple[MissionPrevue, Decimal]]
    statut: str = StatutDeclaration.VALIDEE
    numero_version: int = 1
    remplace: "DeclarationPrevue | None" = None
    motif_correction: str = ""
    motif_rejet: str = ""
    soumise_le: datetime | None = None
    traitee_le: datetime | None = None
    objet: DeclarationMensuelle | None = None
    mission_du_motif: MissionPrevue | None = None  # sa référence complète le motif


# ---------------------------------------------------------------------------------------------
# Chargement
# ---------------------------------------------------------------------------------------------


class JeuDemo:
    def __init__(self):
        self.rng = random.Random(GRAINE)
        self.crees = 0
        self.modifies = 0
        self._hash_demo: str | None = None
        self._hash_verifies: set[str] = set()
        self._noms_pris: set[tuple[str, str]] = set()

    # --- écriture idempotente ----------------------------------------------------------------

    def enregistrer(self, model, cles: dict, valeurs: dict | None = None):
        """Crée l'objet de clé naturelle ``cles`` ou le met à jour s'il diffère ; sinon rien."""
        valeurs = valeurs or {}
        objet = model._default_manager.filter(**cles).first()
        if objet is None:
            objet = model(**cles, **valeurs)
            objet.save()
            self.crees += 1
            return objet
        differences = []
        for nom, valeur in valeurs.items():
            champ = model._meta.get_field(nom)
            if champ.is_relation:
                actuel = getattr(objet, champ.attname)
                voulu = valeur.pk if valeur is not None else None
            else:
                actuel, voulu = getattr(objet, nom), valeur
            if actuel != voulu:
                setattr(objet, nom, valeur)
                differences.append(nom)
        if differences:
            objet.save()
            self.modifies += 1
        return objet

    def synchroniser(self, relation, objets) -> None:
        """Donne exactement ``objets`` à une relation plusieurs-à-plusieurs (rien si égal)."""
        voulus = {o.pk for o in objets}
        if set(relation.values_list("pk", flat=True)) != voulus:
            relation.set(objets)

    # --- déroulé -----------------------------------------------------------------------------

    def charger(self) -> None:
        self.utilisateurs = self.charger_comptes()
        self.charger_parametres()
        entreprises = self.prevoir_entreprises()
        self.ancre = self.mois_de_reference([e["identifiant"] for e in entreprises.values()])
        self.debut_fenetre = ajouter_mois(self.ancre, -NB_MOIS)
        self.fin_fenetre = self.ancre - timedelta(days=1)
        self.references = {r.nature: r for r in ReferenceCalcul.objects.all()}

        lots = self.prevoir_lots()
        participants, missions = self.prevoir_participants_et_missions(lots)
        declarations = self.prevoir_declarations(missions)

        self.entreprises = self.charger_entreprises(entreprises)
        self.lots = self.charger_marches(lots)
        self.prescripteurs = self.charger_prescripteurs()
        self.charger_participants(participants)
        self.missions = self.charger_missions(missions)
        self.charger_declarations(declarations)
        self.charger_attestations()
        self.charger_relances()
        self.charger_besoins()
        self.charger_echanges()
        self.charger_label()

    def mois_de_reference(self, sirets: list[str]) -> date:
        """Le mois courant, ou celui d'un jeu déjà chargé (sa fenêtre commence 18 mois avant)."""
        premier = DeclarationMensuelle.objects.filter(
            entreprise__type_identifiant=TypeIdentifiant.SIRET,
            entreprise__identifiant__in=sirets,
        ).aggregate(premier=Min("mois"))["premier"]
        if premier is not None:
            return ajouter_mois(premier, NB_MOIS)
        return premier_jour(date.today())

    def jour(self, mois: int, jour: int = 1) -> date:
        return ajouter_mois(self.ancre, mois) + timedelta(days=jour - 1)

    # --- comptes et paramètres ---------------------------------------------------------------

    def charger_comptes(self) -> dict:
        User = get_user_model()
        utilisateurs = {}
        for username, role, prenom, nom, fonction, tel in COMPTES:
            valeurs = {
                "first_name": prenom,
                "last_name": nom,
                "email": courriel(prenom, nom, "mife90.fr"),
                "fonction": fonction,
                "telephone": tel,
                "is_active": True,
                "is_staff": role == roles.ADMIN,
                "is_superuser": False,
            }
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, **valeurs)
                self.definir_mot_de_passe(user)
                user.save()
                self.crees += 1
            else:
                differences = [k for k, v in valeurs.items() if getattr(user, k) != v]
                for k in differences:
                    setattr(user, k, valeurs[k])
                if self.definir_mot_de_passe(user) or differences:
                    user.save()
                    self.modifies += 1
            groupe = Group.objects.get(name=roles.ROLES_PAR_CODE[role].groupe)
            self.synchroniser(user.groups, [groupe])
            utilisateurs[username] = user
        return utilisateurs

    def definir_mot_de_passe(self, user) -> bool:
        """Met le mot de passe de démo s'il n'y est pas (validateurs ignorés : démo seulement).

        Un seul hachage pour tous les comptes : PBKDF2 est lent, et la démo doit rester rapide.
        """
        if user.password in self._hash_verifies:
            return False
        if user.password and user.check_password(MOT_DE_PASSE):
            self._hash_verifies.add(user.password)
            return False
        if self._hash_demo is None:
            self._hash_demo = make_password(MOT_DE_PASSE)
            self._hash_verifies.add(self._hash_demo)
        user.password = self._hash_demo
        return True

    def charger_parametres(self) -> None:
        parametres = Parametres.get()
        direction = self.utilisateurs["direction"]
        souhaits = {
            "adresse": "Maison de l'Information, de la Formation et de l'Emploi\n"
            "2 rue Jean-Jaurès\n90000 Belfort",
            "commune": "Belfort",
            "telephone": "03 84 46 61 00",
            "email": "contact@mife90.fr",
            "signataire_nom": direction.get_full_name(),
            "signataire_titre": "Directrice de la MIFE du Territoire de Belfort",
        }
        vides = [
            k
            for k, v in souhaits.items()
            # The address written by the first migration has no street: the demo completes it.
            if not getattr(parametres, k)
            or (k == "adresse" and parametres.adresse == ADRESSE_MIGRATION)
        ]
        for k in vides:
            setattr(parametres, k, souhaits[k])
        # A logo and a signature, as the administrator would upload them in Paramètres, so the
        # demo's documents show their header and signature (kept when already there).
        for champ, dessiner in (("logo", image_logo), ("signature", image_signature)):
            if not getattr(parametres, f"chemin_{champ}"):
                getattr(parametres, champ).save(f"{champ}.png", ContentFile(dessiner()), save=False)
                vides.append(champ)
        if vides:
            parametres.save()
            self.modifies += 1

    # --- entreprises -------------------------------------------------------------------------

    def prevoir_entreprises(self) -> dict[str, dict]:
        rng = self.rng
        prevues = {}
        sirets = set()
        for code, raison, nom_commercial, type_structure, naf, commune in ENTREPRISES:
            siret = siret_valide(rng)
            while siret in sirets:
                siret = siret_valide(rng)
            sirets.add(siret)
            domaine = domaine_fictif(nom_commercial or raison)
            cle_fonctions = "insertion" if type_structure != TS.CLASSIQUE else TS.CLASSIQUE
            contacts = []
            for i, (prenom, nom) in enumerate(self.tirer_noms(rng.choice([1, 1, 2]))):
                contacts.append(
                    {
                        "nom": nom,
                        "prenom": prenom,
                        "civilite": "Mme" if prenom in PRENOMS_F else "M.",
                        "fonction": rng.choice(FONCTIONS_CONTACT[cle_fonctions])[
                            prenom in PRENOMS_F
                        ],
                        "email": courriel(prenom, nom, domaine),
                        "telephone": telephone(rng, "06" if i else "03 84"),
                        "principal": i == 0,
                        "destinataire_relances": i == 0,
                    }
                )
            prevues[code] = {
                "identifiant": siret,
                "valeurs": {
                    "raison_sociale": raison,
                    "nom_commercial": nom_commercial,
                    "type_structure": type_structure,
                    "code_naf": naf,
                    "adresse": f"{rng.randint(1, 48)} {rng.choice(RUES)}",
                    "code_postal": COMMUNES[commune],
                    "commune": commune,
                    "telephone": telephone(rng),
                    "email": f"contact@{domaine}",
                    "active": True,
                },
                "contacts": contacts,
            }
        return prevues

    def tirer_noms(self, nombre: int) -> list[tuple[str, str]]:
        noms = self.rng.sample(NOMS, nombre)
        return [(self.rng.choice(PRENOMS_F + PRENOMS_H), nom) for nom in noms]

    def charger_entreprises(self, prevues: dict[str, dict]) -> dict[str, Entreprise]:
        entreprises = {}
        for code, prevue in prevues.items():
            entreprise = self.enregistrer(
                Entreprise,
                {"type_identifiant": TypeIdentifiant.SIRET, "identifiant": prevue["identifiant"]},
                prevue["valeurs"],
            )
            for contact in prevue["contacts"]:
                cles = {
                    "entreprise": entreprise,
                    "nom": contact["nom"],
                    "prenom": contact["prenom"],
                }
                valeurs = {k: v for k, v in contact.items() if k not in ("nom", "prenom")}
                self.enregistrer(Contact, cles, valeurs)
            entreprises[code] = entreprise
        return entreprises

    # --- marchés -----------------------------------------------------------------------------

    def prevoir_lots(self) -> list[LotPrevu]:
        lots = []
        for index, marche in enumerate(MARCHES):
            notification = self.jour(marche.notification, self.rng.randint(2, 24))
            reference = f"{notification.year}-{marche.acheteur}-{marche.numero:03d}"
            for spec in marche.lots:
                if spec.debut == 0:
                    debut = notification + timedelta(days=self.rng.randint(7, 14))
                else:
                    debut = self.jour(marche.notification + spec.debut, self.rng.randint(1, 20))
                fin = dernier_jour(ajouter_mois(debut, spec.duree - 1))
                lot = LotPrevu(
                    marche, spec, reference, notification, debut, fin, FACILITATEURS[index % 3]
                )
                lot.heures_requises, _ = self.heures_clause(lot)
                lots.append(lot)
        return lots

    def heures_clause(self, lot: LotPrevu) -> tuple[Decimal, dict]:
        spec, reference = lot.spec, self.references[lot.marche.nature]
        entrees = {
            "montant_base": Decimal(spec.montant),
            "part_main_oeuvre": Decimal(spec.part_mo)
            if spec.part_mo
            else reference.part_main_oeuvre,
            "taux_insertion": Decimal(spec.taux) if spec.taux else reference.taux_insertion,
            "cout_horaire": reference.cout_horaire,
        }
        calculees = Clause.calculer_heures(*entrees.values())
        requises = Decimal(spec.heures_imposees) if spec.heures_imposees else calculees
        return requises, {**entrees, "heures_calculees": calculees, "heures_requises": requises}

    def charger_donneurs_ordre(self) -> dict[str, DonneurOrdre]:
        donneurs = {}
        for rang, (code, nom, type_do, adresse, commune, domaine) in enumerate(DONNEURS_ORDRE):
            prenom, nom_contact = PRENOMS_F[rang * 3 % len(PRENOMS_F)], NOMS[-rang - 1]
            donneurs[code] = self.enregistrer(
                DonneurOrdre,
                {"nom": nom},
                {
                    "type": type_do,
                    "article": ARTICLES_DONNEURS.get(code, ""),
                    "adresse": adresse,
                    "code_postal": COMMUNES[commune],
                    "commune": commune,
                    "contact_nom": f"{prenom} {nom_contact} (commande publique)",
                    "contact_email": courriel(prenom, nom_contact, f"{domaine}.example"),
                    "contact_telephone": f"03 84 {rang + 20} 10 {rang + 40}",
                },
            )
        return donneurs

    def charger_operations(self, donneurs, lots: list[LotPrevu]) -> dict[str, Operation]:
        """Chaque opération couvre ses marchés : de 3 mois avant la 1re notification à la fin."""
        operations = {}
        for code, acheteur, nom, commune, anru, description in OPERATIONS:
            de_l_operation = [lot for lot in lots if lot.marche.operation == code]
            debut = ajouter_mois(min(lot.notification for lot in de_l_operation), -3)
            operations[code] = self.enregistrer(
                Operation,
                {"donneur_ordre": donneurs[acheteur], "nom": nom},
                {
                    "description": description,
                    "commune": commune,
                    "renouvellement_urbain": anru,
                    "date_debut": debut,
                    "date_fin": max(lot.date_fin for lot in de_l_operation),
                },
            )
        return operations

    def charger_marches(self, lots: list[LotPrevu]) -> dict[tuple[str, str], Lot]:
        donneurs = self.charger_donneurs_ordre()
        operations = self.charger_operations(donneurs, lots)
        resultat = {}
        marches = {}
        for lot in lots:
            spec, demo = lot.spec, lot.marche
            donneur = donneurs[demo.acheteur]
            marche = marches.get(lot.reference)
            if marche is None:
                operation = operations[demo.operation] if demo.operation else None
                marche = marches[lot.reference] = self.enregistrer(
                    Marche,
                    {"donneur_ordre": donneur, "reference": lot.reference},
                    {
                        "operation": operation,
                        "objet": demo.objet,
                        "nature": demo.nature,
                        "procedure": demo.procedure,
                        "date_notification": lot.notification,
                        "duree_mois": demo.duree,
                        "montant_ht": Decimal(sum(s.montant for s in demo.lots)),
                        "code_cpv": cpv.valider(demo.cpv),
                        "lieu_execution": operation.commune if operation else donneur.commune,
                    },
                )
            objet = self.enregistrer(
                Lot,
                {"marche": marche, "numero": spec.numero},
                {
                    "intitule": spec.intitule,
                    "montant_ht": Decimal(spec.montant),
                    "date_debut": lot.date_debut,
                    "date_fin": lot.date_fin,
                    "titulaire": self.entreprises[spec.titulaire],
                    "facilitateur": self.utilisateurs[lot.facilitateur],
                },
            )
            self.synchroniser(objet.cotraitants, [self.entreprises[c] for c in spec.cotraitants])
            self.synchroniser(
                objet.sous_traitants, [self.entreprises[c] for c in spec.sous_traitants]
            )
            self.charger_clause(objet, lot)
            resultat[(lot.reference, spec.numero)] = objet
        return resultat

    def charger_clause(self, objet: Lot, lot: LotPrevu) -> None:
        spec = lot.spec
        _, valeurs = self.heures_clause(lot)
        operation = next((o for o in OPERATIONS if o[0] == lot.marche.operation), None)
        anru = bool(operation and operation[4])
        penalite = None
        if spec.clause == TypeClause.CONDITION_EXECUTION:
            penalite = Decimal("30") if lot.marche.nature == NatureMarche.TRAVAUX else Decimal("25")
        valeurs.update(
            {
                "type": spec.clause,
                "motif_derogation": spec.motif,
                "ponderation_critere": Decimal(spec.ponderation) if spec.ponderation else None,
                "penalite_horaire": penalite,
                "notes": "Opération de renouvellement urbain : priorité aux habitants des "
                "quartiers prioritaires."
                if anru
                else "",
            }
        )
        self.enregistrer(Clause, {"lot": objet}, valeurs)

    # --- participants et missions ------------------------------------------------------------

    def prevoir_participants_et_missions(self, lots: list[LotPrevu]):
        rng = self.rng
        participants = [self.prevoir_participant(i) for i in range(NB_PARTICIPANTS)]
        missions: list[MissionPrevue] = []
        modalites, poids = zip(*MODALITES, strict=True)
        en_attente = iter(participants)
        # Une première mission par personne : d'abord une par modalité (la toute première
        # commence avec la fenêtre, repère du mois de référence), puis au moins une sur chaque
        # lot exécuté pendant la fenêtre, puis au hasard.
        for i, modalite in enumerate(modalites):
            missions.append(self.premiere_mission(next(en_attente), lots, modalite, i == 0))
        for lot in lots:
            if lot.missions or lot.date_debut > self.fin_fenetre:
                continue
            compatibles = [(m, p) for m, p in MODALITES if self.employeurs_possibles(lot, m)]
            modalite = rng.choices(*zip(*compatibles, strict=True))[0]
            missions.append(self.premiere_mission(next(en_attente), [lot], modalite))
        for participant in en_attente:
            modalite = rng.choices(modalites, poids)[0]
            missions.append(self.premiere_mission(participant, lots, modalite))
        # Puis des suites de parcours, après la fin de la mission précédente.
        tentatives = 0
        while len(missions) < NB_MISSIONS and tentatives < 2_000:
            tentatives += 1
            participant = rng.choice(participants)
            derniere = participant.missions[-1]
            if derniere.date_fin > ajouter_mois(self.ancre, -2):
                continue
            modalite = rng.choices(modalites, poids)[0]
            apres = derniere.date_fin + timedelta(days=rng.randint(3, 30))
            mission = self.prevoir_mission(participant, lots, modalite, apres)
            if mission is not None:
                missions.append(mission)
        self.numeroter(missions)
        for mission in missions:
            derniere = mission.participant.missions[-1] is mission
            if mission.date_fin < self.ancre and derniere and rng.random() < 0.85:
                mission.sortie = rng.choices(*zip(*SORTIES, strict=True))[0]
        for participant in participants:
            self.prevoir_criteres(participant)
        self.prevoir_profils(participants, missions)
        return participants, missions

    def prevoir_profils(self, participants, missions) -> None:
        """Niveau de qualification, situation à l'entrée, sortie dans une autre SIAE et
        situation six mois après une sortie ancienne d'au moins six mois (générateur à part)."""
        rng = random.Random(GRAINE + 1)
        for participant in participants:
            participant.niveau = rng.choices(*zip(*NIVEAUX, strict=True))[0]
            participant.situation_entree = rng.choices(*zip(*SITUATIONS_ENTREE, strict=True))[0]
        for mission in missions:
            if mission.sortie == Sortie.AUTRE and rng.random() < 0.3:
                mission.sortie = Sortie.AUTRE_SIAE
            recul = mission.sortie and ajouter_mois(mission.date_fin, 6) <= self.ancre
            if recul and rng.random() < 0.8:
                choix = SITUATIONS_SIX_MOIS[mission.sortie]
                mission.situation_six_mois = rng.choices(*zip(*choix, strict=True))[0]

    def prevoir_participant(self, index: int) -> ParticipantPrevu:
        rng = self.rng
        sexe = Sexe.FEMME if rng.random() < 0.35 else Sexe.HOMME
        while True:
            prenom = rng.choice(PRENOMS_F if sexe == Sexe.FEMME else PRENOMS_H)
            nom = rng.choice(NOMS)
            if (prenom, nom) not in self._noms_pris:
                self._noms_pris.add((prenom, nom))
                break
        # âge au mois de référence : au moins 20 ans, donc majeur dès le début de la fenêtre
        age = rng.choice([rng.randint(20, 25), rng.randint(26, 49), rng.randint(26, 49),
                          rng.randint(50, 62)])  # fmt: skip
        naissance = ajouter_annees(self.ancre, -age - 1) + timedelta(days=rng.randint(1, 360))
        communes, poids = zip(*COMMUNES_PARTICIPANTS, strict=True)
        commune = rng.choices(communes, poids)[0]
        qpv = commune in QUARTIERS_QPV and rng.random() < 0.45
        notes = ""
        if qpv:
            notes = f"Réside dans le quartier prioritaire {rng.choice(QUARTIERS_QPV[commune])}."
        tel = telephone(rng, rng.choice(["06", "07"]))
        email = courriel(prenom, nom, "courriel.example") if rng.random() < 0.6 else ""
        return ParticipantPrevu(nom, prenom, sexe, naissance, age, commune, qpv, tel, email, notes)

    def employeurs_possibles(self, lot: LotPrevu, modalite: str) -> list[tuple[str, str]]:
        """(employeur, type de contrat) possibles pour une modalité sur ce lot."""
        spec = lot.spec
        titulaire = spec.titulaire
        if spec.modalites and modalite not in spec.modalites:
            return []
        if spec.clause in (RESERVE_SIAE, INSERTION_QUALIF):  # la SIAE titulaire emploie en CDDI
            if modalite == Modalite.SOUS_TRAITANCE_SIAE:
                return [(titulaire, TypeContrat.CDDI)]
            return []
        if spec.clause == RESERVE_EA:
            contrats = {
                Modalite.EMBAUCHE_CDD: TypeContrat.CDD,
                Modalite.EMBAUCHE_CDI: TypeContrat.CDI,
            }
            return [(titulaire, contrats[modalite])] if modalite in contrats else []
        match modalite:
            case Modalite.EMBAUCHE_CDI:
                return [(titulaire, TypeContrat.CDI)]
            case Modalite.EMBAUCHE_CDD:
                return [(titulaire, TypeContrat.CDD)]
            case Modalite.ALTERNANCE:
                return [(titulaire, TypeContrat.APPRENTISSAGE),
                        (titulaire, TypeContrat.PROFESSIONNALISATION)]  # fmt: skip
            case Modalite.MISE_A_DISPOSITION:
                return (
                    [(e, TypeContrat.INTERIM) for e in ETTI * 3]
                    + [(e, TypeContrat.CDD) for e in AI]
                    + [("geiq", TypeContrat.PROFESSIONNALISATION)]
                )
            case Modalite.SOUS_TRAITANCE_SIAE:
                partenaires = spec.cotraitants + spec.sous_traitants
                return [(e, TypeContrat.CDDI) for e in partenaires if TYPES[e] in (TS.EI, TS.ACI)]
            case _:
                return [(titulaire, TypeContrat.STAGE)]

    def premiere_mission(self, participant, lots, modalite, premiere=False) -> MissionPrevue:
        mission = self.prevoir_mission(participant, lots, modalite, None, premiere)
        while mission is None:  # aucun lot possible pour cette modalité : une autre
            modalite = self.rng.choices(*zip(*MODALITES, strict=True))[0]
            mission = self.prevoir_mission(participant, lots, modalite, None)
        return mission

    def prevoir_mission(self, participant, lots, modalite, apres, premiere=False):
        rng = self.rng
        plus_tot = max(self.debut_fenetre, apres) if apres else self.debut_fenetre
        candidats = []
        for lot in lots:
            debut_min = max(lot.date_debut, plus_tot)
            debut_max = min(lot.date_fin, self.fin_fenetre)
            if premiere and lot.date_debut > self.debut_fenetre:
                continue
            if debut_min <= debut_max and self.employeurs_possibles(lot, modalite):
                candidats.append((lot, debut_min, debut_max))
        if not candidats:
            return None
        # les gros lots attirent plus de missions, mais chaque mission déjà placée y pèse
        poids = [math.sqrt(max(lot.heures_requises, 100)) / (1 + lot.missions)
                 for lot, _, _ in candidats]  # fmt: skip
        lot, debut_min, debut_max = rng.choices(candidats, poids)[0]
        lot.missions += 1
        employeur, contrat = rng.choice(self.employeurs_possibles(lot, modalite))
        if premiere:
            debut = debut_min + timedelta(days=rng.randint(0, 9))
        else:
            debut = debut_min + timedelta(days=rng.randint(0, (debut_max - debut_min).days))
        if modalite == Modalite.FORMATION:
            duree = rng.choice([1, 2])
        else:
            duree = rng.choices([1, 2, 3, 4, 5, 6, 8, 10, 12], [6, 10, 14, 14, 12, 12, 10, 6, 4])[0]
        fin = min(debut + timedelta(days=30 * duree + rng.randint(-6, 6)), lot.date_fin)
        prevues = Decimal((fin - debut).days * 130 // 30)
        mission = MissionPrevue(participant, lot, employeur, modalite, contrat, debut, fin, prevues)
        participant.missions.append(mission)
        return mission

    @staticmethod
    def numeroter(missions: list[MissionPrevue]) -> None:
        """Clés du plan, dans l'ordre des débuts de chaque année. La référence enregistrée
        (MIS-AAAA-NNNN) est tirée du compteur de numérotation à la création de la mission,
        comme pour une mission saisie (``heures.services.missions.reference_suivante``)."""
        par_annee: dict[int, int] = {}
        for mission in sorted(missions, key=lambda m: m.date_debut):
            annee = mission.date_debut.year
            par_annee[annee] = par_annee.get(annee, 0) + 1
            mission.cle = f"{annee}-{par_annee[annee]:04d}"

    def prevoir_criteres(self, participant: ParticipantPrevu) -> None:
        rng = self.rng
        codes = []
        if participant.age < 26:
            codes.append("jeune")
        elif participant.age >= 50:
            codes.append("senior")
        if participant.qpv:
            codes.append("qpv")
        nombre = rng.choice([1, 2]) if codes else rng.choice([1, 1, 2])
        autres = ["deld", "rsa", "rqth", "ass_aah", "siae", "autre"]
        while len(codes) < min(nombre, 2) or not codes:
            code = rng.choices(autres, [30, 25, 14, 8, 13, 10])[0]
            if code not in codes:
                codes.append(code)
        premiere = participant.missions[0].date_debut
        validation = premiere - timedelta(days=rng.randint(10, 120))
        for code in codes[:2]:
            prescripteur = rng.choice(PRESCRIPTEURS_PAR_CRITERE[code])
            participant.criteres.append((code, prescripteur, validation))

    # --- déclarations ------------------------------------------------------------------------

    def prevoir_declarations(self, missions: list[MissionPrevue]) -> list[DeclarationPrevue]:
        rng = self.rng
        groupes: dict[tuple, DeclarationPrevue] = {}
        for k in range(-NB_MOIS, 0):
            mois = ajouter_mois(self.ancre, k)
            fin = dernier_jour(mois)
            actives = [m for m in missions if m.date_debut <= fin and m.date_fin >= mois]
            for mission in sorted(actives, key=lambda m: m.cle):
                jours = (min(fin, mission.date_fin) - max(mois, mission.date_debut)).days + 1
                plein = (
                    rng.uniform(35, 105)
                    if mission.modalite == Modalite.FORMATION
                    else (rng.uniform(70, 151.67))
                )
                valeur = heures(min(max(20.0, plein * jours / fin.day), 151.67))
                cle = (mission.lot.reference, mission.lot.spec.numero, mission.employeur, mois)
                if cle not in groupes:
                    groupes[cle] = DeclarationPrevue(mission.lot, mission.employeur, mois, [])
                groupes[cle].lignes.append((mission, valeur))

        declarations = sorted(
            groupes.values(),
            key=lambda d: (d.mois, d.lot.reference, d.lot.spec.numero, d.employeur),
        )
        for declaration in declarations:
            self.dater(declaration)
        # La plus récente déclaration soumise porte une ligne au-delà du seuil d'alerte
        # mensuel (151,67 h) : le contrôle avant validation du suivi montre ses alertes.
        soumises = [d for d in declarations if d.statut == StatutDeclaration.SOUMISE]
        if soumises:
            alerte = max(soumises, key=lambda d: d.mois)
            mission, _ = alerte.lignes[0]
            alerte.lignes[0] = (mission, Decimal("168.00"))
        avant_dernier = [d for d in declarations if d.mois == ajouter_mois(self.ancre, -2)]
        for i in (0, len(avant_dernier) // 2):
            declaration = avant_dernier[i]
            declaration.statut = StatutDeclaration.REJETEE
            declaration.motif_rejet = MOTIFS_REJET[0 if i == 0 else 1]
            declaration.traitee_le = declaration.soumise_le + timedelta(days=2, hours=2)
        return declarations + self.prevoir_correction(declarations)

    def dater(self, declaration: DeclarationPrevue) -> None:
        """Statut et dates : validées jusqu'à M-3, en cours de traitement ensuite."""
        rng = self.rng
        k = (
            (declaration.mois.year - self.ancre.year) * 12
            + declaration.mois.month
            - self.ancre.month
        )
        suivant = ajouter_mois(declaration.mois, 1)
        if k == -1:
            if rng.random() < 0.5:
                declaration.statut = StatutDeclaration.BROUILLON
            else:
                declaration.statut = StatutDeclaration.SOUMISE
                declaration.soumise_le = instant(
                    self.ancre - timedelta(days=rng.randint(1, 4)), rng.randint(9, 17)
                )
            return
        declaration.soumise_le = instant(
            suivant + timedelta(days=rng.randint(1, 8)), rng.randint(9, 17), rng.choice([0, 30])
        )
        if k == -2 and rng.random() < 0.3:
            declaration.statut = StatutDeclaration.SOUMISE
            return
        declaration.statut = StatutDeclaration.VALIDEE
        declaration.traitee_le = declaration.soumise_le + timedelta(
            days=rng.randint(1, 6), hours=rng.randint(0, 3)
        )

    def prevoir_correction(self, declarations) -> list[DeclarationPrevue]:
        """Une déclaration validée puis corrigée : l'ancienne version est « remplacée »."""
        mois = ajouter_mois(self.ancre, -6)
        ancienne = next(d for d in declarations if d.mois == mois)
        ancienne.statut = StatutDeclaration.REMPLACEE
        mission, valeur = ancienne.lignes[0]
        lignes = [(mission, valeur + Decimal("14.00")), *ancienne.lignes[1:]]
        participant = mission.participant
        soumise = instant(ajouter_mois(mois, 2) + timedelta(days=3), 10)
        nouvelle = DeclarationPrevue(
            ancienne.lot,
            ancienne.employeur,
            mois,
            lignes,
            statut=StatutDeclaration.VALIDEE,
            numero_version=2,
            remplace=ancienne,
            motif_correction=(
                "Relevé d'heures reçu après la validation : 14,00 h omises pour "
                f"{participant.prenom[0]}. {participant.nom[0]}. ({{reference}})."
            ),
            mission_du_motif=mission,
            soumise_le=soumise,
            traitee_le=soumise + timedelta(days=2, hours=4),
        )
        return [nouvelle]

    # --- écriture des personnes, missions et déclarations ------------------------------------

    def charger_prescripteurs(self) -> list[Prescripteur]:
        prescripteurs = []
        for i, (nom, type_prescripteur, commune) in enumerate(PRESCRIPTEURS):
            prenom, nom_contact = (
                PRENOMS_F[(i * 5 + 2) % len(PRENOMS_F)],
                NOMS[(i * 7 + 3) % len(NOMS)],
            )
            prescripteurs.append(
                self.enregistrer(
                    Prescripteur,
                    {"nom": nom},
                    {
                        "type": type_prescripteur,
                        "commune": commune,
                        "contact_nom": f"{prenom} {nom_contact}",
                        "contact_email": courriel(prenom, nom_contact, domaine_fictif(nom)),
                        "actif": True,
                    },
                )
            )
        return prescripteurs

    def charger_participants(self, participants: list[ParticipantPrevu]) -> None:
        criteres = {c.code: c for c in CritereEligibilite.objects.all()}
        for prevu in participants:
            premiere_validation = min(date_validation for _, _, date_validation in prevu.criteres)
            objet = self.enregistrer(
                Participant,
                {"nom": prevu.nom, "prenom": prevu.prenom, "date_naissance": prevu.date_naissance},
                {
                    "sexe": prevu.sexe,
                    "commune": prevu.commune,
                    "code_postal": COMMUNES[prevu.commune],
                    "resident_qpv": prevu.qpv,
                    "niveau_qualification": prevu.niveau,
                    "situation_entree": prevu.situation_entree,
                    "telephone": prevu.telephone,
                    "email": prevu.email,
                    "date_information": premiere_validation,
                    "notes": prevu.notes,
                },
            )
            prevu.objet = objet
            for code, prescripteur, date_validation in prevu.criteres:
                self.enregistrer(
                    CritereParticipant,
                    {
                        "participant": objet,
                        "critere": criteres[code],
                        "date_validation": date_validation,
                    },
                    {
                        "prescripteur": self.prescripteurs[prescripteur],
                        "date_fin_validite": ajouter_annees(date_validation, 5)
                        if code == "rqth"
                        else None,
                        "justification": JUSTIFICATION_AUTRE if code == "autre" else "",
                    },
                )

    def charger_missions(self, missions: list[MissionPrevue]) -> dict[str, Mission]:
        """Une mission déjà chargée est retrouvée par participant, lot, employeur et début ; une
        nouvelle reçoit la référence suivante du compteur de son année, dans l'ordre des
        débuts."""
        resultat = {}
        for prevue in sorted(missions, key=lambda m: (m.date_debut, m.cle)):
            lot = self.lots[(prevue.lot.reference, prevue.lot.spec.numero)]
            employeur = self.entreprises[prevue.employeur]
            existante = (
                Mission.objects.filter(
                    participant=prevue.participant.objet,
                    lot=lot,
                    employeur=employeur,
                    date_debut=prevue.date_debut,
                )
                .values_list("pk", flat=True)
                .first()
            )
            cles = (
                {"pk": existante}
                if existante
                else {"reference": missions_service.reference_suivante(prevue.date_debut.year)}
            )
            resultat[prevue.cle] = self.enregistrer(
                Mission,
                cles,
                {
                    "participant": prevue.participant.objet,
                    "lot": lot,
                    "employeur": employeur,
                    "modalite": prevue.modalite,
                    "type_contrat": prevue.type_contrat,
                    "poste": prevue.lot.spec.poste,
                    "date_debut": prevue.date_debut,
                    "date_fin": prevue.date_fin,
                    "heures_prevues": prevue.heures_prevues,
                    "sortie": prevue.sortie,
                    "date_sortie": prevue.date_fin if prevue.sortie else None,
                    "situation_six_mois": prevue.situation_six_mois,
                },
            )
        return resultat

    def charger_declarations(self, declarations: list[DeclarationPrevue]) -> None:
        """En masse, et seulement pour les (entreprise, lot, mois) qui n'ont aucune déclaration."""
        lots = list(self.lots.values())
        existantes = set(
            DeclarationMensuelle.objects.filter(lot__in=lots).values_list(
                "entreprise_id", "lot_id", "mois"
            )
        )
        suivi = self.utilisateurs["suivi"]
        a_creer = []
        for prevue in declarations:
            entreprise = self.entreprises[prevue.employeur]
            lot = self.lots[(prevue.lot.reference, prevue.lot.spec.numero)]
            if (entreprise.pk, lot.pk, prevue.mois) in existantes:
                continue
            traitee = prevue.statut in (
                StatutDeclaration.VALIDEE, StatutDeclaration.REJETEE, StatutDeclaration.REMPLACEE
            )  # fmt: skip
            prevue.objet = DeclarationMensuelle(
                entreprise=entreprise,
                lot=lot,
                mois=prevue.mois,
                numero_version=prevue.numero_version,
                # Validée d'abord (son attestation est émise), remplacée à sa correction.
                statut=StatutDeclaration.VALIDEE
                if prevue.statut == StatutDeclaration.REMPLACEE
                else prevue.statut,
                motif_correction=self.motif(prevue),
                motif_rejet=prevue.motif_rejet,
                soumise_le=prevue.soumise_le,
                soumise_par=self.utilisateurs[prevue.lot.facilitateur]
                if prevue.soumise_le
                else None,
                traitee_le=prevue.traitee_le if traitee else None,
                traitee_par=suivi if traitee else None,
            )
            a_creer.append(prevue)
        # Les premières versions d'abord : les corrections pointent vers elles.
        for version in (1, 2):
            lot_courant = [p for p in a_creer if p.numero_version == version]
            for prevue in lot_courant:
                if prevue.remplace is not None:
                    prevue.objet.remplace = prevue.remplace.objet
            bulk_create_with_history([p.objet for p in lot_courant], DeclarationMensuelle)
            lignes = [
                LigneDeclaration(
                    declaration=prevue.objet,
                    mission=self.missions[mission.cle],
                    heures=valeur,
                )
                for prevue in lot_courant
                for mission, valeur in prevue.lignes
            ]
            bulk_create_with_history(lignes, LigneDeclaration)
            self.crees += len(lot_courant) + len(lignes)
            for prevue in lot_courant:
                if prevue.statut == StatutDeclaration.REMPLACEE:
                    self.emettre(prevue.objet)
                    prevue.objet.statut = StatutDeclaration.REMPLACEE
                    prevue.objet.save(update_fields=["statut"])
        # La correction validée : son attestation remplace celle de la version 1 (réémission).
        for prevue in a_creer:
            if prevue.remplace is not None and prevue.statut == StatutDeclaration.VALIDEE:
                self.emettre(prevue.objet)

    def motif(self, prevue: DeclarationPrevue) -> str:
        """Le motif de correction, avec la référence enregistrée de la mission concernée."""
        if prevue.mission_du_motif is None:
            return prevue.motif_correction
        mission = self.missions[prevue.mission_du_motif.cle]
        return prevue.motif_correction.format(reference=mission.reference)

    def emettre(self, declaration: DeclarationMensuelle) -> None:
        """L'attestation mensuelle d'une déclaration validée, par le service de l'application
        (numéro du compteur, PDF, remplacement de l'attestation d'une version corrigée)."""
        if declaration.attestations.exists():
            return
        attestations_service.emettre_mensuelle(declaration, self.utilisateurs["suivi"])
        self.crees += 1

    def charger_attestations(self) -> None:
        """Les attestations émises d'un mois : les premières déclarations validées du mois
        précédant le dernier (le dernier mois est encore en cours de validation)."""
        mois = ajouter_mois(self.ancre, -2)
        validees = DeclarationMensuelle.objects.filter(
            lot__in=list(self.lots.values()), mois=mois, statut=StatutDeclaration.VALIDEE
        ).order_by("lot__marche__reference", "lot__numero", "entreprise__raison_sociale")
        for declaration in validees[:NB_ATTESTATIONS]:
            self.emettre(declaration)

    def charger_relances(self) -> None:
        """Le journal des relances du dernier mois : une relance envoyée par le suivi à chaque
        entreprise qui n'avait pas transmis (non reçue, brouillon, rejetée), datée dans la
        semaine qui suit la fin du mois ; le texte est celui de l'application."""
        mois = ajouter_mois(self.ancre, -1)
        suivi = self.utilisateurs["suivi"]
        nom_structure = Parametres.get().nom_structure
        lots = {lot.pk: lot for lot in self.lots.values()}
        entreprises = {e.pk: e for e in self.entreprises.values()}
        for ligne in lignes_du_mois(mois):
            if not ligne.a_relancer or ligne.lot_id not in lots:
                continue
            entreprise, lot = entreprises[ligne.entreprise_id], lots[ligne.lot_id]
            adresses = relances_service.destinataires(entreprise, list(entreprise.contacts.all()))
            sujet, corps = relances_service.composer(ligne, entreprise, lot, nom_structure)
            relance = self.enregistrer(
                Relance,
                {"entreprise": entreprise, "lot": lot, "mois": mois},
                {
                    "destinataires": ", ".join(adresses),
                    "sujet": sujet,
                    "corps": corps,
                    "statut": StatutRelance.ENVOYEE if adresses else StatutRelance.ECHEC,
                    "erreur": "" if adresses else relances_service.AUCUN_DESTINATAIRE,
                    "envoyee_par": suivi,
                },
            )
            envoyee = instant(self.ancre + timedelta(days=4), 9)
            if relance.cree_le != envoyee:
                Relance.objects.filter(pk=relance.pk).update(cree_le=envoyee, modifie_le=envoyee)

    def charger_besoins(self) -> None:
        """Des besoins de recrutement ouverts sur des lots en cours, avec des participants
        proposés (proposé, entretien, non retenu) : la mise en relation en cours."""
        facilitateurs = {u.pk: u for u in self.utilisateurs.values()}
        en_cours = sorted(
            (
                lot
                for lot in self.lots.values()
                if lot.titulaire_id
                and lot.date_debut <= self.ancre
                and lot.date_fin >= ajouter_mois(self.ancre, 4)
            ),
            key=lambda lot: lot.pk,
        )
        occupes = set(
            Mission.objects.filter(date_fin__gte=self.ancre).values_list("participant", flat=True)
        )
        disponibles = list(
            Participant.objects.exclude(pk__in=occupes).order_by("nom", "prenom", "pk")[:9]
        )
        for i, (lot, besoin_prevu) in enumerate(zip(en_cours, BESOINS, strict=False)):
            poste, nombre, modalite, contrat, exigences = besoin_prevu
            debut = self.ancre + timedelta(days=14)
            cles = {"lot": lot, "entreprise_id": lot.titulaire_id, "poste": poste}
            valeurs = {
                "nombre_postes": nombre,
                "date_debut": debut,
                "date_fin": min(ajouter_mois(debut, 6) - timedelta(days=1), lot.date_fin),
                "modalite": modalite,
                "type_contrat": contrat,
                "heures_prevues": Decimal("910.00"),
                "exigences": exigences,
                "commune": lot.marche.lieu_execution or "Belfort",
                "statut": StatutBesoin.OUVERT,
                "modifie_par": facilitateurs.get(lot.facilitateur_id),
            }
            if not BesoinRecrutement.objects.filter(**cles).exists():
                besoins_service.verifier_besoin(BesoinRecrutement(**cles, **valeurs))
            besoin = self.enregistrer(BesoinRecrutement, cles, valeurs)
            propose_le = self.ancre - timedelta(days=10 - i)
            suites = (
                (StatutProposition.ENTRETIEN, {"date_entretien": self.ancre + timedelta(days=3)}),
                (StatutProposition.PROPOSE, {}),
                (
                    StatutProposition.NON_RETENU,
                    {
                        "date_decision": self.ancre - timedelta(days=2),
                        "commentaire": "Préfère un poste en atelier ; à revoir pour le "
                        "prochain besoin.",
                    },
                ),
            )
            for participant, (statut, dates) in zip(
                disponibles[3 * i : 3 * i + 3], suites, strict=False
            ):
                self.enregistrer(
                    Proposition,
                    {"besoin": besoin, "participant": participant},
                    {"statut": statut, "date_proposition": propose_le, **dates},
                )

    # --- label -------------------------------------------------------------------------------

    def charger_echanges(self) -> None:
        """Des échanges avec les titulaires des lots (structures accompagnées du bilan), tirés
        avec un générateur à part pour ne pas changer le reste du jeu."""
        rng = random.Random(GRAINE + 2)
        types = [TypeEchange.RENDEZ_VOUS, TypeEchange.VISITE_CHANTIER, TypeEchange.APPEL,
                 TypeEchange.REUNION_DEMARRAGE]  # fmt: skip
        for lot in sorted(self.lots.values(), key=lambda lot: lot.pk):
            if lot.titulaire_id is None or lot.date_debut > self.fin_fenetre:
                continue
            debut = max(lot.date_debut, self.debut_fenetre)
            fin = min(lot.date_fin or self.fin_fenetre, self.fin_fenetre)
            nombre = rng.randint(1, 3)
            for n in range(nombre):
                type_ = types[0] if n else TypeEchange.REUNION_DEMARRAGE
                type_ = rng.choice(types) if n > 1 else type_
                jour = debut + timedelta(days=rng.randint(0, max((fin - debut).days, 0)))
                self.enregistrer(
                    Echange,
                    {"entreprise_id": lot.titulaire_id, "lot": lot, "date": jour, "type": type_},
                    {
                        "auteur": lot.facilitateur,
                        "note": "Point sur les recrutements et le suivi des heures d'insertion.",
                        **self.suite_echange(lot, jour, dernier=n == nombre - 1),
                    },
                )

    def suite_echange(self, lot: Lot, jour: date, dernier: bool) -> dict:
        """La prochaine action du dernier échange d'un lot sur deux : faite quand l'échéance
        est passée depuis plus d'un mois, à faire sinon (en retard si l'échéance est passée)."""
        if not dernier or lot.pk % 2:
            return {"prochaine_action": "", "echeance": None, "action_faite_le": None,
                    "action_faite_par": None}  # fmt: skip
        echeance = jour + timedelta(days=15)
        faite = echeance < self.ancre - timedelta(days=30)
        return {
            "prochaine_action": PROCHAINES_ACTIONS[lot.pk % len(PROCHAINES_ACTIONS)],
            "echeance": echeance,
            "action_faite_le": echeance if faite else None,
            "action_faite_par": lot.facilitateur if faite else None,
        }

    def charger_label(self) -> None:
        animateur = self.utilisateurs["animateur"]
        membres = []
        for civilite, prenom, nom, organisme, college in MEMBRES_JURY:
            membres.append(
                self.enregistrer(
                    MembreJury,
                    {"nom": nom, "prenom": prenom, "organisme": organisme},
                    {
                        "civilite": civilite,
                        "college": college,
                        "email": courriel(prenom, nom, domaine_fictif(organisme)),
                        "actif": True,
                    },
                )
            )

        dates = {
            "ancienne": instant(self.jour(-32, 14), 14),
            "tenue": instant(self.jour(-5, 16), 14),
            "prevue": instant(self.jour(1, 18), 14),
        }
        sessions = {
            "ancienne": self.enregistrer(
                SessionJury,
                {"date": dates["ancienne"]},
                {
                    "lieu": "CCI du Territoire de Belfort, Belfort",
                    "statut": StatutSession.CLOTUREE,
                    "duree_passage": 30,
                    "convocations_envoyees_le": dates["ancienne"] - timedelta(days=21),
                    "compte_rendu": "Un dossier examiné, labellisé à l'unanimité.",
                },
            ),
            "tenue": self.enregistrer(
                SessionJury,
                {"date": dates["tenue"]},
                {
                    "lieu": "MIFE du Territoire de Belfort — salle du conseil",
                    "statut": StatutSession.TENUE,
                    "duree_passage": 30,
                    "convocations_envoyees_le": dates["tenue"] - timedelta(days=21),
                    "compte_rendu": "Quatre dossiers examinés : deux labellisations (dont un "
                    "renouvellement), un ajournement et un refus. Prochaine session dans six "
                    "mois.",
                },
            ),
            "prevue": self.enregistrer(
                SessionJury,
                {"date": dates["prevue"]},
                {
                    "lieu": "CCI du Territoire de Belfort, Belfort",
                    "statut": StatutSession.PLANIFIEE,
                    "duree_passage": 30,
                },
            ),
        }
        for membre in membres:
            for code in ("ancienne", "tenue"):
                self.enregistrer(
                    ConvocationJury,
                    {"session": sessions[code], "membre": membre},
                    {
                        "invite_le": dates[code] - timedelta(days=21),
                        "present": membre.nom not in ABSENTS_SESSION_TENUE,
                    },
                )
            self.enregistrer(
                ConvocationJury,
                {"session": sessions["prevue"], "membre": membre},
                {"invite_le": None, "present": None},
            )

        for index, (code, statut, renouvellement, passage) in enumerate(DOSSIERS):
            entreprise = self.entreprises[code]
            if passage and passage[0] in ("ancienne", "tenue"):
                depot = dates[passage[0]].date() - timedelta(days=75)
            elif statut == StatutDossier.EN_PREPARATION:
                depot = None
            else:
                depot = self.jour(-1, 1) - timedelta(days=10 + 5 * index)
            ouverture = (depot or self.jour(0, 1)) - timedelta(days=45)
            diagnostic = None
            if not renouvellement:
                diagnostic = self.enregistrer(
                    DiagnosticEligibilite,
                    {"entreprise": entreprise, "date": ouverture - timedelta(days=7)},
                    {
                        "implantee_territoire": True,
                        "engagements": True,
                        "effectif": 8 + 7 * index,
                        "label_precedent": "Aucun label précédent",
                        "eligible": True,
                        "motifs": "",
                        "realise_par": animateur,
                    },
                )
            dossier = self.enregistrer(
                DossierLabel,
                {"entreprise": entreprise, "annee": (depot or self.ancre).year},
                {
                    "renouvellement": renouvellement,
                    "statut": statut,
                    "animateur": animateur,
                    "date_depot": depot,
                    "diagnostic_eligibilite": diagnostic,
                    "diagnostic": f"Diagnostic réalisé avec {entreprise.raison_sociale} : "
                    "pratiques de recrutement ouvertes, accueil des nouveaux à formaliser.",
                    "bonnes_pratiques": "Parrainage des nouveaux arrivants ; ouverture des "
                    "chantiers aux visites de scolaires."
                    if statut != StatutDossier.EN_PREPARATION
                    else "",
                    "plan_amelioration": "Formaliser l'intégration ; suivre les indicateurs "
                    "chaque semestre avec l'animateur du label.",
                    "engagements_annee1": "Livret d'accueil et parrainage de chaque nouvel "
                    "arrivant.",
                    "engagements_annee2": "Six stages de 3e par an et deux visites de chantier.",
                    "engagements_annee3": "Deux tuteurs formés ; bilan partagé au réseau."
                    if statut != StatutDossier.EN_PREPARATION
                    else "",
                },
            )
            self.charger_actions(dossier, index, statut == StatutDossier.LABELLISE)
            self.charger_journal(dossier, ouverture, passage, dates, animateur)
            if passage:
                self.charger_passage(dossier, sessions[passage[0]], passage, membres)
            if statut == StatutDossier.LABELLISE:
                obtention = dates[passage[0]].date()
                self.enregistrer(
                    Label,
                    {"dossier": dossier},
                    {
                        "entreprise": entreprise,
                        "numero": f"EMP-{obtention.year}-{passage[1]:03d}",
                        "code_verification": hashlib.sha256(
                            f"emplitudes-demo-{code}".encode()
                        ).hexdigest()[:20],
                        "date_obtention": obtention,
                        "date_expiration": ajouter_annees(obtention, DUREE_LABEL_ANNEES),
                    },
                )

        code, implantee, engagements, effectif, commentaire = DIAGNOSTIC_NON_ELIGIBLE
        self.enregistrer(
            DiagnosticEligibilite,
            {"entreprise": self.entreprises[code], "date": self.jour(-1, 20)},
            {
                "implantee_territoire": implantee,
                "engagements": engagements,
                "effectif": effectif,
                "label_precedent": "Aucun label précédent",
                "eligible": False,
                "motifs": "L'entreprise n'accepte pas les engagements du label.",
                "commentaire": commentaire,
                "realise_par": animateur,
            },
        )

        for titre, theme, mois, heure, lieu, codes in EVENEMENTS:
            date_evenement = instant(self.jour(mois, 12), heure, 30)
            passe = mois < 0
            evenement = self.enregistrer(
                EvenementAnimation,
                {"titre": titre},
                {
                    "theme": theme,
                    "date": date_evenement,
                    "lieu": lieu,
                    "description": f"{theme}. Animation du réseau des entreprises partenaires.",
                },
            )
            for i, code in enumerate(codes):
                present = (i != len(codes) - 1) if passe else None
                participation = self.enregistrer(
                    ParticipationEvenement,
                    {"evenement": evenement, "entreprise": self.entreprises[code]},
                    {
                        "invitee_le": date_evenement - timedelta(days=30),
                        "nombre_personnes": i % 3 + 1 if present else 0,
                        "present": present,
                    },
                )
                principaux = [
                    c for c in self.entreprises[code].contacts.all() if c.principal and c.email
                ]
                self.synchroniser(participation.contacts, principaux)

    def charger_journal(self, dossier, ouverture, passage, dates, animateur) -> None:
        """Les étapes passées du dossier, tracées comme l'application le fait."""
        S = StatutDossier
        etapes = [("", S.EN_PREPARATION, "Dossier ouvert après le diagnostic d'éligibilité", "")]
        chemin = {
            S.EN_PREPARATION: [],
            S.DEPOSE: [S.DEPOSE],
            S.INCOMPLET: [S.DEPOSE, S.INCOMPLET],
            S.RECEVABLE: [S.DEPOSE, S.RECEVABLE],
            S.INSCRIT: [S.DEPOSE, S.RECEVABLE, S.INSCRIT],
        }
        suite = chemin.get(dossier.statut, [S.DEPOSE, S.RECEVABLE, S.INSCRIT, dossier.statut])
        avant = S.EN_PREPARATION
        for apres in suite:
            commentaire = MOTIF_INCOMPLET if apres == S.INCOMPLET else ""
            if passage and apres == dossier.statut and passage[3]:
                commentaire = passage[3]
            etapes.append((avant, apres, f"{S(avant).label} → {S(apres).label}", commentaire))
            avant = apres
        for rang, (de, vers, description, commentaire) in enumerate(etapes):
            le = instant(ouverture + timedelta(days=12 * rang), 10)
            if passage and vers == dossier.statut and vers in (S.LABELLISE, S.AJOURNE, S.REFUSE):
                le = dates[passage[0]] + timedelta(hours=3)
            self.enregistrer(
                JournalDossier,
                {"dossier": dossier, "statut_apres": vers, "description": description},
                {
                    "le": le,
                    "auteur": animateur,
                    "nature": NatureJournal.TRANSITION,
                    "statut_avant": de,
                    "commentaire": commentaire,
                },
            )

    def charger_actions(self, dossier: DossierLabel, index: int, labellise: bool) -> None:
        actions = [
            (Axe.DEMANDEURS_EMPLOI, "", *ACTIONS_DEMANDEURS[index % 4]),
            (Axe.DEMANDEURS_EMPLOI, "", *ACTIONS_DEMANDEURS[(index + 1) % 4]),
            (Axe.SCOLAIRES, "", *ACTIONS_SCOLAIRES[index % 3]),
            (Axe.SALARIES, *ACTIONS_SALARIES[index % 4]),
            (Axe.SALARIES, *ACTIONS_SALARIES[(index + 2) % 4]),
        ]
        for rang, (axe, theme, intitule, indicateur) in enumerate(actions):
            realisee = labellise and rang < 2
            fin = self.jour(-7 + rang if realisee else 6 + 2 * rang, 28)
            self.enregistrer(
                ActionLabel,
                {"dossier": dossier, "axe": axe, "intitule": intitule},
                {
                    "theme": theme,
                    "indicateur": indicateur,
                    "description": f"{intitule} : action menée avec l'appui de la MIFE.",
                    "date_debut": fin - timedelta(days=180),
                    "date_fin": fin,
                    "personnes": 2 + (index + rang) % 6,
                    "heures": Decimal(7 * (1 + (index + rang) % 5)),
                    "realisee": realisee,
                },
            )

    def charger_passage(self, dossier, session, passage, membres) -> None:
        _, ordre, decision, motivation = passage
        debut = session.date + timedelta(minutes=session.duree_passage * (ordre - 1))
        objet = self.enregistrer(
            PassageJury,
            {"session": session, "dossier": dossier},
            {
                "ordre": ordre,
                "debut": debut,
                "duree": session.duree_passage,
                "convocation_envoyee_le": session.convocations_envoyees_le,
                "decision": decision,
                "motivation": motivation,
                "decide_le": debut + timedelta(minutes=session.duree_passage) if decision else None,
            },
        )
        if not decision:
            return
        presents = [m for m in membres if m.nom not in ABSENTS_SESSION_TENUE]
        for i, membre in enumerate(presents):
            if decision == Decision.LABELLISE:
                avis = Avis.RESERVE if i == ordre else Avis.FAVORABLE
            elif decision == Decision.REFUSE:
                avis = Avis.DEFAVORABLE if i % 3 else Avis.RESERVE
            else:
                avis = Avis.DEFAVORABLE if i % 2 else Avis.RESERVE
            self.enregistrer(
                AvisMembre,
                {"passage": objet, "membre": membre},
                {
                    "avis": avis,
                    "commentaire": "" if avis == Avis.FAVORABLE else "Axe scolaires à étoffer.",
                },
            )

    # --- bilan -------------------------------------------------------------------------------

    def resume(self) -> str:
        statuts = dict.fromkeys(StatutDeclaration.values, 0)
        for statut in DeclarationMensuelle.objects.values_list("statut", flat=True):
            statuts[statut] += 1
        detail_statuts = ", ".join(
            f"{StatutDeclaration(s).label.lower()} : {n}" for s, n in statuts.items()
        )
        lignes = [
            f"Données de démonstration (mois de référence : {self.ancre:%m/%Y}) : "
            f"{self.crees} objets créés, {self.modifies} mis à jour.",
            f"  Comptes : {', '.join(u for u, *_ in COMPTES)} — mot de passe « {MOT_DE_PASSE} ».",
            f"  {DonneurOrdre.objects.count()} donneurs d'ordre, {Operation.objects.count()} "
            f"opérations, {Marche.objects.count()} marchés, {Lot.objects.count()} lots, "
            f"{Entreprise.objects.count()} entreprises.",
            f"  {Prescripteur.objects.count()} prescripteurs, {Participant.objects.count()} "
            f"participants, {Mission.objects.count()} missions.",
            f"  {DeclarationMensuelle.objects.count()} déclarations ({detail_statuts}), "
            f"{LigneDeclaration.objects.count()} lignes.",
            f"  {Attestation.objects.count()} attestations émises "
            f"(dont {Attestation.objects.filter(statut=StatutAttestation.REMPLACEE).count()} "
            f"remplacée), {Relance.objects.count()} relances, "
            f"{BesoinRecrutement.objects.count()} besoins de recrutement et "
            f"{Proposition.objects.count()} propositions, {Echange.objects.count()} échanges "
            f"({Echange.objects.exclude(prochaine_action='').count()} avec une prochaine "
            "action).",
            f"  Label : {DossierLabel.objects.count()} dossiers, "
            f"{SessionJury.objects.count()} sessions de jury, {Label.objects.count()} labels, "
            f"{EvenementAnimation.objects.count()} événements.",
        ]
        return "\n".join(lignes)


class Command(BaseCommand):
    help = (
        "Charge un jeu de données de démonstration du Territoire de Belfort (comptes « demo », "
        "marchés, entreprises, participants, heures, label). DEBUG=1 obligatoire ; idempotent."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(MESSAGE_REFUS)
        jeu = JeuDemo()
        with transaction.atomic():
            jeu.charger()
            totaux.reconstruire()  # lines were bulk-created: no signal rewrote the totals
        self.stdout.write(self.style.SUCCESS(jeu.resume()))
