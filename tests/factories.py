"""factory_boy factories for every domain model (French-looking, coherent data).

Every factory works with ``.create()`` and ``.build()``. Related objects are built with
the same strategy, and stay coherent: a mission's employer is its lot's titulaire, its
dates lie inside the lot's dates; a declaration's month is the first day of a month of the
lot; a monthly attestation belongs to its declaration's lot and company, and so on.

Reference rows loaded by data migrations (``ReferenceCalcul`` per nature,
``CritereEligibilite`` per code, the single ``Parametres`` row) are fetched with
``django_get_or_create`` rather than duplicated.
"""

import datetime as dt
import secrets
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone
from factory import fuzzy
from factory.django import DjangoModelFactory
from stdnum import luhn

from entreprises.models import Contact, Entreprise, TypeIdentifiant, TypeStructure
from heures.models import (
    Attestation,
    BesoinRecrutement,
    CompteurNumero,
    CritereEligibilite,
    CritereParticipant,
    DeclarationMensuelle,
    GenerationAttestations,
    LigneDeclaration,
    Mission,
    Modalite,
    Participant,
    Prescripteur,
    Proposition,
    Relance,
    Sexe,
    Sortie,
    StatutDeclaration,
    StatutGeneration,
    StatutProposition,
    TotalHeuresLot,
    TotalHeuresMois,
    TypeAttestation,
    TypeContrat,
    TypePrescripteur,
)
from label.models import (
    DUREE_LABEL_ANNEES,
    ActionLabel,
    Avis,
    AvisMembre,
    Axe,
    College,
    ConvocationJury,
    DiagnosticEligibilite,
    DossierLabel,
    EvenementAnimation,
    JournalDossier,
    Label,
    LienEntreprise,
    MembreJury,
    NatureJournal,
    ParticipationEvenement,
    PassageJury,
    PieceJointe,
    SessionJury,
    StatutDossier,
    ThemeSalaries,
)
from marches import cpv
from marches.models import (
    ActeSousTraitance,
    Clause,
    DonneurOrdre,
    Echange,
    FamilleCPV,
    Lot,
    Marche,
    ModeleClause,
    ModificationMarche,
    NatureMarche,
    Operation,
    Procedure,
    RapportImport,
    ReferenceCalcul,
    SeuilsQualification,
    SourceVeille,
    TacheImportDecp,
    TypeClause,
    TypeDonneurOrdre,
    TypeEchange,
)
from mife import roles
from mife.core.mois import premier_jour
from mife.models import DemandeBilan, Parametres, RapportDonneur, User

PARIS = ZoneInfo("Europe/Paris")
MOT_DE_PASSE = "mot-de-passe-de-test"


def fr(provider: str, **kwargs) -> factory.Faker:
    """A Faker declaration with the French locale."""
    return factory.Faker(provider, locale="fr_FR", **kwargs)


# --- identifiers ---------------------------------------------------------------------------


def cle_luhn(chiffres: str) -> str:
    """The Luhn check digit to append to ``chiffres`` (SIREN, SIRET)."""
    return luhn.calc_check_digit(chiffres)


def siret(n: int, premier_chiffre: int = 4) -> str:
    """A valid SIRET, unique for each ``n``: SIREN (8 digits + key) + NIC (4 digits + key)."""
    base_siren = f"{premier_chiffre}{n % 10_000_000:07d}"
    siren = base_siren + cle_luhn(base_siren)
    debut = siren + f"{n % 1000 + 10:04d}"
    return debut + cle_luhn(debut)


def code_cpv(code8: str) -> str:
    """An official code with its key (the codes used here are ones the usual formula gives)."""
    return f"{code8}-{cpv.cle_usuelle(code8)}"


CPV_PAR_NATURE = {
    NatureMarche.TRAVAUX: ["45000000", "45210000", "45260000", "45310000", "45400000"],
    NatureMarche.SERVICES: ["77310000", "90910000", "71000000", "79710000"],
    NatureMarche.FOURNITURES: ["39000000", "30190000", "44000000"],
}


def plus_annees(jour: dt.date, annees: int) -> dt.date:
    try:
        return jour.replace(year=jour.year + annees)
    except ValueError:  # 29 February
        return jour.replace(year=jour.year + annees, day=28)


