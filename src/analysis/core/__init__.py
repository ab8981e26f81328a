"""Stage 0: paths, measurement configuration, notebook parameters, results files, rounding
and the derived code dependencies. Imports nothing from a later stage."""
