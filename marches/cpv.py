"""CPV codes (Common Procurement Vocabulary, regulation (EC) 213/2008).

python-stdnum has no CPV module, so the check digit is computed here: the weighted sum of
the eight digits with weights 3, 7, 1 repeated, modulo 10 (matches the official list, e.g.
45000000-7, 71000000-8, 80000000-4).
"""

import re

_FORMAT = re.compile(r"^(\d{8})(?:-(\d))?$")
_POIDS = (3, 7, 1, 3, 7, 1, 3, 7)


class CodeCPVInvalide(ValueError):
    pass


def cle(code8: str) -> str:
    return str(sum(int(c) * p for c, p in zip(code8, _POIDS, strict=True)) % 10)


def analyser(valeur: str) -> tuple[str, str | None]:
    """Return (8 digits, given check digit or None); raise CodeCPVInvalide on bad format."""
    match = _FORMAT.match((valeur or "").replace(" ", "").strip())
    if not match:
        raise CodeCPVInvalide("8 chiffres attendus, suivis éventuellement de « -clé ».")
    return match.group(1), match.group(2)


def valider(valeur: str) -> str:
    """Normalised code ``12345678-9``; the check digit is verified when given, added if not."""
    code, donnee = analyser(valeur)
    attendue = cle(code)
    if donnee is not None and donnee != attendue:
        raise CodeCPVInvalide(f"clé de contrôle incorrecte (attendue : {attendue}).")
    return f"{code}-{attendue}"
