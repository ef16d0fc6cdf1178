"""Database constraints, model validation, roles and optimistic locking.

Every constraint declared in a model's ``Meta.constraints`` has a case below: the database
must refuse the bad row (``IntegrityError``) and accept the good one. A test checks that no
constraint is left without a case.
"""

import datetime as dt
from decimal import Decimal

import factory
import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import CheckConstraint, UniqueConstraint

from entreprises.models import TypeIdentifiant
from heures.models import (
    CompteurNumero,
    CritereEligibilite,
    Proposition,
    Sortie,
    StatutDeclaration,
    StatutProposition,
    TypeAttestation,
)
from label.models import Axe, LienEntreprise, StatutDossier, ThemeSalaries
from marches import cpv
from marches.models import Clause, Lot, Marche, NatureMarche, ReferenceCalcul
from mife import roles
from mife.core.concurrence import ConflitDeVersion, enregistrer_versionne
from mife.core.models import Parametres
from mife.core.mois import ajouter_mois
from tests import factories as f

APPS_DU_DOMAINE = ("mife", "entreprises", "marches", "heures", "label")
JOUR = dt.date(2024, 3, 1)


def _contraintes_declarees() -> dict[str, tuple[type, object]]:
    trouvees = {}
    for label in APPS_DU_DOMAINE:
        for model in apps.get_app_config(label).get_models():
            for contrainte in model._meta.constraints:
                trouvees[contrainte.name] = (model, contrainte)
    return trouvees


CONTRAINTES = _contraintes_declarees()

# --- one case per constraint -----------------------------------------------------------------
#
# A case prepares what it needs, then returns two callables: ``accepte`` writes a row the
# constraint allows, ``refuse`` writes the row it forbids. Each is run in its own test.

CAS = {}


def cas(nom):
    def enregistrer(fonction):
        CAS[nom] = fonction
        return fonction

    return enregistrer


@cas("parametres_ligne_unique")
def _parametres_ligne_unique():
    def accepte():
        Parametres.get().save()
        assert Parametres.objects.count() == 1

    # save() forces pk = 1: bulk_create goes around it, as a raw insert would.
    return accepte, lambda: Parametres.objects.bulk_create([Parametres(pk=2)])


@cas("parametres_diviseur_etp_positif")
def _parametres_diviseur_etp_positif():
    parametres = Parametres.get()

    def ecrire(valeur):
        Parametres.objects.filter(pk=parametres.pk).update(diviseur_etp=valeur)

    return lambda: ecrire(Decimal("1600")), lambda: ecrire(Decimal("0"))


@cas("entreprise_identifiant_unique")
def _entreprise_identifiant_unique():
    existante = f.EntrepriseFactory()
    return (
        lambda: f.EntrepriseFactory(
            type_identifiant=TypeIdentifiant.TVA, identifiant=existante.identifiant
        ),
        lambda: f.EntrepriseFactory(identifiant=existante.identifiant),
    )


@cas("entreprise_identifiant_non_vide")
def _entreprise_identifiant_non_vide():
    return f.EntrepriseFactory, lambda: f.EntrepriseFactory(identifiant="")


@cas("contact_un_seul_principal")
def _contact_un_seul_principal():
    entreprise = f.EntrepriseFactory()
    f.ContactFactory(entreprise=entreprise, principal=True)

    def accepte():
        f.ContactFactory(entreprise=entreprise, principal=False)
        f.ContactFactory(entreprise=entreprise, principal=False)
        f.ContactFactory(principal=True)  # the principal contact of another company

    return accepte, lambda: f.ContactFactory(entreprise=entreprise, principal=True)


@cas("donneurordre_siret_unique")
def _donneurordre_siret_unique():
    existant = f.DonneurOrdreFactory()

    def accepte():  # several buyers without SIRET
        f.DonneurOrdreFactory(siret="")
        f.DonneurOrdreFactory(siret="")

    return accepte, lambda: f.DonneurOrdreFactory(siret=existant.siret)


@cas("operation_fin_apres_debut")
def _operation_fin_apres_debut():
    def accepte():
        f.OperationFactory(date_debut=JOUR, date_fin=JOUR)
        f.OperationFactory(date_debut=JOUR, date_fin=None)
        f.OperationFactory(date_debut=None, date_fin=JOUR)

    return accepte, lambda: f.OperationFactory(
        date_debut=JOUR, date_fin=JOUR - dt.timedelta(days=1)
    )


@cas("marche_reference_unique_par_acheteur")
def _marche_reference_unique_par_acheteur():
    existant = f.MarcheFactory(reference="2024-001")
    return (
        lambda: f.MarcheFactory(reference="2024-001"),  # same reference, another buyer
        lambda: f.MarcheFactory(reference="2024-001", donneur_ordre=existant.donneur_ordre),
    )


