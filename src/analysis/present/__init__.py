"""Stage 4: presentation. The number formatter and notebook display (``display``), figures,
tables and narrative text of the chapters, and the location factsheet content."""
