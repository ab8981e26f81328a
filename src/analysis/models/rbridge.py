"""The one place that talks to R: session start-up, data conversion, capture of warnings.

``rpy2`` is imported lazily (inside functions), so importing :mod:`analysis.models` costs
nothing until a model is fitted. Every R call that fits or summarises a model goes through
:func:`call_captured`, which wraps the call in ``withCallingHandlers`` / ``tryCatch`` so that
R warnings (convergence, singular fit, ...) and messages are *returned*, never lost, and an R
error becomes a status instead of an exception deep in rpy2.

pymer4 is not used on the fitting path: its import costs 10-14 s on this machine (half the
30 s budget), it needs polars frames, it has no negative-binomial family and it hides R's
convergence warnings. lme4 and glmmTMB are called directly with the same formulas.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

R_PACKAGES = ("lme4", "glmmTMB", "MASS")

_R_HELPERS = r"""
.cc <- new.env()
local({
  capture <- function(f) {
    warns <- character(0); msgs <- character(0)
    val <- tryCatch(
      withCallingHandlers(f(),
        warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") },
        message = function(m) { msgs <<- c(msgs, trimws(conditionMessage(m))); invokeRestart("muffleMessage") }),
      error = function(e) structure(list(message = conditionMessage(e)), class = "cc_error"))
    list(value = val, warnings = warns, messages = msgs,
         failed = inherits(val, "cc_error"),
         error = if (inherits(val, "cc_error")) val$message else "")
  }
  family_of <- function(name) switch(name,
    nbinom2 = glmmTMB::nbinom2(), poisson = poisson(), binomial = binomial(),
    gaussian = gaussian(), gamma_log = Gamma(link = "log"), stop("unknown family ", name))
  prepare <- function(data, meting_levels) {
    for (v in intersect(c("locatie", "jongere", "reden"), names(data))) data[[v]] <- factor(data[[v]])
    if ("meting" %in% names(data)) data$meting <- factor(data$meting, levels = meting_levels)
    if ("reden" %in% names(data))
      data$reden <- factor(data$reden, levels = intersect(c("agressie", "orde_regels", "zelfbeschadiging"), levels(data$reden)))
    data
  }
  # glmer uses nloptwrap with tolerances tightened from its defaults (1e-6 -> 1e-8): on the
  # twin's room models it reaches the optimum bobyqa reaches (logLik equal to 1e-6, same
  # estimates and SEs) about 10x faster, and the tighter tolerances remove the marginal
  # gradient warnings (max|grad| 0.002-0.005) that nloptwrap's defaults leave.
  # Binomial models arrive collapsed to cells (proportion y, number of registrations in column
  # `wts`, see fit.binomial_cells); lme4 and glm take `weights = wts` from the data.
  glmer_fit <- function(fml, data, family, nagq) {
    ctl <- lme4::glmerControl(optimizer = "nloptwrap",
                              optCtrl = list(xtol_abs = 1e-8, ftol_abs = 1e-8, maxeval = 1e5))
    if ("wts" %in% names(data))
      lme4::glmer(fml, data = data, family = family_of(family), nAGQ = nagq, weights = wts, control = ctl)
    else lme4::glmer(fml, data = data, family = family_of(family), nAGQ = nagq, control = ctl)
  }
  glm_fit <- function(fml, data, family) {
    if ("wts" %in% names(data)) glm(fml, data = data, family = family_of(family), weights = wts)
    else glm(fml, data = data, family = family_of(family))
  }
  # glmmTMB 1.1.5 times its optimizer with system.time(), whose gcFirst = TRUE forces a full
  # garbage collection on every fit (0.15-0.3 s, more than half of a count-model fit here).
  # fit_tmb is glmmTMB's own fitTMB run with gcFirst = FALSE; nothing else differs
  # (glmmTMB() is glmmTMB(doFit = FALSE) followed by fitTMB()).
  fit_tmb <- local({
    f <- glmmTMB:::fitTMB
    e <- new.env(parent = asNamespace("glmmTMB"))
    e$system.time <- function(expr, gcFirst = FALSE) base::system.time(expr, gcFirst = FALSE)
    environment(f) <- e
    f
  })
  fit <- function(engine, formula, data, family, nagq) {
    fml <- as.formula(formula, env = globalenv())
    switch(engine,
      lmer = lme4::lmer(fml, data = data, REML = FALSE),
      glmer = glmer_fit(fml, data, family, nagq),
      glmer.nb = lme4::glmer.nb(fml, data = data),
      glmmTMB = fit_tmb(glmmTMB::glmmTMB(fml, data = data, family = family_of(family), doFit = FALSE)),
      lm = lm(fml, data = data),
      glm = glm_fit(fml, data, family),
      stop("unknown engine ", engine))
  }
  coefs <- function(m) {
    cf <- if (inherits(m, "glmmTMB")) summary(m)$coefficients$cond
          else if (inherits(m, "merMod")) summary(m)$coefficients else coef(summary(m))
    data.frame(term = rownames(cf), estimate = unname(cf[, 1]), se = unname(cf[, 2]),
               stringsAsFactors = FALSE)
  }
  varcorr <- function(m) {
    vc <- if (inherits(m, "glmmTMB")) glmmTMB::VarCorr(m)$cond
          else if (inherits(m, "merMod")) lme4::VarCorr(m) else list()
    out <- data.frame(group = character(0), var1 = character(0), var2 = character(0),
                      vcov = numeric(0), stringsAsFactors = FALSE)
    for (g in names(vc)) {
      v <- as.matrix(vc[[g]]); nm <- colnames(v); if (is.null(nm)) nm <- "(Intercept)"
      for (i in seq_along(nm)) for (j in seq_len(i))
        out[nrow(out) + 1, ] <- list(g, nm[j], if (i == j) NA_character_ else nm[i], v[j, i])
    }
    out
  }
  flist <- function(m) {
    if (inherits(m, "glmmTMB")) m$modelInfo$reTrms$cond$flist
    else if (inherits(m, "merMod")) m@flist else list()
  }
  convergence <- function(m) {
    if (inherits(m, "glmmTMB")) {
      msg <- character(0)
      if (m$fit$convergence != 0) msg <- c(msg, paste("optimizer:", m$fit$message))
      if (!isTRUE(m$sdr$pdHess)) msg <- c(msg, "non-positive-definite Hessian")
      return(list(converged = length(msg) == 0, messages = msg))
    }
    if (inherits(m, "merMod")) {
      msg <- unlist(m@optinfo$conv$lme4$messages)
      msg <- if (is.null(msg)) character(0) else as.character(msg)
      bad <- msg[!grepl("singular", msg)]
      return(list(converged = m@optinfo$conv$opt == 0 && length(bad) == 0, messages = msg))
    }
    if (inherits(m, "glm")) return(list(converged = isTRUE(m$converged), messages = character(0)))
    list(converged = TRUE, messages = character(0))
  }
  mean_mu0 <- function(m) {
    if (!inherits(m, c("glmmTMB", "merMod"))) return(NA_real_)
    mean(predict(m, re.form = NA, type = "response"))
  }
  disp_param <- function(m) {
    if (inherits(m, "merMod") && grepl("^Negative Binomial", family(m)$family))
      return(as.numeric(lme4::getME(m, "glmer.nb.theta")))
    if (inherits(m, c("glmmTMB", "merMod", "lm"))) as.numeric(sigma(m)) else NA_real_
  }
  summarise <- function(m) {
    ll <- logLik(m)
    fl <- flist(m)
    list(coefs = coefs(m), varcorr = varcorr(m),
         loglik = as.numeric(ll), df = as.numeric(attr(ll, "df")), nobs = as.numeric(nobs(m)),
         groups = if (length(fl)) sapply(fl, nlevels) else integer(0),
         sigma = disp_param(m),
         singular = if (inherits(m, "merMod")) lme4::isSingular(m) else NA,
         mean_mu0 = mean_mu0(m), conv = convergence(m))
  }
  # Logistic models fitted on binomial cells are checked per registration, as if fitted on the
  # 0/1 rows: the cells are expanded back (k ones and n - k zeros per cell) and lme4 simulates
  # 0/1 outcomes for the expanded rows with the same fitted model.
  on_cells <- function(m) {
    inherits(m, "merMod") && family(m)$family == "binomial" && any(weights(m) != 1)
  }
  expand_cells <- function(m) {
    mf <- model.frame(m); w <- as.numeric(weights(m)); k <- round(mf[[1]] * w)
    rows <- mf[rep(seq_len(nrow(mf)), w), , drop = FALSE]
    y <- unlist(mapply(function(k, n) c(rep(1, k), rep(0, n - k)), k, w, SIMPLIFY = FALSE))
    list(rows = rows, y = as.numeric(y))
  }
  observed <- function(m) {
    if (on_cells(m)) return(expand_cells(m)$y)
    if (inherits(m, "glmmTMB")) as.numeric(m$frame[[1]]) else as.numeric(model.response(model.frame(m)))
  }
  simulate_matrix <- function(m, nsim, seed, conditional) {
    if (on_cells(m)) {
      rows <- expand_cells(m)$rows
      return(as.matrix(simulate(m, nsim = nsim, seed = seed, newdata = rows,
                                weights = rep(1, nrow(rows)), re.form = if (conditional) NULL else NA)))
    }
    if (!conditional) return(as.matrix(simulate(m, nsim = nsim, seed = seed)))
    if (inherits(m, "merMod")) return(as.matrix(simulate(m, nsim = nsim, seed = seed, use.u = TRUE)))
    # glmmTMB 1.1.5 has no conditional simulate(): draw from the family given the predicted
    # conditional means (random effects at their estimates).
    set.seed(seed)
    mu <- predict(m, type = "response")
    n <- length(mu)
    fam <- family(m)$family
    draws <- switch(fam,
      nbinom2 = rnbinom(n * nsim, mu = mu, size = sigma(m)),
      poisson = rpois(n * nsim, lambda = mu),
      Gamma = rgamma(n * nsim, shape = 1 / sigma(m)^2, rate = 1 / (mu * sigma(m)^2)),
      stop("conditional simulation not implemented for family ", fam))
    matrix(draws, nrow = n, ncol = nsim)
  }
}, envir = .cc)
"""


@dataclass
class Captured:
    """Result of an R call run under ``withCallingHandlers``.

    Attributes
    ----------
    value : Any
        The R value (``None`` when the call failed).
    warnings, messages : list of str
        R warnings and messages raised during the call, in order.
    error : str
        R error message, empty when the call succeeded.
    """

    value: Any
    warnings: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def failed(self) -> bool:
        """Whether the R call raised an error."""
        return bool(self.error)


# Embedded R adds its library folders to LD_LIBRARY_PATH (and sets R_HOME) in this process.
# Child processes inherit that: a Jupyter kernel started afterwards (papermill) then loads the
# system libpython instead of its own and fails (seen: "undefined symbol: _PyModule_Add").
# R's libraries are loaded once R runs, so the variable is put back for children.
_LD_BEFORE_R = os.environ.get("LD_LIBRARY_PATH")


def _restore_child_env() -> None:
    """Give child processes the LD_LIBRARY_PATH this process started with."""
    if _LD_BEFORE_R is None:
        os.environ.pop("LD_LIBRARY_PATH", None)
    else:
        os.environ["LD_LIBRARY_PATH"] = _LD_BEFORE_R


@lru_cache(maxsize=1)
def session() -> Any:
    """Start R (once), load the model packages quietly and define the helper functions.

    Returns
    -------
    rpy2.robjects.R
        The embedded R instance (``rpy2.robjects.r``).
    """
    import rpy2.robjects as ro
    _restore_child_env()

    pkgs = "; ".join(f"library({p})" for p in R_PACKAGES)
    ro.r(f"suppressPackageStartupMessages({{ {pkgs} }})")
    ro.r(_R_HELPERS)
    return ro.r


def helper(name: str) -> Any:
    """Return one R helper function defined in the ``.cc`` environment."""
    r = session()
    return r(f".cc${name}")


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    """R version and versions of the R packages used for fitting.

    Returns
    -------
    dict
        ``{"R": "4.2.2", "lme4": "1.1.31", ...}`` plus ``rpy2``.
    """
    import rpy2
    _restore_child_env()

    r = session()
    out = {"R": str(r("paste(R.version$major, R.version$minor, sep='.')")[0])}
    for p in R_PACKAGES:
        out[p] = str(r(f"as.character(packageVersion('{p}'))")[0])
    out["rpy2"] = rpy2.__version__
    return out


def _r_vector(values: pd.Series) -> Any:
    """Convert one pandas column to an R vector with proper NA handling."""
    import rpy2.robjects as ro
    _restore_child_env()

    if pd.api.types.is_bool_dtype(values.dtype):
        return ro.BoolVector([bool(v) for v in values])
    if pd.api.types.is_numeric_dtype(values.dtype):
        arr = pd.to_numeric(values).astype("float64").to_numpy(na_value=np.nan)
        return ro.FloatVector([ro.NA_Real if np.isnan(v) else float(v) for v in arr])
    return ro.StrVector([ro.NA_Character if pd.isna(v) else str(v) for v in values])


def to_r(frame: pd.DataFrame) -> Any:
    """Convert a pandas frame to an R ``data.frame`` without ``pandas2ri``.

    Booleans become logical, numbers double, everything else character (NA kept). Factors are
    made in R by the ``prepare`` helper. ``pandas2ri`` is avoided on purpose: rpy2 3.5 does not
    know pandas 3's string dtype.

    Parameters
    ----------
    frame : DataFrame
        Columns to convert.

    Returns
    -------
    rpy2.robjects.DataFrame
    """
    import rpy2.rlike.container as rlc
    import rpy2.robjects as ro
    _restore_child_env()

    session()
    od = rlc.OrdDict([(str(c), _r_vector(frame[c])) for c in frame.columns])
    return ro.DataFrame(od)


def from_r_frame(rdf: Any) -> pd.DataFrame:
    """Convert a small R ``data.frame`` of numbers and strings to pandas."""
    import rpy2.robjects as ro
    _restore_child_env()

    cols = {}
    for name, col in zip(rdf.names, rdf):
        if isinstance(col, ro.StrVector):
            cols[name] = [None if v is ro.NA_Character else str(v) for v in col]
        else:
            cols[name] = np.asarray(col, dtype=float)
    return pd.DataFrame(cols)


def call_captured(fun: Any, **kwargs: Any) -> Captured:
    """Call an R function under ``withCallingHandlers`` and return value, warnings and error.

    Parameters
    ----------
    fun : R function
        Any R closure (e.g. from :func:`helper`).
    **kwargs
        Named arguments passed to the R function (R values or Python scalars).

    Returns
    -------
    Captured
    """
    import rpy2.rlike.container as rlc
    import rpy2.robjects as ro
    _restore_child_env()

    r = session()
    args = ro.vectors.ListVector(rlc.OrdDict([(k, _scalar(v)) for k, v in kwargs.items()]))
    thunk = r("function(f, args) function() do.call(f, args)")(fun, args)
    res = r_list(r(".cc$capture")(thunk))
    failed = bool(res["failed"][0])
    return Captured(
        value=None if failed else res["value"],
        warnings=[str(w) for w in res["warnings"]],
        messages=[str(m) for m in res["messages"]],
        error=str(res["error"][0]) if failed else "",
    )


def _scalar(value: Any) -> Any:
    """Wrap Python scalars as length-one R vectors; pass R objects through."""
    import rpy2.robjects as ro
    _restore_child_env()

    if isinstance(value, bool):
        return ro.BoolVector([value])
    if isinstance(value, int):
        return ro.IntVector([value])
    if isinstance(value, float):
        return ro.FloatVector([value])
    if isinstance(value, str):
        return ro.StrVector([value])
    if isinstance(value, (list, tuple)):
        return ro.StrVector([str(v) for v in value])
    return value


def r_list(obj: Any) -> dict[str, Any]:
    """Turn a named R list into a Python dict of its elements."""
    return dict(zip(obj.names, obj))