@cas("marche_decp_id_unique_par_acheteur")
def _marche_decp_id_unique_par_acheteur():
    acheteur = f.DonneurOrdreFactory()
    f.MarcheFactory(donneur_ordre=acheteur, decp_id="21900010600016202401")

    def accepte():
        # Two contracts of the same buyer without DECP identifier are allowed…
        f.MarcheFactory(donneur_ordre=acheteur, decp_id="")
        f.MarcheFactory(donneur_ordre=acheteur, decp_id="")
        # … and so is the same identifier at another buyer.
        f.MarcheFactory(decp_id="21900010600016202401")

    return accepte, lambda: f.MarcheFactory(donneur_ordre=acheteur, decp_id="21900010600016202401")


@cas("modification_rang_unique")
def _modification_rang_unique():
    existante = f.ModificationMarcheFactory(rang=1)

    def accepte():
        f.ModificationMarcheFactory(marche=existante.marche, rang=2)
        f.ModificationMarcheFactory(rang=1)  # same rank, another contract

    return accepte, lambda: f.ModificationMarcheFactory(marche=existante.marche, rang=1)


@cas("marche_montant_positif")
def _marche_montant_positif():
    def accepte():
        f.MarcheFactory(montant_ht=Decimal("0"))
        f.MarcheFactory(montant_ht=None)

    return accepte, lambda: f.MarcheFactory(montant_ht=Decimal("-0.01"))


@cas("lot_numero_unique_par_marche")
def _lot_numero_unique_par_marche():
    lot = f.LotFactory(numero="1")
    return (
        lambda: f.LotFactory(marche=lot.marche, numero="2"),
        lambda: f.LotFactory(marche=lot.marche, numero="1"),
    )


@cas("lot_montant_positif")
def _lot_montant_positif():
    return lambda: f.LotFactory(montant_ht=None), lambda: f.LotFactory(montant_ht=Decimal("-1"))


@cas("lot_fin_apres_debut")
def _lot_fin_apres_debut():
    marche = f.MarcheFactory(date_notification=JOUR)
    return (
        lambda: f.LotFactory(marche=marche, date_debut=JOUR, date_fin=JOUR),
        lambda: f.LotFactory(marche=marche, date_debut=JOUR, date_fin=JOUR - dt.timedelta(1)),
    )


@cas("referencecalcul_valeurs_valides")
def _referencecalcul_valeurs_valides():
    reference = ReferenceCalcul.objects.get(nature=NatureMarche.TRAVAUX)

    def ecrire(**valeurs):
        for champ, valeur in valeurs.items():
            setattr(reference, champ, Decimal(valeur))
        reference.save()

    return (
        lambda: ecrire(part_main_oeuvre="100", taux_insertion="0", cout_horaire="0.01"),
        lambda: ecrire(cout_horaire="0"),
    )


@cas("clause_heures_positives")
def _clause_heures_positives():
    return (
        lambda: f.ClauseFactory(heures_calculees=Decimal("0"), heures_requises=Decimal("0")),
        lambda: f.ClauseFactory(heures_requises=Decimal("-1")),
    )


@cas("clause_pourcentages_valides")
def _clause_pourcentages_valides():
    return (
        lambda: f.ClauseFactory(part_main_oeuvre=None, taux_insertion=Decimal("100")),
        lambda: f.ClauseFactory(taux_insertion=Decimal("100.01")),
    )


@cas("prescripteur_nom_unique")
def _prescripteur_nom_unique():
    f.PrescripteurFactory(nom="Mission Locale de Belfort")
    return (
        lambda: f.PrescripteurFactory(nom="Mission Locale du Sud Territoire"),
        lambda: f.PrescripteurFactory(nom="Mission Locale de Belfort"),
    )


@cas("critereparticipant_unique")
def _critereparticipant_unique():
    existant = f.CritereParticipantFactory(date_validation=JOUR)

    def creer(jour):
        f.CritereParticipantFactory(
            participant=existant.participant, critere=existant.critere, date_validation=jour
        )

    return lambda: creer(JOUR + dt.timedelta(days=365)), lambda: creer(JOUR)


@cas("critereparticipant_fin_apres_validation")
def _critereparticipant_fin_apres_validation():
    return (
        lambda: f.CritereParticipantFactory(date_validation=JOUR, date_fin_validite=None),
        lambda: f.CritereParticipantFactory(
            date_validation=JOUR, date_fin_validite=JOUR - dt.timedelta(days=1)
        ),
    )