# --- mife ----------------------------------------------------------------------------------


class UserFactory(DjangoModelFactory):
    """A team member. ``UserFactory(role="suivi")`` also puts them in the role's group."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"utilisateur{n}")
    first_name = fr("first_name")
    last_name = fr("last_name")
    email = factory.LazyAttribute(lambda o: f"{o.username}@mife90.fr")
    fonction = factory.Iterator(["Facilitatrice", "Facilitateur", "Assistante de suivi"])
    telephone = fr("phone_number")
    password = factory.django.Password(MOT_DE_PASSE)

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.groups.add(Group.objects.get(name=roles.ROLES_PAR_CODE[extracted].groupe))


class ParametresFactory(DjangoModelFactory):
    """The single settings row (pk = 1, created by a migration)."""

    class Meta:
        model = Parametres
        django_get_or_create = ("id",)

    id = 1
    nom_structure = "MIFE du Territoire de Belfort"
    adresse = "Maison de l'Information, de la Formation et de l'Emploi\n90000 Belfort"


# --- entreprises ---------------------------------------------------------------------------


class EntrepriseFactory(DjangoModelFactory):
    class Meta:
        model = Entreprise

    type_identifiant = TypeIdentifiant.SIRET
    identifiant = factory.Sequence(siret)
    raison_sociale = fr("company")
    nom_commercial = ""
    type_structure = TypeStructure.CLASSIQUE
    code_naf = factory.Iterator(["4120A", "4321A", "4399C", "4331Z", "8130Z", "8121Z"])
    adresse = fr("street_address")
    code_postal = fr("postcode")
    commune = fr("city")
    telephone = fr("phone_number")
    email = factory.Sequence(lambda n: f"contact{n}@entreprise-exemple.fr")
    active = True

    class Params:
        siae = factory.Trait(type_structure=TypeStructure.ETTI)


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    entreprise = factory.SubFactory(EntrepriseFactory)
    civilite = factory.Iterator(["Mme", "M."])
    nom = fr("last_name")
    prenom = fr("first_name")
    fonction = factory.Iterator(["Gérante", "Conducteur de travaux", "Responsable RH"])
    email = factory.Sequence(lambda n: f"contact.entreprise{n}@exemple.fr")
    telephone = fr("phone_number")
    principal = False
    destinataire_relances = False


# --- marches -------------------------------------------------------------------------------


class DonneurOrdreFactory(DjangoModelFactory):
    class Meta:
        model = DonneurOrdre

    type = TypeDonneurOrdre.COMMUNE
    commune = fr("city")
    nom = factory.LazyAttribute(lambda o: f"Commune de {o.commune}")
    siret = factory.Sequence(lambda n: siret(n, premier_chiffre=2))
    adresse = fr("street_address")
    code_postal = fr("postcode")
    contact_nom = fr("name")
    contact_email = factory.Sequence(lambda n: f"marches{n}@collectivite-exemple.fr")
    contact_telephone = fr("phone_number")


class OperationFactory(DjangoModelFactory):
    class Meta:
        model = Operation

    donneur_ordre = factory.SubFactory(DonneurOrdreFactory)
    nom = factory.Sequence(lambda n: f"Rénovation du groupe scolaire n° {n}")
    description = fr("sentence")
    commune = factory.LazyAttribute(lambda o: o.donneur_ordre.commune)
    renouvellement_urbain = False
    date_debut = fr("date_between", start_date="-3y", end_date="-2y")
    date_fin = factory.LazyAttribute(lambda o: o.date_debut + dt.timedelta(days=3 * 365))


class MarcheFactory(DjangoModelFactory):
    class Meta:
        model = Marche

    donneur_ordre = factory.SubFactory(DonneurOrdreFactory)
    operation = factory.SubFactory(
        OperationFactory, donneur_ordre=factory.SelfAttribute("..donneur_ordre")
    )
    reference = factory.Sequence(lambda n: f"2024-MP-{n:04d}")
    objet = factory.LazyAttribute(
        lambda o: f"Travaux — {o.operation.nom}" if o.operation else "Travaux d'entretien"
    )
    nature = NatureMarche.TRAVAUX
    procedure = Procedure.ADAPTEE
    date_notification = fr("date_between", start_date="-2y", end_date="-1y")
    duree_mois = 24
    montant_ht = fuzzy.FuzzyDecimal(200_000, 3_000_000, precision=2)
    code_cpv = factory.LazyAttribute(lambda o: code_cpv(CPV_PAR_NATURE[o.nature][0]))
    lieu_execution = factory.LazyAttribute(lambda o: o.donneur_ordre.commune)
    decp_id = ""
    considerations_sociales = factory.LazyFunction(list)
    candidat_clause = False


class LotFactory(DjangoModelFactory):
    class Meta:
        model = Lot
        skip_postgeneration_save = True

    marche = factory.SubFactory(MarcheFactory)
    numero = factory.Sequence(lambda n: str(n + 1))
    intitule = factory.Iterator(["Gros œuvre", "Électricité", "Plâtrerie", "Peinture"])
    montant_ht = fuzzy.FuzzyDecimal(100_000, 1_000_000, precision=2)
    date_debut = factory.LazyAttribute(
        lambda o: (o.marche.date_notification or dt.date(2024, 1, 1)) + dt.timedelta(days=30)
    )
    date_fin = factory.LazyAttribute(lambda o: o.date_debut + dt.timedelta(days=2 * 365))
    titulaire = factory.SubFactory(EntrepriseFactory)
    facilitateur = factory.SubFactory(UserFactory)

    @factory.post_generation
    def sous_traitants(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.sous_traitants.set(extracted)

    @factory.post_generation
    def cotraitants(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.cotraitants.set(extracted)


class ReferenceCalculFactory(DjangoModelFactory):
    """Reference values exist for each nature (data migration): they are fetched, not added."""

    class Meta:
        model = ReferenceCalcul
        django_get_or_create = ("nature",)

    nature = factory.Iterator(NatureMarche.values)
    part_main_oeuvre = Decimal("50")
    taux_insertion = Decimal("5")
    cout_horaire = Decimal("30")


class ClauseFactory(DjangoModelFactory):
    class Meta:
        model = Clause

    lot = factory.SubFactory(LotFactory)
    type = TypeClause.CONDITION_EXECUTION
    montant_base = factory.LazyAttribute(lambda o: o.lot.montant_ht)
    part_main_oeuvre = Decimal("50.00")
    taux_insertion = Decimal("5.00")
    cout_horaire = Decimal("30.00")
    heures_calculees = factory.LazyAttribute(
        lambda o: Clause.calculer_heures(
            o.montant_base, o.part_main_oeuvre, o.taux_insertion, o.cout_horaire
        )
    )
    heures_requises = factory.SelfAttribute("heures_calculees")
    motif_derogation = ""
    penalite_horaire = Decimal("30.00")


class ModeleClauseFactory(DjangoModelFactory):
    """Model texts exist for each clause kind (data migration): fetched, not added."""

    class Meta:
        model = ModeleClause
        django_get_or_create = ("type",)

    type = factory.Iterator(TypeClause.values)
    titre = factory.LazyAttribute(lambda o: f"Clause {o.type}")
    texte = "# Objet\nLe titulaire réalise {{ heures }} d'insertion."


# --- heures --------------------------------------------------------------------------------


class PrescripteurFactory(DjangoModelFactory):
    class Meta:
        model = Prescripteur

    type = TypePrescripteur.FRANCE_TRAVAIL
    nom = factory.Sequence(lambda n: f"France Travail Belfort agence {n}")
    commune = "Belfort"
    contact_nom = fr("name")
    contact_email = factory.Sequence(lambda n: f"conseiller{n}@francetravail.fr")
    actif = True


class CritereEligibiliteFactory(DjangoModelFactory):
    """The criteria of the reference list exist (data migration): fetched by code."""

    class Meta:
        model = CritereEligibilite
        django_get_or_create = ("code",)

    code = factory.Iterator(["deld", "rsa", "jeune", "qpv", "senior"])
    libelle = factory.LazyAttribute(lambda o: f"Critère {o.code}")
    sensible = False
    ordre = 0
    actif = True


class ParticipantFactory(DjangoModelFactory):
    class Meta:
        model = Participant

    class Params:
        est_femme = factory.LazyAttribute(lambda o: o.sexe == Sexe.FEMME)

    sexe = factory.Iterator([Sexe.FEMME, Sexe.HOMME])
    prenom = factory.Maybe("est_femme", fr("first_name_female"), fr("first_name_male"))
    nom = fr("last_name")
    date_naissance = fr("date_of_birth", minimum_age=18, maximum_age=62)
    commune = fr("city")
    code_postal = fr("postcode")
    resident_qpv = False
    telephone = fr("phone_number")
    email = factory.Sequence(lambda n: f"participant{n}@exemple.fr")
    date_information = fr("date_between", start_date="-2y", end_date="-1y")
    notes = ""


class CritereParticipantFactory(DjangoModelFactory):
    class Meta:
        model = CritereParticipant

    participant = factory.SubFactory(ParticipantFactory)
    critere = factory.SubFactory(CritereEligibiliteFactory)
    date_validation = fr("date_between", start_date="-2y", end_date="-1y")
    date_fin_validite = factory.LazyAttribute(
        lambda o: o.date_validation + dt.timedelta(days=2 * 365)
    )
    justification = "Attestation d'inscription fournie."
    prescripteur = factory.SubFactory(PrescripteurFactory)


class MissionFactory(DjangoModelFactory):
    """A placement on a lot, employed by the lot's titulaire, inside the lot's dates."""

    class Meta:
        model = Mission

    reference = factory.Sequence(lambda n: f"M-{n + 1:05d}")
    participant = factory.SubFactory(ParticipantFactory)
    lot = factory.SubFactory(LotFactory)
    employeur = factory.SelfAttribute("lot.titulaire")
    modalite = Modalite.EMBAUCHE_CDD
    type_contrat = TypeContrat.CDD
    poste = factory.Iterator(["Manœuvre", "Maçon", "Peintre", "Aide électricien"])
    date_debut = factory.LazyAttribute(
        lambda o: (o.lot.date_debut or dt.date(2024, 1, 1)) + dt.timedelta(days=15)
    )
    date_fin = factory.LazyAttribute(lambda o: _fin_mission(o.date_debut, o.lot.date_fin))
    heures_prevues = Decimal("420.00")
    sortie = ""
    date_sortie = None

    class Params:
        terminee = factory.Trait(
            sortie=Sortie.EMPLOI_DURABLE, date_sortie=factory.SelfAttribute("date_fin")
        )


def _fin_mission(debut: dt.date, fin_lot: dt.date | None) -> dt.date:
    fin = debut + dt.timedelta(days=180)
    return min(fin, fin_lot) if fin_lot else fin


class DeclarationMensuelleFactory(DjangoModelFactory):
    """Hours of one month (first day of a month inside the lot) by the lot's titulaire."""

    class Meta:
        model = DeclarationMensuelle

    lot = factory.SubFactory(LotFactory)
    entreprise = factory.SelfAttribute("lot.titulaire")
    mois = factory.LazyAttribute(
        lambda o: premier_jour((o.lot.date_debut or dt.date(2024, 1, 1)) + dt.timedelta(days=62))
    )
    numero_version = 1
    statut = StatutDeclaration.BROUILLON
    remplace = None

    class Params:
        validee = factory.Trait(
            statut=StatutDeclaration.VALIDEE,
            soumise_le=factory.LazyAttribute(
                lambda o: (
                    dt.datetime.combine(o.mois, dt.time(10), tzinfo=PARIS) + dt.timedelta(days=35)
                )
            ),
            traitee_le=factory.LazyAttribute(lambda o: o.soumise_le + dt.timedelta(days=2)),
        )


