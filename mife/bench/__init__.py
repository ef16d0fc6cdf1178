"""The performance bench (``make bench``): a national-scale dataset and the measures.

``donnees`` seeds a dedicated database with fast paths (COPY on PostgreSQL, batched inserts on
SQLite) and marks it so the next run reuses it; ``mesures`` times the pages, the PDF, the
exports and the imports next to their bare references and writes ``bench/results.json``.
How to run and read it: ``bench/README.md``.
"""
