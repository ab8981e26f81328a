"""Stage 2: raw exports -> validated, pseudonymised processed tables.

``readers`` parse CSV/XLSX/SPSS, ``checks`` validate against the codebook, ``pseudonym``
hashes youth numbers, ``report`` reconciles every input line, ``process`` runs it all.
"""
