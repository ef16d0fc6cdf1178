"""Pagination of the list pages that stays fast on the last and deep pages.

``OFFSET n`` makes the database walk and discard ``n`` rows, with every join and subquery of
the page's query computed for each of them: on 790 000 declarations the last page took 15 s
of SQL (joins to company, lot and contract for every skipped row). Two classic remedies, both
giving the very same rows as plain slicing:

- **keys first** (« deferred join »): the page reads only the primary keys of its rows
  (``SELECT id … ORDER BY … LIMIT 25 OFFSET …``: no join nor subquery left for the skipped or
  sorted rows unless the ordering needs it), then the 25 rows themselves by key. The same
  helps a sort on a column without index: 246 000 missions sorted by « sortie » were joined to
  participant, lot, contract and employer before the sort (1,2 s), their keys alone sort in
  a fraction of that;
- **from the other end**: a page past the middle reads its keys with the ordering reversed
  (the last page becomes ``LIMIT 25`` from the end, as cheap as the first), then puts them
  back in order.

Lists shorter than ``seuil`` keep the single plain query (the list tests' query counts). The
ordering must be total (``ListeView`` always ends it with ``pk``), so that the reversed
ordering is the exact mirror.
"""

from django.core.paginator import Paginator
from django.db.models import QuerySet


class PaginateurListe(Paginator):
    #: Lists with fewer rows read a page with one plain query.
    seuil = 1000

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
        if (
            not isinstance(qs, QuerySet)
            or not qs.ordered
            or qs.query.distinct
            or haut <= bas
            or self.count < self.seuil
        ):
            return qs[bas:haut]
        if bas > self.count - haut:  # nearer the end: read from the end
            depuis_la_fin = qs.reverse().values_list("pk", flat=True)
            cles = list(reversed(depuis_la_fin[self.count - haut : self.count - bas]))
        else:
            cles = list(qs.values_list("pk", flat=True)[bas:haut])
        par_cle = {obj.pk: obj for obj in qs.order_by().filter(pk__in=cles)}
        return [par_cle[cle] for cle in cles if cle in par_cle]
