"""Chapter-3 models: multilevel models of change across measurements.

Importing this package is cheap: R (through rpy2) starts only when a model is fitted.

Modules
-------
frames       analysis frames from the processed tables (pure pandas)
spec         model specifications as data (primary set, published ids)
rbridge      R session, data conversion, warning capture, versions
fit          fit one specification -> :class:`~analysis.models.fit.ModelResult`
lrtest       likelihood-ratio tests incl. chi-bar-squared mixtures
diagnostics  simulated scaled residuals (DHARMa's method) and small figures
sensitivity  the sensitivity set of Bijlage 3
tables       tidy CSVs via :func:`analysis.core.results.write_result`
narrative    Dutch sentences built from the results
pipeline     the chapter-3 run: frames -> fits -> diagnostics -> sensitivity -> CSVs
simulate     data with known parameters (tests, benchmark)
"""

from analysis.models.frames import AnalysisFrames, build_frames, load_frames
from analysis.models.spec import ModelSpec, primary_specs

__all__ = ["AnalysisFrames", "ModelSpec", "build_frames", "load_frames", "primary_specs"]
