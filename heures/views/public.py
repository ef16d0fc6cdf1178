"""Public pages (no login): the verification of an attestation by its QR code."""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render

from heures.services import attestations


@login_not_required
def verifier_attestation(request, code: str):
    """Valid or not, number, company, lot, month, total hours; nothing personal."""
    infos = attestations.verification(code)
    return render(
        request,
        "heures/verifier.html",
        {"titre": "Vérification d'une attestation", "infos": infos, "code": code},
        status=200 if infos else 404,
    )
