"""A label's validity, defined once in ``label.selectors`` (and its SQL form on the queryset)."""

import datetime as dt

import pytest
from django.utils import timezone

from label.models import Label, StatutDossier
from label.selectors import EtatLabel, etat_label_le, label_courant
from tests import factories as f

pytestmark = pytest.mark.django_db

OBTENTION = dt.date(2025, 6, 12)
EXPIRATION = dt.date(2028, 6, 12)
UN_JOUR = dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("jour", "etat"),
    [
        (OBTENTION - UN_JOUR, EtatLabel.A_VENIR),
        (OBTENTION, EtatLabel.VALIDE),
        (EXPIRATION - UN_JOUR, EtatLabel.VALIDE),
        (EXPIRATION, EtatLabel.EXPIRE),
    ],
)
def test_etat_du_label_le_jour_et_filtre_sql_d_accord(jour, etat):
    label = f.LabelFactory(date_obtention=OBTENTION, date_expiration=EXPIRATION)
    assert etat_label_le(label, jour) == etat
    assert Label.objects.valides_le(jour).filter(pk=label.pk).exists() == (etat == EtatLabel.VALIDE)


def test_label_courant_est_le_dernier_obtenu():
    entreprise = f.EntrepriseFactory()
    assert label_courant(entreprise) is None
    f.LabelFactory(
        dossier=f.DossierLabelFactory(
            entreprise=entreprise, annee=2019, statut=StatutDossier.LABELLISE
        ),
        date_obtention=dt.date(2019, 5, 2),
        date_expiration=dt.date(2022, 5, 2),
    )
    recent = f.LabelFactory(
        dossier=f.DossierLabelFactory(
            entreprise=entreprise, annee=2022, statut=StatutDossier.LABELLISE
        ),
        date_obtention=dt.date(2022, 4, 20),
        date_expiration=dt.date(2025, 4, 20),
    )
    f.LabelFactory()  # another company's label
    assert label_courant(entreprise) == recent


@pytest.mark.parametrize(
    ("decalage_obtention", "statut_entreprise", "badge", "etat_dossier"),
    [
        (-100, "Labellisée jusqu'au {expiration}", True, "En cours de validité"),
        (10, "Labellisée à partir du {obtention}", False, "Pas encore en vigueur"),
        (-1200, "Label expiré le {expiration}", False, "Expiré"),
    ],
)
def test_pages_entreprise_et_dossier_montrent_l_etat_du_label(
    client_for, decalage_obtention, statut_entreprise, badge, etat_dossier
):
    obtention = timezone.localdate() + dt.timedelta(days=decalage_obtention)
    label = f.LabelFactory(
        date_obtention=obtention, date_expiration=obtention + dt.timedelta(days=1095)
    )
    client = client_for("animateur")

    page = client.get(label.entreprise.get_absolute_url())
    contenu = page.content.decode().replace("&#x27;", "'")
    attendu = statut_entreprise.format(
        obtention=f"{label.date_obtention:%d/%m/%Y}",
        expiration=f"{label.date_expiration:%d/%m/%Y}",
    )
    assert attendu in contenu
    assert (page.context["statut"] == ("labellise", "Labellisée Empl'itudes")) is badge

    page = client.get(label.dossier.get_absolute_url())
    section = next(s for s in page.context["sections"] if s.titre == "Label Empl'itudes")
    assert section.champs[0].texte == etat_dossier