@cas("mission_fin_apres_debut")
def _mission_fin_apres_debut():
    lot = f.LotFactory()
    debut = lot.date_debut + dt.timedelta(days=10)
    return (
        lambda: f.MissionFactory(lot=lot, date_debut=debut, date_fin=debut),
        lambda: f.MissionFactory(lot=lot, date_debut=debut, date_fin=debut - dt.timedelta(1)),
    )


@cas("mission_sortie_exige_fin")
def _mission_sortie_exige_fin():
    return (
        lambda: f.MissionFactory(sortie=Sortie.FORMATION_QUALIFIANTE),
        lambda: f.MissionFactory(sortie=Sortie.EMPLOI_DURABLE, date_fin=None),
    )


@cas("mission_heures_prevues_positives")
def _mission_heures_prevues_positives():
    return (
        lambda: f.MissionFactory(heures_prevues=None),
        lambda: f.MissionFactory(heures_prevues=Decimal("-35")),
    )


@cas("declaration_une_en_cours_par_entreprise_lot_mois")
def _declaration_une_en_cours():
    brouillon = f.DeclarationMensuelleFactory(statut=StatutDeclaration.BROUILLON)

    def deuxieme(statut):
        return f.DeclarationMensuelleFactory(
            lot=brouillon.lot, mois=brouillon.mois, numero_version=2, statut=statut
        )

    def accepte():
        # A validated version may coexist with the draft (it is what a correction does).
        deuxieme(StatutDeclaration.VALIDEE)

    return accepte, lambda: deuxieme(StatutDeclaration.SOUMISE)


@cas("declaration_une_validee_par_entreprise_lot_mois")
def _declaration_une_validee():
    premiere = f.DeclarationMensuelleFactory(statut=StatutDeclaration.VALIDEE)

    def nouvelle_version(statut, remplace=None):
        return f.DeclarationMensuelleFactory(
            lot=premiere.lot, mois=premiere.mois, numero_version=2, statut=statut, remplace=remplace
        )

    def accepte():
        # The correction validated: the old version is replaced, the new one counts.
        premiere.statut = StatutDeclaration.REMPLACEE
        premiere.save()
        nouvelle_version(StatutDeclaration.VALIDEE, remplace=premiere)

    return accepte, lambda: nouvelle_version(StatutDeclaration.VALIDEE)


@cas("declaration_version_unique")
def _declaration_version_unique():
    remplacee = f.DeclarationMensuelleFactory(statut=StatutDeclaration.REMPLACEE)

    def creer(numero_version):
        f.DeclarationMensuelleFactory(
            lot=remplacee.lot,
            mois=remplacee.mois,
            numero_version=numero_version,
            statut=StatutDeclaration.REMPLACEE,
        )

    return lambda: creer(2), lambda: creer(1)


@cas("total_mois_unique")
def _total_mois_unique():
    existant = f.TotalHeuresMoisFactory()

    def creer(mois):
        f.TotalHeuresMoisFactory(lot=existant.lot, entreprise=existant.entreprise, mois=mois)

    return lambda: creer(dt.date(2026, 4, 1)), lambda: creer(existant.mois)


@cas("declaration_mois_premier_jour")
def _declaration_mois_premier_jour():
    lot = f.LotFactory()
    premier = ajouter_mois(lot.date_debut, 2)
    return (
        lambda: f.DeclarationMensuelleFactory(lot=lot, mois=premier),
        lambda: f.DeclarationMensuelleFactory(lot=lot, mois=premier.replace(day=15)),
    )


@cas("relance_mois_premier_jour")
def _relance_mois_premier_jour():
    lot = f.LotFactory()
    premier = (lot.date_debut + dt.timedelta(days=62)).replace(day=1)
    return (
        lambda: f.RelanceFactory(lot=lot, mois=premier),
        lambda: f.RelanceFactory(lot=lot, mois=premier.replace(day=15)),
    )


@cas("declaration_rejet_motive")
def _declaration_rejet_motive():
    return (
        lambda: f.DeclarationMensuelleFactory(
            statut=StatutDeclaration.REJETEE, motif_rejet="Heures de mars manquantes."
        ),
        lambda: f.DeclarationMensuelleFactory(statut=StatutDeclaration.REJETEE, motif_rejet=""),
    )


@cas("ligne_une_par_mission")
def _ligne_une_par_mission():
    ligne = f.LigneDeclarationFactory()

    def accepte():  # same mission, another month
        declaration = f.DeclarationMensuelleFactory(
            lot=ligne.declaration.lot,
            mois=ajouter_mois(ligne.declaration.mois, 1),
        )
        f.LigneDeclarationFactory(declaration=declaration, mission=ligne.mission)

    return accepte, lambda: f.LigneDeclarationFactory(
        declaration=ligne.declaration, mission=ligne.mission
    )


