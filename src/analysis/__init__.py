"""Reproducible compendium for "Ik laat je niet alleen" (stage 3).

The package follows the pipeline stages: ``codebook`` -> ``ingest`` -> ``describe`` /
``models`` -> ``figures`` -> ``render``; ``synth`` writes the synthetic twin and
``build`` / ``cli`` orchestrate. Heavy imports (R, pymer4) live only in ``models``.
"""

__version__ = "0.1.0"
SYNTHETIC_BANNER = "Synthetische data - geen echte registraties"
