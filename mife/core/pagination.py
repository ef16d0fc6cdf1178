"""Pagination of the list pages that stays fast on the last and deep pages.

``OFFSET n`` makes the database walk and discard ``n`` rows, with every join and subquery of
the page's query computed for each of them: on 790 000 declarations the last page took 15 s
of SQL (joins to company, lot and contract for every skipped row). Two classic remedies, both
giving the very same rows as plain slicing:

- **from the other end**: a page past the middle is read with the ordering reversed (the last
  page becomes ``LIMIT 25`` from the end, as cheap as the first page), then put back in order;
- **keys first** (« deferred join »): a deep page reads only the primary keys of its rows
  (``SELECT id … ORDER BY … OFFSET … LIMIT 25``, no join nor subquery left for the skipped
  rows unless the ordering needs it), then the 25 rows themselves by key.

The first pages keep the single plain query (the common case, and the query counts of the
list tests). The ordering must be total (``ListeView`` always ends it with ``pk``), so that the
reversed ordering is the exact mirror.
"""

from django.core.paginator import Paginator
from django.db.models import QuerySet


class PaginateurListe(Paginator):
    #: Offsets below this read the page with one plain query.
    seuil_profond = 1000

    def page(self, number):
        number = self.validate_number(number)
        bas = (number - 1) * self.per_page
        haut = bas + self.per_page
        if haut + self.orphans >= self.count:
            haut = self.count
        return self._get_page(self.lignes(bas, haut), number, self)

    def lignes(self, bas: int, haut: int):
        """The rows ``bas`` to ``haut`` (excluded) of the ordered list."""
        qs = self.object_list
        plain = not isinstance(qs, QuerySet) or not qs.ordered or qs.query.distinct or haut <= bas
        if plain or min(bas, self.count - haut) < self.seuil_profond:
            if not plain and bas > self.count - haut:  # nearer the end: read from the end
                return list(reversed(qs.reverse()[self.count - haut : self.count - bas]))
            return qs[bas:haut]
        if bas > self.count - haut:
            cles = list(
                reversed(
                    qs.reverse().values_list("pk", flat=True)[self.count - haut : self.count - bas]
                )
            )
        else:
            cles = list(qs.values_list("pk", flat=True)[bas:haut])
        par_cle = {obj.pk: obj for obj in qs.order_by().filter(pk__in=cles)}
        return [par_cle[cle] for cle in cles if cle in par_cle]