@cas("ligne_heures_positives")
def _ligne_heures_positives():
    return (
        lambda: f.LigneDeclarationFactory(heures=Decimal("0")),
        lambda: f.LigneDeclarationFactory(heures=Decimal("-7")),
    )


@cas("attestation_mensuelle_a_une_declaration")
def _attestation_mensuelle_a_une_declaration():
    declaration = f.DeclarationMensuelleFactory(validee=True)

    def accepte():
        f.AttestationFactory(declaration=declaration)
        f.AttestationFactory(realisation=True)  # no declaration nor month needed

    def refuse():
        f.AttestationFactory(
            type=TypeAttestation.MENSUELLE,
            declaration=None,
            lot=declaration.lot,
            entreprise=declaration.entreprise,
            mois=declaration.mois,
        )

    return accepte, refuse


@cas("attestation_heures_positives")
def _attestation_heures_positives():
    return (
        lambda: f.AttestationFactory(total_heures=Decimal("0"), cumul_heures=Decimal("0")),
        lambda: f.AttestationFactory(cumul_heures=Decimal("-1")),
    )


@cas("generation_mois_premier_jour")
def _generation_mois_premier_jour():
    return (
        lambda: f.GenerationAttestationsFactory(mois=dt.date(2026, 3, 1)),
        lambda: f.GenerationAttestationsFactory(mois=dt.date(2026, 3, 15)),
    )


@cas("generation_faites_au_plus_total")
def _generation_faites_au_plus_total():
    def creer(faites, total):
        f.GenerationAttestationsFactory(faites=faites, total=total)

    return (
        lambda: (creer(3, 3), creer(0, 0)),
        lambda: creer(4, 3),
    )


@cas("dossierlabel_un_par_entreprise_et_annee")
def _dossierlabel_un_par_entreprise_et_annee():
    dossier = f.DossierLabelFactory(annee=2024, statut=StatutDossier.REFUSE)
    return (
        lambda: f.DossierLabelFactory(entreprise=dossier.entreprise, annee=2027),
        lambda: f.DossierLabelFactory(
            entreprise=dossier.entreprise, annee=2024, statut=StatutDossier.REFUSE
        ),
    )


@cas("dossierlabel_un_seul_en_cours")
def _dossierlabel_un_seul_en_cours():
    dossier = f.DossierLabelFactory(annee=2024, statut=StatutDossier.DEPOSE)

    def accepte():
        for annee, statut in ((2020, StatutDossier.LABELLISE), (2023, StatutDossier.REFUSE)):
            f.DossierLabelFactory(entreprise=dossier.entreprise, annee=annee, statut=statut)

    return accepte, lambda: f.DossierLabelFactory(
        entreprise=dossier.entreprise, annee=2025, statut=StatutDossier.AJOURNE
    )


@cas("actionlabel_fin_apres_debut")
def _actionlabel_fin_apres_debut():
    def accepte():
        f.ActionLabelFactory(date_debut=JOUR, date_fin=JOUR)
        f.ActionLabelFactory(date_debut=None, date_fin=JOUR)

    return accepte, lambda: f.ActionLabelFactory(
        date_debut=JOUR, date_fin=JOUR - dt.timedelta(days=1)
    )


@cas("actionlabel_heures_positives")
def _actionlabel_heures_positives():
    return (
        lambda: f.ActionLabelFactory(heures=Decimal("12.5")),
        lambda: f.ActionLabelFactory(heures=Decimal("-1")),
    )


@cas("label_numero_unique")
def _label_numero_unique():
    label = f.LabelFactory()

    def accepte():
        f.LabelFactory(numero="")
        f.LabelFactory(numero="")

    return accepte, lambda: f.LabelFactory(numero=label.numero)


@cas("label_code_verification_unique")
def _label_code_verification_unique():
    label = f.LabelFactory()

    def accepte():
        f.LabelFactory(code_verification="")
        f.LabelFactory(code_verification="")

    return accepte, lambda: f.LabelFactory(code_verification=label.code_verification)


@cas("sessionjury_duree_passage_min")
def _sessionjury_duree_passage_min():
    return (
        lambda: f.SessionJuryFactory(duree_passage=5),
        lambda: f.SessionJuryFactory(duree_passage=4),
    )


@cas("lienentreprise_expire_apres_creation")
def _lienentreprise_expire_apres_creation():
    dossier = f.DossierLabelFactory()
    contact = f.ContactFactory(entreprise=dossier.entreprise)
    instant = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)

    def creer(empreinte, jours):
        LienEntreprise.objects.create(
            dossier=dossier,
            contact=contact,
            empreinte=empreinte,
            cree_le=instant,
            expire_le=instant + dt.timedelta(days=jours),
        )

    return lambda: creer("a" * 64, 30), lambda: creer("b" * 64, 0)