class LigneDeclarationFactory(DjangoModelFactory):
    class Meta:
        model = LigneDeclaration

    declaration = factory.SubFactory(DeclarationMensuelleFactory)
    mission = factory.SubFactory(
        MissionFactory,
        lot=factory.SelfAttribute("..declaration.lot"),
        employeur=factory.SelfAttribute("..declaration.entreprise"),
    )
    heures = fuzzy.FuzzyDecimal(20, 151, precision=2)
    commentaire = ""


class TotalHeuresMoisFactory(DjangoModelFactory):
    """A maintained total written by hand: only for tests of the check (``totaux_heures``)."""

    class Meta:
        model = TotalHeuresMois

    lot = factory.SubFactory(LotFactory)
    entreprise = factory.SelfAttribute("lot.titulaire")
    mois = dt.date(2026, 3, 1)
    heures = Decimal("10")


class TotalHeuresLotFactory(DjangoModelFactory):
    class Meta:
        model = TotalHeuresLot

    lot = factory.SubFactory(LotFactory)
    heures = Decimal("10")


class CompteurNumeroFactory(DjangoModelFactory):
    class Meta:
        model = CompteurNumero

    prefixe = factory.Sequence(lambda n: f"ATT-{2000 + n}")
    dernier = 0


class AttestationFactory(DjangoModelFactory):
    """A monthly attestation of a validated declaration (trait ``realisation`` for the other)."""

    class Meta:
        model = Attestation

    numero = factory.Sequence(lambda n: f"ATT-2024-{n + 1:05d}")
    type = TypeAttestation.MENSUELLE
    declaration = factory.SubFactory(DeclarationMensuelleFactory, validee=True)
    lot = factory.SelfAttribute("declaration.lot")
    entreprise = factory.SelfAttribute("declaration.entreprise")
    mois = factory.SelfAttribute("declaration.mois")
    total_heures = Decimal("151.67")
    cumul_heures = Decimal("455.00")
    heures_requises = Decimal("833.00")
    code_verification = factory.LazyFunction(lambda: secrets.token_hex(16))
    sha256 = ""
    motif = ""
    emise_par = factory.SubFactory(UserFactory)

    class Params:
        realisation = factory.Trait(
            type=TypeAttestation.REALISATION,
            declaration=None,
            mois=None,
            lot=factory.SubFactory(LotFactory),
            entreprise=factory.SelfAttribute("lot.titulaire"),
        )


