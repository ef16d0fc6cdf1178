"""Global search of the top bar: companies, participants, lots — within the user's rights."""

from dataclasses import dataclass

from django.db.models import Q

from entreprises.models import Entreprise
from heures.models import Participant
from marches.models import Lot

LIMITE = 20


@dataclass
class Resultat:
    categorie: str
    libelle: str
    detail: str
    url: str


def rechercher(user, texte: str) -> list[Resultat]:
    resultats: list[Resultat] = []
    if user.has_perm("entreprises.view_entreprise"):
        for e in Entreprise.objects.recherche(texte)[:LIMITE]:
            resultats.append(
                Resultat(
                    "Entreprise",
                    e.raison_sociale,
                    f"{e.identifiant} — {e.commune}",
                    e.get_absolute_url(),
                )
            )
    if user.has_perm("heures.view_participant"):
        mots = texte.split()
        qs = Participant.objects.filter(anonymise_le__isnull=True)
        for mot in mots:
            qs = qs.filter(Q(nom__icontains=mot) | Q(prenom__icontains=mot))
        for p in qs[:LIMITE]:
            resultats.append(Resultat("Participant", str(p), p.commune, p.get_absolute_url()))
    if user.has_perm("marches.view_lot"):
        qs = Lot.objects.select_related("marche__donneur_ordre").filter(
            Q(intitule__icontains=texte)
            | Q(marche__reference__icontains=texte)
            | Q(marche__objet__icontains=texte)
        )
        for lot in qs[:LIMITE]:
            resultats.append(
                Resultat("Lot", str(lot), lot.marche.donneur_ordre.nom, lot.get_absolute_url())
            )
    return resultats