@cas("actionlabel_theme_seulement_axe_salaries")
def _actionlabel_theme_seulement_axe_salaries():
    def accepte():
        f.ActionLabelFactory(axe=Axe.SALARIES, theme=ThemeSalaries.EQUILIBRE)
        f.ActionLabelFactory(axe=Axe.SCOLAIRES, theme="")

    return accepte, lambda: f.ActionLabelFactory(axe=Axe.SCOLAIRES, theme=ThemeSalaries.TUTORAT)


@cas("convocation_unique")
def _convocation_unique():
    convocation = f.ConvocationJuryFactory()
    return (
        lambda: f.ConvocationJuryFactory(session=convocation.session),
        lambda: f.ConvocationJuryFactory(session=convocation.session, membre=convocation.membre),
    )


@cas("passage_unique")
def _passage_unique():
    passage = f.PassageJuryFactory()
    return (
        lambda: f.PassageJuryFactory(dossier=passage.dossier),  # same dossier, next session
        lambda: f.PassageJuryFactory(session=passage.session, dossier=passage.dossier),
    )


@cas("avis_unique_par_membre")
def _avis_unique_par_membre():
    avis = f.AvisMembreFactory()
    return (
        lambda: f.AvisMembreFactory(passage=avis.passage),
        lambda: f.AvisMembreFactory(passage=avis.passage, membre=avis.membre),
    )


@cas("label_expiration_apres_obtention")
def _label_expiration_apres_obtention():
    return (
        lambda: f.LabelFactory(date_obtention=JOUR, date_expiration=JOUR + dt.timedelta(1)),
        lambda: f.LabelFactory(date_obtention=JOUR, date_expiration=JOUR),
    )


@cas("participation_evenement_unique")
def _participation_evenement_unique():
    participation = f.ParticipationEvenementFactory()
    return (
        lambda: f.ParticipationEvenementFactory(evenement=participation.evenement),
        lambda: f.ParticipationEvenementFactory(
            evenement=participation.evenement, entreprise=participation.entreprise
        ),
    )


def _verifier_message(erreur: IntegrityError, nom: str) -> None:
    """The error comes from this very constraint, not from some other failure."""
    message = str(erreur)
    model, contrainte = CONTRAINTES[nom]
    if connection.vendor == "sqlite" and isinstance(contrainte, UniqueConstraint):
        # SQLite names the columns of a failed unique index, not the index.
        table = model._meta.db_table
        colonnes = [model._meta.get_field(champ).column for champ in contrainte.fields]
        assert "UNIQUE constraint failed" in message
        for colonne in colonnes:
            assert f"{table}.{colonne}" in message, message
    else:
        assert nom in message, message


@cas("besoin_au_moins_un_poste")
def _besoin_au_moins_un_poste():
    return (
        lambda: f.BesoinRecrutementFactory(nombre_postes=1),
        lambda: f.BesoinRecrutementFactory(nombre_postes=0),
    )


@cas("besoin_fin_apres_debut")
def _besoin_fin_apres_debut():
    def creer(jours):
        f.BesoinRecrutementFactory(
            date_fin=factory.LazyAttribute(lambda o: o.date_debut + dt.timedelta(days=jours))
        )

    return lambda: creer(0), lambda: creer(-1)


@cas("proposition_une_par_participant")
def _proposition_une_par_participant():
    premiere = f.PropositionFactory()
    return (
        lambda: f.PropositionFactory(participant=premiere.participant),
        lambda: f.PropositionFactory(besoin=premiere.besoin, participant=premiere.participant),
    )


@cas("proposition_mission_si_retenue")
def _proposition_mission_si_retenue():
    proposition = f.PropositionFactory()
    mission = f.MissionFactory(participant=proposition.participant)

    def lier(statut):
        Proposition.objects.filter(pk=proposition.pk).update(mission=mission, statut=statut)

    return lambda: lier(StatutProposition.RETENU), lambda: lier(StatutProposition.PROPOSE)


@cas("echange_echeance_apres_date")
def _echange_echeance_apres_date():
    def creer(jours):
        f.EchangeFactory(
            echeance=factory.LazyAttribute(lambda o: o.date + dt.timedelta(days=jours))
        )

    return lambda: creer(0), lambda: creer(-1)


@cas("echange_action_et_echeance")
def _echange_action_et_echeance():
    return (
        lambda: f.EchangeFactory(prochaine_action="", echeance=None),
        lambda: f.EchangeFactory(prochaine_action="Rappeler", echeance=None),
    )


