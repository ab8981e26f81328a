"""Stage 6: the report (HTML and PDF via Quarto or pandoc + Typst), its generated
appendices, and the location factsheets."""