class GenerationAttestationsFactory(DjangoModelFactory):
    """A finished batch « Générer les attestations du mois » (no files)."""

    class Meta:
        model = GenerationAttestations

    mois = factory.Sequence(lambda n: dt.date(2024 + n // 12 % 5, n % 12 + 1, 1))
    statut = StatutGeneration.TERMINEE
    total = 3
    faites = 3
    tache_id = factory.LazyFunction(lambda: secrets.token_hex(8))
    demandee_par = factory.SubFactory(UserFactory)


# --- bilan and reports to buyers ------------------------------------------------------------


class DemandeBilanFactory(DjangoModelFactory):
    """An annual bilan asked from the browser, not built yet."""

    class Meta:
        model = DemandeBilan

    annee = 2025
    format = "pdf"
    demandee_par = factory.SubFactory(UserFactory)


class RapportDonneurFactory(DjangoModelFactory):
    """A report sent to a buyer for a month of one of its contracts (files as sent)."""

    class Meta:
        model = RapportDonneur

    marche = factory.SubFactory(MarcheFactory)
    donneur_ordre = factory.SelfAttribute("marche.donneur_ordre")
    debut = dt.date(2025, 3, 1)
    fin = dt.date(2025, 3, 31)
    libelle_periode = "mars 2025"
    destinataires = factory.SelfAttribute("donneur_ordre.contact_email")
    sujet = "Clause d'insertion — rapport mars 2025"
    message = "Bonjour, voici le point du mois."
    chiffres = factory.LazyFunction(lambda: {"heures_periode": "120.00"})
    fichier_pdf = factory.LazyFunction(lambda: ContentFile(b"%PDF-1.7", name="rapport.pdf"))
    fichier_xlsx = factory.LazyFunction(lambda: ContentFile(b"PK", name="rapport.xlsx"))
    statut = "envoye"
    envoye_par = factory.SubFactory(UserFactory)


# --- label ---------------------------------------------------------------------------------


class DossierLabelFactory(DjangoModelFactory):
    class Meta:
        model = DossierLabel

    entreprise = factory.SubFactory(EntrepriseFactory)
    annee = factory.Sequence(lambda n: 2018 + n % 10)
    renouvellement = False
    statut = StatutDossier.EN_PREPARATION
    animateur = factory.SubFactory(UserFactory)
    date_depot = None
    diagnostic = fr("paragraph")
    bonnes_pratiques = ""
    plan_amelioration = ""


class ActionLabelFactory(DjangoModelFactory):
    class Meta:
        model = ActionLabel

    dossier = factory.SubFactory(DossierLabelFactory)
    axe = Axe.SALARIES
    theme = factory.LazyAttribute(lambda o: ThemeSalaries.TUTORAT if o.axe == Axe.SALARIES else "")
    intitule = factory.Iterator(
        [
            "Tutorat des nouveaux arrivants",
            "Accueil de stagiaires de 3e",
            "Job dating avec France Travail",
        ]
    )
    description = fr("sentence")
    indicateur = "Nombre de personnes concernées"
    date_fin = fr("date_between", start_date="today", end_date="+1y")
    realisee = False


class PieceJointeFactory(DjangoModelFactory):
    class Meta:
        model = PieceJointe

    dossier = factory.SubFactory(DossierLabelFactory)
    libelle = factory.Iterator(["Attestation URSSAF", "Organigramme", "Plan de formation"])
    fichier = factory.LazyAttribute(
        lambda o: ContentFile(b"%PDF-1.4\n% piece jointe de test\n", name="piece.pdf")
    )


class MembreJuryFactory(DjangoModelFactory):
    class Meta:
        model = MembreJury

    civilite = factory.Iterator(["Mme", "M."])
    nom = fr("last_name")
    prenom = fr("first_name")
    organisme = factory.Iterator(
        ["CCI du Territoire de Belfort", "CMA Bourgogne-Franche-Comté", "France Travail"]
    )
    college = College.CHAMBRE
    email = factory.Sequence(lambda n: f"jury{n}@exemple.fr")
    actif = True


class SessionJuryFactory(DjangoModelFactory):
    class Meta:
        model = SessionJury

    date = fr("date_time_between", start_date="-1y", end_date="+3M", tzinfo=PARIS)
    lieu = "Maison de l'Information, de la Formation et de l'Emploi, Belfort"
    compte_rendu = ""


class ConvocationJuryFactory(DjangoModelFactory):
    class Meta:
        model = ConvocationJury

    session = factory.SubFactory(SessionJuryFactory)
    membre = factory.SubFactory(MembreJuryFactory)
    invite_le = factory.LazyAttribute(lambda o: o.session.date - dt.timedelta(days=21))
    present = None


class PassageJuryFactory(DjangoModelFactory):
    class Meta:
        model = PassageJury

    session = factory.SubFactory(SessionJuryFactory)
    dossier = factory.SubFactory(DossierLabelFactory, statut=StatutDossier.INSCRIT)
    ordre = factory.Sequence(lambda n: n % 10 + 1)
    decision = ""
    motivation = ""


class AvisMembreFactory(DjangoModelFactory):
    class Meta:
        model = AvisMembre

    passage = factory.SubFactory(PassageJuryFactory)
    membre = factory.SubFactory(MembreJuryFactory)
    avis = Avis.FAVORABLE
    commentaire = ""


class LabelFactory(DjangoModelFactory):
    class Meta:
        model = Label

    dossier = factory.SubFactory(DossierLabelFactory, statut=StatutDossier.LABELLISE)
    entreprise = factory.SelfAttribute("dossier.entreprise")
    numero = factory.Sequence(lambda n: f"EMP-TEST-{n:04d}")
    code_verification = factory.LazyFunction(lambda: secrets.token_urlsafe(12))
    date_obtention = fr("date_between", start_date="-2y", end_date="today")
    date_expiration = factory.LazyAttribute(
        lambda o: plus_annees(o.date_obtention, DUREE_LABEL_ANNEES)
    )


class EvenementAnimationFactory(DjangoModelFactory):
    class Meta:
        model = EvenementAnimation

    titre = factory.Iterator(
        ["Petit-déjeuner du réseau Empl'itudes", "Visite de chantier", "Forum de l'alternance"]
    )
    theme = "Recrutement inclusif"
    date = fr("date_time_between", start_date="-1y", end_date="+3M", tzinfo=PARIS)
    lieu = "Belfort"
    description = fr("sentence")


class ParticipationEvenementFactory(DjangoModelFactory):
    class Meta:
        model = ParticipationEvenement

    evenement = factory.SubFactory(EvenementAnimationFactory)
    entreprise = factory.SubFactory(EntrepriseFactory)
    nombre_personnes = 2
    present = True


class DiagnosticEligibiliteFactory(DjangoModelFactory):
    class Meta:
        model = DiagnosticEligibilite

    entreprise = factory.SubFactory(EntrepriseFactory)
    date = fr("date_between", start_date="-3M", end_date="today")
    implantee_territoire = True
    engagements = True
    effectif = 25
    label_precedent = "Aucun label"
    eligible = True
    motifs = ""
    commentaire = ""


class JournalDossierFactory(DjangoModelFactory):
    class Meta:
        model = JournalDossier

    dossier = factory.SubFactory(DossierLabelFactory)
    nature = NatureJournal.TRANSITION
    statut_avant = StatutDossier.EN_PREPARATION
    statut_apres = StatutDossier.DEPOSE
    description = "Dossier déposé"
    commentaire = ""


class LienEntrepriseFactory(DjangoModelFactory):
    """A company contact's link (the token itself is not kept: only its fingerprint)."""

    class Meta:
        model = LienEntreprise

    dossier = factory.SubFactory(DossierLabelFactory)
    contact = factory.SubFactory(
        ContactFactory, entreprise=factory.SelfAttribute("..dossier.entreprise")
    )
    empreinte = factory.LazyFunction(lambda: secrets.token_hex(32))
    cree_le = factory.LazyFunction(timezone.now)
    expire_le = factory.LazyAttribute(lambda o: o.cree_le + dt.timedelta(days=30))


class EchangeFactory(DjangoModelFactory):
    """An exchange with a lot's titulaire last week, with a next action due in a week."""

    class Meta:
        model = Echange

    lot = factory.SubFactory(LotFactory)
    entreprise = factory.SelfAttribute("lot.titulaire")
    type = TypeEchange.RENDEZ_VOUS
    date = factory.LazyFunction(lambda: dt.date.today() - dt.timedelta(days=7))
    auteur = factory.SubFactory(UserFactory)
    note = "Point sur les recrutements prévus ; deux postes de manœuvre à pourvoir."
    prochaine_action = "Envoyer deux candidatures"
    echeance = factory.LazyAttribute(lambda o: o.date + dt.timedelta(days=14))
    action_faite_le = None


class BesoinRecrutementFactory(DjangoModelFactory):
    class Meta:
        model = BesoinRecrutement

    lot = factory.SubFactory(LotFactory)
    entreprise = factory.SelfAttribute("lot.titulaire")
    poste = factory.Iterator(["Maçon", "Manœuvre", "Peintre", "Aide électricien"])
    nombre_postes = 1
    date_debut = factory.LazyAttribute(
        lambda o: (o.lot.date_debut or dt.date(2025, 1, 1)) + dt.timedelta(days=30)
    )
    date_fin = factory.LazyAttribute(lambda o: o.date_debut + dt.timedelta(days=120))
    modalite = Modalite.EMBAUCHE_CDD
    type_contrat = TypeContrat.CDD
    commune = "Belfort"
    exigences = "Permis B apprécié."


class PropositionFactory(DjangoModelFactory):
    class Meta:
        model = Proposition

    besoin = factory.SubFactory(BesoinRecrutementFactory)
    participant = factory.SubFactory(ParticipantFactory)
    statut = StatutProposition.PROPOSE
    date_proposition = factory.LazyFunction(timezone.localdate)


class RelanceFactory(DjangoModelFactory):
    """A reminder sent to a lot's titulaire for a month of the lot."""

    class Meta:
        model = Relance

    lot = factory.SubFactory(LotFactory)
    entreprise = factory.SelfAttribute("lot.titulaire")
    mois = factory.LazyAttribute(
        lambda o: premier_jour((o.lot.date_debut or dt.date(2024, 1, 1)) + dt.timedelta(days=62))
    )
    destinataires = factory.LazyAttribute(lambda o: o.entreprise.email)
    sujet = "Déclaration des heures d'insertion"
    corps = "Bonjour, merci de nous transmettre vos heures du mois."
    statut = "envoyee"
    erreur = ""


#: Every factory, with its model (used by tests/test_factories.py).
# --- Repérage des marchés (DECP) ------------------------------------------------------------


class FamilleCPVFactory(DjangoModelFactory):
    class Meta:
        model = FamilleCPV
        django_get_or_create = ("prefixe",)

    prefixe = factory.Sequence(lambda n: f"{10 + n % 90}{n:04d}")
    libelle = "Famille de test"


class SeuilsQualificationFactory(DjangoModelFactory):
    class Meta:
        model = SeuilsQualification
        django_get_or_create = ("id",)

    id = 1


class RapportImportFactory(DjangoModelFactory):
    class Meta:
        model = RapportImport

    origine = "commande import_decp : decp.json"
    schema = "2.0"
    nb_enregistrements = 3
    nb_importes = 2
    nb_ecartes = 1
    ecartes = factory.LazyFunction(
        lambda: [{"rang": 2, "id": "X", "champ": "nature", "motif": "inconnue", "genre": "n"}]
    )


class ModificationMarcheFactory(DjangoModelFactory):
    class Meta:
        model = ModificationMarche

    marche = factory.SubFactory(MarcheFactory)
    rang = factory.Sequence(lambda n: n + 1)
    montant_avant = Decimal("100000")
    montant_ht = Decimal("110000")
    duree_avant = 12
    duree_mois = 14


class ActeSousTraitanceFactory(DjangoModelFactory):
    class Meta:
        model = ActeSousTraitance

    marche = factory.SubFactory(MarcheFactory)
    sous_traitant = factory.SubFactory(EntrepriseFactory)
    montant_ht = Decimal("20000")
    date_notification = dt.date(2025, 3, 1)


class TacheImportDecpFactory(DjangoModelFactory):
    class Meta:
        model = TacheImportDecp

    etape = TacheImportDecp.APERCU
    nom = "decp.json"
    chemin = "imports/decp/0.json"
    jeton = "0" * 32


class SourceVeilleFactory(DjangoModelFactory):
    class Meta:
        model = SourceVeille

    nom = factory.Sequence(lambda n: f"Source {n}")
    url = "https://127.0.0.1/decp.json"


TOUTES = [
    TotalHeuresMoisFactory,
    TotalHeuresLotFactory,
    RelanceFactory,
    BesoinRecrutementFactory,
    PropositionFactory,
    ModeleClauseFactory,
    UserFactory,
    ParametresFactory,
    EntrepriseFactory,
    ContactFactory,
    DonneurOrdreFactory,
    OperationFactory,
    MarcheFactory,
    LotFactory,
    ReferenceCalculFactory,
    ClauseFactory,
    EchangeFactory,
    PrescripteurFactory,
    CritereEligibiliteFactory,
    ParticipantFactory,
    CritereParticipantFactory,
    MissionFactory,
    DeclarationMensuelleFactory,
    LigneDeclarationFactory,
    CompteurNumeroFactory,
    AttestationFactory,
    GenerationAttestationsFactory,
    DemandeBilanFactory,
    RapportDonneurFactory,
    DossierLabelFactory,
    ActionLabelFactory,
    PieceJointeFactory,
    MembreJuryFactory,
    SessionJuryFactory,
    ConvocationJuryFactory,
    PassageJuryFactory,
    AvisMembreFactory,
    LabelFactory,
    EvenementAnimationFactory,
    ParticipationEvenementFactory,
    FamilleCPVFactory,
    SeuilsQualificationFactory,
    RapportImportFactory,
    ModificationMarcheFactory,
    ActeSousTraitanceFactory,
    TacheImportDecpFactory,
    SourceVeilleFactory,
    DiagnosticEligibiliteFactory,
    JournalDossierFactory,
    LienEntrepriseFactory,
]
