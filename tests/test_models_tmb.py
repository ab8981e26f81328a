"""glmmTMB fits run through ``fit_tmb`` (glmmTMB's fitTMB without the forced gc): same fit."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.models import frames as fr
from analysis.models import rbridge
from analysis.models.fit import model_data
from analysis.models.simulate import SimParams, simulate
from analysis.models.spec import count_specs


@pytest.fixture(scope="module")
def counts():
    d = simulate(SimParams(), seed=5)
    F = fr.build_frames(d["registrations"], d["occupancy"])
    spec = count_specs()[2]  # month * meting
    return spec, F, model_data(spec, fr.frame_for(F, spec.frame))


def test_fit_tmb_equals_plain_glmmtmb(counts):
    spec, F, data = counts
    r = rbridge.session()
    rdata = rbridge.call_captured(
        rbridge.helper("prepare"), data=rbridge.to_r(data), meting_levels=F.meting_levels
    ).value
    assert bool(r(".cc$tmb_shortcut")[0]), "fit_tmb is switched off for this glmmTMB version"
    ours = rbridge.call_captured(
        rbridge.helper("fit"), engine="glmmTMB", formula=spec.formula(), data=rdata, family="nbinom2", nagq=1
    )
    assert not ours.failed, ours.error
    plain = r("function(f, d) glmmTMB::glmmTMB(as.formula(f), data = d, family = glmmTMB::nbinom2())")(
        spec.formula(), rdata
    )
    fixef = r("function(m) glmmTMB::fixef(m)$cond")
    loglik = r("function(m) as.numeric(logLik(m))")
    np.testing.assert_array_equal(np.asarray(fixef(ours.value)), np.asarray(fixef(plain)))
    assert float(loglik(ours.value)[0]) == float(loglik(plain)[0])
    # the helper really is glmmTMB's fitTMB with only system.time() replaced
    assert bool(r("identical(body(.cc$fit_tmb), body(glmmTMB:::fitTMB))")[0])


def test_fit_tmb_shortcut_is_checked_for_the_installed_glmmtmb():
    """fit_tmb reaches into glmmTMB's internal fitTMB: fail loudly on any other glmmTMB version."""
    r = rbridge.session()
    installed, checked = rbridge.versions()["glmmTMB"], str(r(".cc$TMB_CHECKED")[0])
    assert installed == checked, (
        f"glmmTMB {installed} is installed, but the fit_tmb shortcut (models/helpers.R) was checked "
        f"against glmmTMB {checked} only; the plain glmmTMB() fit is used meanwhile. Compare "
        "body(glmmTMB:::fitTMB) with the checked version, run test_fit_tmb_equals_plain_glmmtmb and "
        "update TMB_CHECKED."
    )
    assert bool(r(".cc$tmb_shortcut")[0])