@cas("echange_action_faite_exige_action")
def _echange_action_faite_exige_action():
    return (
        lambda: f.EchangeFactory(action_faite_le=dt.date.today()),
        lambda: f.EchangeFactory(
            prochaine_action="", echeance=None, action_faite_le=dt.date.today()
        ),
    )


@cas("demandebilan_progression_max")
def _demandebilan_progression_max():
    return (
        lambda: f.DemandeBilanFactory(progression=100),
        lambda: f.DemandeBilanFactory(progression=101),
    )


@cas("rapport_marche_ou_operation")
def _rapport_marche_ou_operation():
    return (
        lambda: f.RapportDonneurFactory(),
        lambda: f.RapportDonneurFactory(marche=None, donneur_ordre=f.DonneurOrdreFactory()),
    )


@cas("rapport_fin_apres_debut")
def _rapport_fin_apres_debut():
    return (
        lambda: f.RapportDonneurFactory(fin=dt.date(2025, 3, 1)),
        lambda: f.RapportDonneurFactory(fin=dt.date(2025, 2, 28)),
    )


def test_toutes_les_contraintes_ont_un_cas():
    assert set(CONTRAINTES) - set(CAS) == set()
    assert set(CAS) - set(CONTRAINTES) == set()
    assert all(isinstance(c, CheckConstraint | UniqueConstraint) for _, c in CONTRAINTES.values())


@pytest.mark.django_db
@pytest.mark.parametrize("nom", sorted(CAS))
def test_la_base_refuse_la_ligne_interdite(nom):
    _, refuse = CAS[nom]()
    with pytest.raises(IntegrityError) as erreur, transaction.atomic():
        refuse()
    _verifier_message(erreur.value, nom)


@pytest.mark.django_db
@pytest.mark.parametrize("nom", sorted(CAS))
def test_la_base_accepte_la_ligne_permise(nom):
    accepte, _ = CAS[nom]()
    with transaction.atomic():
        accepte()


# --- unique fields (unique=True, outside Meta.constraints) -------------------------------------


def _doublon_mission():
    f.MissionFactory(reference=f.MissionFactory().reference)


def _doublon_numero_attestation():
    f.AttestationFactory(numero=f.AttestationFactory().numero)


def _doublon_code_attestation():
    f.AttestationFactory(code_verification=f.AttestationFactory().code_verification)


def _doublon_compteur():
    CompteurNumero.objects.create(prefixe=f.CompteurNumeroFactory().prefixe)


def _doublon_reference_calcul():
    ReferenceCalcul.objects.create(
        nature=NatureMarche.SERVICES,
        part_main_oeuvre=Decimal("60"),
        taux_insertion=Decimal("5"),
        cout_horaire=Decimal("28"),
    )


def _doublon_critere():
    CritereEligibilite.objects.create(code="rqth", libelle="Doublon")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "doublon",
    [
        _doublon_mission,
        _doublon_numero_attestation,
        _doublon_code_attestation,
        _doublon_compteur,
        _doublon_reference_calcul,
        _doublon_critere,
    ],
    ids=lambda fonction: fonction.__name__.removeprefix("_doublon_"),
)
def test_champs_uniques(doublon):
    with pytest.raises(IntegrityError), transaction.atomic():
        doublon()


@pytest.mark.django_db
def test_donnees_de_reference_chargees():
    assert set(ReferenceCalcul.objects.values_list("nature", flat=True)) == set(NatureMarche.values)
    assert CritereEligibilite.objects.filter(code="rqth", sensible=True).exists()
    assert Parametres.objects.filter(pk=1).exists()


# --- model validation (clean) ----------------------------------------------------------------


def _erreurs(instance, **kwargs) -> dict:
    with pytest.raises(ValidationError) as erreur:
        instance.full_clean(**kwargs)
    return erreur.value.message_dict


@pytest.mark.django_db
def test_siret_avec_mauvaise_cle_refuse():
    valide = f.siret(42)
    mauvaise_cle = valide[:-1] + str((int(valide[-1]) + 1) % 10)
    entreprise = f.EntrepriseFactory.build(identifiant=mauvaise_cle)
    assert "identifiant" in _erreurs(entreprise)


@pytest.mark.django_db
@pytest.mark.parametrize("valeur", ["1234567890123", "abcdefghijklmn", ""])
def test_siret_mal_forme_refuse(valeur):
    entreprise = f.EntrepriseFactory.build(identifiant=valeur)
    assert "identifiant" in _erreurs(entreprise)


@pytest.mark.django_db
def test_siret_normalise_et_autres_identifiants_libres():
    valide = f.siret(7)
    entreprise = f.EntrepriseFactory.build(
        identifiant=f"{valide[:3]} {valide[3:6]} {valide[6:9]} {valide[9:]}"
    )
    entreprise.full_clean()
    assert entreprise.identifiant == valide
    f.EntrepriseFactory.build(type_identifiant=TypeIdentifiant.TVA, identifiant="BE0123").clean()


