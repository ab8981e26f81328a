"""Likelihood-ratio tests with the boundary-corrected (chi-bar-squared) reference distribution.

Testing a variance component against zero puts the null value on the boundary of the parameter
space, so the LR statistic is not chi2(k) under the null. For one variance (random intercept vs
none) it is the 50:50 mixture of a point mass at 0 and chi2(1) -- Stata labels this
``chibar2(01)`` -- so p = 0.5 * P(chi2(1) > LR). Adding a random slope *correlated* with an
existing intercept adds a variance and a covariance: 0.5 chi2(1) + 0.5 chi2(2) (Self & Liang
1987; Stram & Lee 1994).
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy import stats

LR_ZERO_TOL = 1e-6
"""LR statistics below this are optimizer noise at the boundary and are set to 0 (p = 1)."""


@dataclass(frozen=True)
class LRTest:
    """One likelihood-ratio test.

    Attributes
    ----------
    name : str
        What is tested, e.g. ``re_location``.
    model_id : str
        The larger model.
    loglik_full, loglik_reduced : float
        Log-likelihoods of the two models.
    lr : float
        ``2 * (loglik_full - loglik_reduced)``, truncated at 0.
    df : int
        Number of parameters added; the reference is the mixture of chi2(df - 1) and chi2(df)
        when ``boundary`` else chi2(df).
    boundary : bool
        Whether the null lies on the boundary (variance components).
    p : float
        p-value.
    reference : str
        Name of the reference distribution, e.g. ``chibar2(01)``.
    """

    name: str
    model_id: str
    loglik_full: float
    loglik_reduced: float
    lr: float
    df: int
    boundary: bool
    p: float
    reference: str


def mixture_p(lr: float, df: int) -> float:
    """p-value under 0.5 chi2(df - 1) + 0.5 chi2(df); chi2(0) is a point mass at zero.

    Parameters
    ----------
    lr : float
        LR statistic (negative values are treated as 0).
    df : int
        Degrees of freedom of the larger component (>= 1).

    Returns
    -------
    float
    """
    lr = max(float(lr), 0.0)
    upper = stats.chi2.sf(lr, df)
    lower = (1.0 if lr <= 0 else 0.0) if df == 1 else stats.chi2.sf(lr, df - 1)
    return float(0.5 * lower + 0.5 * upper)


def chibar2_p(lr: float) -> float:
    """Stata's chibar2(01) p-value: ``0.5 * P(chi2(1) > LR)`` (1 when LR = 0)."""
    return mixture_p(lr, 1)


def lr_test(
    name: str,
    model_id: str,
    loglik_full: float,
    loglik_reduced: float,
    df: int = 1,
    boundary: bool = True,
    at_boundary: bool = False,
) -> LRTest:
    """Likelihood-ratio test of nested models.

    Parameters
    ----------
    name, model_id : str
        Labels.
    loglik_full, loglik_reduced : float
        Maximised log-likelihoods (same likelihood, both ML or both Laplace).
    df : int
        Parameters added in the full model.
    boundary : bool
        Use the chi-bar-squared mixture (variance components) instead of chi2(df).
    at_boundary : bool
        The tested variance was estimated as (numerically) zero: LR is 0 by definition, whatever
        rounding noise the two optimizers leave (Stata prints chibar2 = 0.00, p = 1).

    Returns
    -------
    LRTest
    """
    lr = max(2.0 * (float(loglik_full) - float(loglik_reduced)), 0.0)
    if lr < LR_ZERO_TOL or (boundary and at_boundary):
        lr = 0.0
    if boundary:
        p = mixture_p(lr, df)
        ref = "chibar2(01)" if df == 1 else f"0.5 chi2({df - 1}) + 0.5 chi2({df})"
    else:
        p = float(stats.chi2.sf(lr, df))
        ref = f"chi2({df})"
    return LRTest(name, model_id, float(loglik_full), float(loglik_reduced), lr, df, boundary, p, ref)
