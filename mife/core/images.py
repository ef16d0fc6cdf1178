"""Images uploaded for the documents (logo and signature of Paramètres): checked by their
content, stored under a name chosen by the server, read by the PDF generation from disk.

The check decodes the whole image with Pillow: a renamed executable, a text file named
``.png`` or a PNG whose data is corrupt is refused with a French message, as is an image too
heavy or too large (a decompression bomb)."""

import uuid
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

from mife.core.formats import nombre

TAILLE_MAX_OCTETS = 2 * 1024 * 1024
PIXELS_MAX = 25_000_000  # 5 000 × 5 000
FORMATS = {"PNG": ".png", "JPEG": ".jpg"}
EXTENSIONS = {".png", ".jpg", ".jpeg"}


def verifier_image(fichier) -> None:
    """Raise a French ``ValidationError`` unless ``fichier`` is a readable PNG or JPEG image of
    at most 2 Mo and 25 million pixels."""
    from PIL import Image, UnidentifiedImageError

    if getattr(fichier, "_committed", False):
        return  # the image already stored (checked when it was uploaded): not reopened
    nom = Path(getattr(fichier, "name", "") or "").name
    if Path(nom).suffix.lower() not in EXTENSIONS:
        raise ValidationError(
            f"« {nom} » refusé : seules les images PNG ou JPEG (.png, .jpg) sont acceptées.",
            code="image_extension",
        )
    taille = getattr(fichier, "size", None)
    if taille is not None and taille > TAILLE_MAX_OCTETS:
        raise ValidationError(
            f"« {nom} » refusé : l'image pèse {nombre(taille / 1024 / 1024)} Mo, 2 Mo au plus.",
            code="image_trop_lourde",
        )
    try:
        fichier.seek(0)
        with Image.open(fichier) as image:
            format_image = image.format
            largeur, hauteur = image.size
            if largeur * hauteur > PIXELS_MAX:
                raise ValidationError(
                    f"« {nom} » refusé : l'image mesure {largeur} × {hauteur} pixels, "
                    "5 000 × 5 000 au plus.",
                    code="image_trop_grande",
                )
            image.load()  # decodes every pixel: a corrupt file fails here
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            f"« {nom} » refusé : ce fichier n'est pas une image PNG ou JPEG lisible (son contenu "
            "ne correspond pas à son nom, ou il est abîmé).",
            code="image_illisible",
        ) from None
    finally:
        fichier.seek(0)
    if format_image not in FORMATS:
        raise ValidationError(
            f"« {nom} » refusé : image {format_image}, seules les images PNG ou JPEG sont "
            "acceptées.",
            code="image_format",
        )


@deconstructible
class NomImage:
    """``upload_to`` giving a fresh random name under ``dossier`` (the user's file name is not
    kept: no path, no guessable name)."""

    def __init__(self, dossier: str):
        self.dossier = dossier

    def __call__(self, instance, nom: str) -> str:
        extension = Path(nom).suffix.lower()
        extension = ".jpg" if extension == ".jpeg" else extension
        if extension not in EXTENSIONS:
            extension = ".png"
        return f"{self.dossier}/{uuid.uuid4().hex}{extension}"

    def __eq__(self, autre) -> bool:
        return isinstance(autre, NomImage) and autre.dossier == self.dossier