def test_cpv_valider():
    assert cpv.valider("45000000-7") == "45000000-7"
    assert cpv.valider(" 71000000-8 ") == "71000000-8"
    # Without its key, the code stays eight digits: the key is not invented.
    assert cpv.valider("45000000") == "45000000"
    # Official codes the usual formula misses are accepted as they are.
    for officiel in ("09310000-5", "09134200-9", "35125300-2", "72400000-4", "72267100-0"):
        assert cpv.valider(officiel) == officiel
    for mauvais in ("4500", "", "45000000-77", "4500000A-7", "45 000-7"):
        with pytest.raises(cpv.CodeCPVInvalide, match="8 chiffres"):
            cpv.valider(mauvais)


def test_cpv_cle_usuelle():
    for officiel in ("45000000-7", "71000000-8", "80000000-4", "45233223-8", "03121100-6"):
        assert cpv.cle_usuelle(officiel[:8]) == officiel[-1]
    assert cpv.cle_usuelle("09310000") != "5"  # the formula is not the official list


@pytest.mark.django_db
def test_marche_clean_cpv():
    marche = f.MarcheFactory.build(code_cpv="4500000", operation=None)
    erreurs = _erreurs(marche, validate_unique=False, validate_constraints=False)
    assert "Code CPV invalide : 8 chiffres attendus" in erreurs["code_cpv"][0]
    marche.code_cpv = " 72400000-4 "
    marche.clean()
    assert marche.code_cpv == "72400000-4"


@pytest.mark.django_db
def test_marche_clean_operation_d_un_autre_acheteur():
    marche = f.MarcheFactory.build(
        donneur_ordre=f.DonneurOrdreFactory(), operation=f.OperationFactory()
    )
    assert "operation" in _erreurs(marche, validate_unique=False)


@pytest.mark.django_db
def test_lot_clean_dates():
    lot = f.LotFactory()
    lot.date_fin = lot.date_debut - dt.timedelta(days=1)
    assert "date_fin" in _erreurs(lot, validate_constraints=False)
    lot.date_fin = lot.date_debut
    lot.full_clean()
    lot.date_debut = lot.marche.date_notification - dt.timedelta(days=1)
    assert "date_debut" in _erreurs(lot)


def test_clause_calculer_heures():
    assert Clause.calculer_heures(1_000_000, 50, 5, 30) == 833
    assert Clause.calculer_heures(Decimal("1000000"), Decimal("50"), 5, 30) == Decimal("833")
    assert Clause.calculer_heures(None, 50, 5, 30) == 0
    assert Clause.calculer_heures(1_000_000, 50, 5, 0) == 0


@pytest.mark.django_db
def test_clause_ajustee_exige_un_motif():
    clause = f.ClauseFactory()
    clause.heures_requises = clause.heures_calculees + 100
    assert "motif_derogation" in _erreurs(clause)
    clause.motif_derogation = "Part de main-d'œuvre plus forte que la moyenne (voirie)."
    clause.full_clean()
    clause.heures_requises = clause.heures_calculees
    clause.motif_derogation = ""
    clause.full_clean()


@pytest.mark.django_db
def test_mission_clean():
    mission = f.MissionFactory()
    mission.sortie, mission.date_fin = Sortie.EMPLOI_DURABLE, None
    assert "date_fin" in _erreurs(mission, validate_constraints=False)
    mission.sortie, mission.date_fin = "", mission.date_debut - dt.timedelta(days=1)
    assert "date_fin" in _erreurs(mission, validate_constraints=False)


@pytest.mark.django_db
def test_full_clean_reprend_les_contraintes():
    """Forms get the constraint errors too, before the database refuses."""
    declaration = f.DeclarationMensuelleFactory.build(lot=f.LotFactory(), mois=dt.date(2024, 3, 15))
    declaration.entreprise = declaration.lot.titulaire
    _erreurs(declaration)
    label = f.LabelFactory.build(
        dossier=f.DossierLabelFactory(), date_obtention=JOUR, date_expiration=JOUR
    )
    label.entreprise = label.dossier.entreprise
    _erreurs(label)


# --- roles -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_toutes_les_permissions_des_roles_existent():
    assert roles.permissions_inconnues() == []


@pytest.mark.django_db
def test_les_cinq_groupes_existent():
    noms = {role.groupe for role in roles.ROLES}
    assert len(noms) == 5
    assert set(Group.objects.filter(name__in=noms).values_list("name", flat=True)) == noms


@pytest.mark.django_db
def test_groupes_synchronises_avec_les_roles():
    from django.contrib.auth.models import Permission

    for role in roles.ROLES:
        attendues = set()
        for spec in role.permissions:
            app_label, codename = spec.split(".", 1)
            qs = Permission.objects.filter(content_type__app_label=app_label)
            if codename != "*":
                qs = qs.filter(codename=codename)
            attendues |= {f"{app_label}.{p.codename}" for p in qs}
        groupe = Group.objects.get(name=role.groupe)
        obtenues = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in groupe.permissions.select_related("content_type")
        }
        assert obtenues == attendues, role.code


@pytest.mark.django_db
def test_permissions_propres_a_chaque_role():
    utilisateurs = {role.code: f.UserFactory(role=role.code) for role in roles.ROLES}
    assert utilisateurs[roles.FACILITATEUR].has_perm("marches.change_lot")
    assert not utilisateurs[roles.DIRECTION].has_perm("heures.view_participant")
    assert utilisateurs[roles.DIRECTION].has_perm("mife.voir_bilan")
    assert utilisateurs[roles.SUIVI].has_perm("heures.valider_declaration")
    assert not utilisateurs[roles.FACILITATEUR].has_perm("heures.valider_declaration")
    assert utilisateurs[roles.ANIMATEUR].has_perm("label.change_dossierlabel")
    assert not utilisateurs[roles.ANIMATEUR].has_perm("heures.view_participant")
    sensibles = {
        code
        for code, user in utilisateurs.items()
        if user.has_perm("heures.voir_donnees_sensibles")
    }
    assert sensibles == {roles.FACILITATEUR, roles.ADMIN}
    for code, user in utilisateurs.items():
        assert user.role == roles.ROLES_PAR_CODE[code]


# --- optimistic locking ----------------------------------------------------------------------


@pytest.mark.django_db
def test_enregistrer_versionne_cree_en_version_1():
    auteur = f.UserFactory()
    entreprise = enregistrer_versionne(f.EntrepriseFactory.build(), 0, user=auteur)
    entreprise.refresh_from_db()
    assert entreprise.version == 1
    assert entreprise.modifie_par == auteur


@pytest.mark.django_db
def test_enregistrer_versionne_incremente_la_version():
    entreprise = f.EntrepriseFactory()
    assert entreprise.version == 1
    auteur = f.UserFactory()
    entreprise.raison_sociale = "Maçonnerie Comtoise"
    enregistrer_versionne(entreprise, 1, user=auteur)
    assert entreprise.version == 2
    entreprise.refresh_from_db()
    assert (entreprise.version, entreprise.raison_sociale) == (2, "Maçonnerie Comtoise")
    assert entreprise.modifie_par == auteur
    enregistrer_versionne(entreprise, 2)
    entreprise.refresh_from_db()
    assert entreprise.version == 3


@pytest.mark.django_db
def test_enregistrer_versionne_refuse_une_version_perimee():
    lot = f.LotFactory(intitule="Gros œuvre")
    alice = f.UserFactory(first_name="Alice", last_name="Martin")
    bruno = f.UserFactory(first_name="Bruno", last_name="Petit")

    # Alice and Bruno open the same lot (version 1).
    copie_alice = Lot.objects.get(pk=lot.pk)
    copie_bruno = Lot.objects.get(pk=lot.pk)

    copie_alice.intitule = "Gros œuvre — maçonnerie"
    enregistrer_versionne(copie_alice, 1, user=alice)

    copie_bruno.intitule = "Charpente"
    with pytest.raises(ConflitDeVersion) as conflit:
        enregistrer_versionne(copie_bruno, 1, user=bruno)
    assert "Alice Martin" in str(conflit.value)
    assert conflit.value.instance.modifie_par == alice

    lot.refresh_from_db()
    assert lot.intitule == "Gros œuvre — maçonnerie"
    assert lot.version == 2
    assert lot.modifie_par == alice

    # After reloading, Bruno can save over Alice's version.
    copie_bruno = Lot.objects.get(pk=lot.pk)
    copie_bruno.intitule = "Charpente"
    enregistrer_versionne(copie_bruno, copie_bruno.version, user=bruno)
    lot.refresh_from_db()
    assert (lot.intitule, lot.version, lot.modifie_par) == ("Charpente", 3, bruno)


@pytest.mark.django_db
def test_conflit_sans_auteur_connu():
    marche = f.MarcheFactory()
    Marche.objects.filter(pk=marche.pk).update(version=5)
    with pytest.raises(ConflitDeVersion, match="un autre utilisateur"):
        enregistrer_versionne(marche, 4)
    assert Marche.objects.get(pk=marche.pk).version == 5
