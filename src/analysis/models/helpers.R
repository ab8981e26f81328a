# R helpers of analysis.models.rbridge, evaluated once per R session (rbridge.session()).
# Every function lives in the environment .cc; Python calls them through rbridge.helper(name).
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
  # reden_levels: the reasons in codebook order (analysis.models.frames.REASONS), first = reference
  prepare <- function(data, meting_levels, reden_levels = character(0)) {
    for (v in intersect(c("locatie", "jongere", "reden"), names(data))) data[[v]] <- factor(data[[v]])
    if ("meting" %in% names(data)) data$meting <- factor(data$meting, levels = meting_levels)
    if ("reden" %in% names(data))
      data$reden <- factor(data$reden, levels = intersect(reden_levels, levels(data$reden)))
    data
  }
  # glmer uses nloptwrap with tolerances tightened from its defaults (1e-6 -> 1e-8): on the
  # twin's room models it reaches the optimum bobyqa reaches (logLik equal to 1e-6, same
  # estimates and SEs) about 10x faster. It can still stop just short of the optimum on an
  # ill-conditioned fixed part: on the twin's isolation-room interaction models (month centred
  # over both measurements, so the measurement contrast is an extrapolation) it stopped 9e-6
  # below bobyqa's logLik with a scaled gradient of 0.0055 (lme4's tolerance: 0.002). When
  # lme4's convergence check fails (any message other than "singular"), the fit is restarted
  # from nloptwrap's estimates with bobyqa, as lme4's ?convergence advises. The restarted fit
  # is judged by its own convergence check (its warnings and messages are the ones captured),
  # so a model bobyqa cannot bring to a regular optimum stays flagged; the optimizer that
  # produced the reported fit is in optinfo$optimizer (summarise() returns it).
  # Binomial models arrive collapsed to cells (proportion y, number of registrations in column
  # `wts`, see fit.binomial_cells); lme4 and glm take `weights = wts` from the data.
  glmer_fit <- function(fml, data, family, nagq) {
    run <- function(ctl, start = NULL) {
      if ("wts" %in% names(data))
        lme4::glmer(fml, data = data, family = family_of(family), nAGQ = nagq, weights = wts,
                    control = ctl, start = start)
      else lme4::glmer(fml, data = data, family = family_of(family), nAGQ = nagq, control = ctl,
                       start = start)
    }
    held <- list()
    m <- withCallingHandlers(
      run(lme4::glmerControl(optimizer = "nloptwrap",
                             optCtrl = list(xtol_abs = 1e-8, ftol_abs = 1e-8, maxeval = 1e5))),
      warning = function(w) { held[[length(held) + 1]] <<- w; invokeRestart("muffleWarning") })
    msgs <- as.character(unlist(m@optinfo$conv$lme4$messages))
    if (!any(!grepl("singular", msgs))) {
      for (w in held) warning(w)  # the fit stands: its warnings reach capture() unchanged
      return(m)
    }
    run(lme4::glmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5)),
        start = list(theta = lme4::getME(m, "theta"), fixef = lme4::getME(m, "fixef")))
  }
  glm_fit <- function(fml, data, family) {
    if ("wts" %in% names(data)) glm(fml, data = data, family = family_of(family), weights = wts)
    else glm(fml, data = data, family = family_of(family))
  }
  # glmmTMB 1.1.5 times its optimizer with system.time(), whose gcFirst = TRUE forces a full
  # garbage collection on every fit (0.15-0.3 s, more than half of a count-model fit here).
  # fit_tmb is glmmTMB's own (internal) fitTMB run with gcFirst = FALSE; nothing else differs
  # (glmmTMB() is glmmTMB(doFit = FALSE) followed by fitTMB()). Because fitTMB is internal, the
  # shortcut is used only on the glmmTMB version it was checked against (TMB_CHECKED) and only
  # while fitTMB still calls system.time(); otherwise the plain glmmTMB() fit is used, and
  # tests/test_models_tmb.py fails loudly so that the shortcut is re-checked.
  TMB_CHECKED <- "1.1.5"
  tmb_shortcut <- as.character(utils::packageVersion("glmmTMB")) == TMB_CHECKED &&
    exists("fitTMB", envir = asNamespace("glmmTMB"), inherits = FALSE) &&
    any(grepl("system.time", deparse(body(get("fitTMB", envir = asNamespace("glmmTMB"))))))
  fit_tmb <- local({
    f <- get("fitTMB", envir = asNamespace("glmmTMB"))
    e <- new.env(parent = asNamespace("glmmTMB"))
    e$system.time <- function(expr, gcFirst = FALSE) base::system.time(expr, gcFirst = FALSE)
    environment(f) <- e
    f
  })
  tmb_fit <- function(fml, data, family, zi) {
    zf <- if (nzchar(zi)) as.formula(zi, env = globalenv()) else ~0
    if (!tmb_shortcut) return(glmmTMB::glmmTMB(fml, data = data, family = family_of(family), ziformula = zf))
    fit_tmb(glmmTMB::glmmTMB(fml, data = data, family = family_of(family), ziformula = zf, doFit = FALSE))
  }
  fit <- function(engine, formula, data, family, nagq, zi = "") {
    fml <- as.formula(formula, env = globalenv())
    switch(engine,
      lmer = lme4::lmer(fml, data = data, REML = FALSE),
      glmer = glmer_fit(fml, data, family, nagq),
      glmer.nb = lme4::glmer.nb(fml, data = data),
      glmmTMB = tmb_fit(fml, data, family, zi),
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
  # Fixed-effect covariance (long format) for prediction bands of the change figures.
  vcov_fixed <- function(m) {
    v <- as.matrix(if (inherits(m, "glmmTMB")) vcov(m)$cond else vcov(m))
    data.frame(row = rep(rownames(v), ncol(v)), col = rep(colnames(v), each = nrow(v)),
               value = as.vector(v), stringsAsFactors = FALSE)
  }
  # Conditional modes of the location intercepts with their conditional SDs (caterpillar plot).
  location_effects <- function(m) {
    empty <- data.frame(level = character(0), estimate = numeric(0), se = numeric(0),
                        stringsAsFactors = FALSE)
    tryCatch({
      r <- if (inherits(m, "glmmTMB")) glmmTMB::ranef(m, condVar = TRUE)$cond$locatie
           else if (inherits(m, "merMod")) lme4::ranef(m, condVar = TRUE)$locatie else NULL
      if (is.null(r)) return(empty)
      v <- attr(r, if (inherits(m, "glmmTMB")) "condVar" else "postVar")
      data.frame(level = rownames(r), estimate = r[[1]], se = sqrt(v[1, 1, ]), stringsAsFactors = FALSE)
    }, error = function(e) empty)
  }
  optimizer <- function(m) {
    if (inherits(m, "merMod")) return(as.character(m@optinfo$optimizer)[1])
    if (inherits(m, "glmmTMB")) return("nlminb")
    if (inherits(m, "glm")) return("IRLS")
    if (inherits(m, "lm")) return("QR")
    NA_character_
  }
  summarise <- function(m) {
    ll <- logLik(m)
    fl <- flist(m)
    list(coefs = coefs(m), varcorr = varcorr(m),
         loglik = as.numeric(ll), df = as.numeric(attr(ll, "df")), nobs = as.numeric(nobs(m)),
         groups = if (length(fl)) sapply(fl, nlevels) else integer(0),
         sigma = disp_param(m),
         singular = if (inherits(m, "merMod")) lme4::isSingular(m) else NA,
         mean_mu0 = mean_mu0(m), conv = convergence(m), optimizer = optimizer(m),
         vcov = vcov_fixed(m), re = location_effects(m))
  }
  # ---- small-sample inference (analysis.models.smallsample) -------------------------------
  # Satterthwaite degrees of freedom and t-test p-values of an lmer fit as fitted (ML): lmerTest
  # differentiates the fixed-effect covariance with respect to the variance parameters of *this*
  # fit, so the estimates and SEs stay the reported ones (Kenward-Roger would refit by REML).
  # as_lmerModLmerTest() re-evaluates the fit's call (lme4::lmer(fml, data = data, ...)) in its
  # caller's frame to get the deviance function: `fml` and `data` are defined here for that.
  satterthwaite <- function(m, data) {
    fml <- formula(m)
    s <- summary(lmerTest::as_lmerModLmerTest(m))$coefficients
    data.frame(term = rownames(s), df = unname(s[, "df"]), p = unname(s[, "Pr(>|t|)"]),
               stringsAsFactors = FALSE)
  }
  # Profile-likelihood intervals of the named fixed effects (lme4 and glmmTMB confint()). lme4
  # profiles with nloptwrap whatever optimizer gave the fit: on the twin's room models 2.5x
  # faster than bobyqa, bounds equal to 1.5e-6.
  profile_ci <- function(m, parm, level = 0.95) {
    ci <- if (inherits(m, "glmmTMB"))
      confint(m, parm = parm, level = level, method = "profile", estimate = FALSE)
    else confint(m, parm = parm, level = level, method = "profile", optimizer = "nloptwrap")
    ci <- as.matrix(ci)
    data.frame(term = rownames(ci), low = unname(ci[, 1]), high = unname(ci[, 2]), stringsAsFactors = FALSE)
  }
  # LR test of each named fixed effect: the model refitted with that column of the fixed design
  # left out (the profile likelihood at b = 0), same engine, data, offset and random part.
  # `rest` holds the formula's offset and random terms ("offset(log_occ) + (1 | locatie)").
  term_lr <- function(m, data, engine, response, rest, family, nagq, parm) {
    fml <- as.formula(formula(m), env = globalenv())
    X <- model.matrix(lme4::nobars(fml), data)
    ll_full <- as.numeric(logLik(m))
    out <- data.frame(term = parm, lr = NA_real_, p = NA_real_, stringsAsFactors = FALSE)
    for (i in seq_along(parm)) {
      keep <- setdiff(colnames(X), parm[i])
      d2 <- data
      names_x <- sprintf(".x%d", seq_along(keep))
      for (k in seq_along(keep)) d2[[names_x[k]]] <- unname(X[, keep[k]])
      rhs <- paste(c("0", names_x, if (nzchar(rest)) rest), collapse = " + ")
      m0 <- fit(engine, paste(response, "~", rhs), d2, family, nagq)
      lr <- max(2 * (ll_full - as.numeric(logLik(m0))), 0)
      out$lr[i] <- lr
      out$p[i] <- pchisq(lr, 1, lower.tail = FALSE)
    }
    out
  }
  # Refit a model (or its null model without random effects) to a simulated response, for the
  # bootstrap replicates. lme4: refit() from the fitted object without the finite-difference
  # Hessian of its convergence check and with nloptwrap at its default tolerances (measured on
  # the twin's room models: 4x faster than the bobyqa restart, replicate log-likelihoods equal to
  # 3e-5). glmmTMB: tmb_fit on the data with the new response (its refit() pays a full garbage
  # collection per fit, see fit_tmb).
  refit_to <- function(m, y, data, response, family) {
    if (inherits(m, "merMod")) {
      m@optinfo$derivs <- NULL
      return(lme4::refit(m, newresp = y, control = if (isGLMM(m)) lme4::glmerControl(optimizer = "nloptwrap")
                                                   else lme4::lmerControl(optimizer = "nloptwrap")))
    }
    if (inherits(m, "glmmTMB")) {
      data[[response]] <- y
      return(tmb_fit(formula(m), data, family, ""))
    }
    if (inherits(m, "glm"))
      return(stats::glm.fit(x = model.matrix(m), y = y, weights = m$prior.weights,
                            offset = m$offset, family = family(m)))
    if (inherits(m, "lm")) return(stats::lm(y ~ 0 + model.matrix(m)))
    stop("refit_to: unsupported model class ", class(m)[1])
  }
  loglik_of <- function(m) {
    if (inherits(m, c("merMod", "glmmTMB", "glm", "lm"))) return(as.numeric(logLik(m)))
    # glm.fit result: logLik.glm's formula (p - aic / 2) with p = rank (+1 for a dispersion)
    fam <- m$family$family
    p <- m$rank + as.numeric(fam %in% c("gaussian", "Gamma", "inverse.gaussian"))
    p - m$aic / 2
  }
  # Parametric-bootstrap LR test of the location variance: `nsim` responses simulated from the
  # null fit (no random effect), both models refitted to each, LR = 2 (ll_full - ll_null) >= 0.
  # Replicates whose refit fails are counted and left out; warnings of the replicates (singular
  # fits are expected under the null) are counted, not raised.
  pb_lrt <- function(m, m0, data, response, family, nsim, seed) {
    ysim <- simulate(m0, nsim = nsim, seed = seed)
    lr <- rep(NA_real_, nsim); warned <- 0L
    for (i in seq_len(nsim)) {
      w <- FALSE
      lr[i] <- tryCatch(withCallingHandlers({
        y <- ysim[[i]]
        if (is.matrix(y)) y <- y[, 1]
        ll1 <- loglik_of(refit_to(m, y, data, response, family))
        ll0 <- loglik_of(refit_to(m0, y, data, response, family))
        max(2 * (ll1 - ll0), 0)
      }, warning = function(c) { w <<- TRUE; invokeRestart("muffleWarning") },
         message = function(c) invokeRestart("muffleMessage")),
      error = function(e) NA_real_)
      if (w) warned <- warned + 1L
    }
    list(lr = lr, warned = warned)
  }
  # Simulated finite-sample null distribution of the LR statistic of one variance component in an
  # ML-fitted LMM (RLRsim::exactLRT, Crainiceanu & Ruppert 2004): exact for the LMM, no refits.
  exact_lrt <- function(m, m0, nsim, seed) {
    r <- RLRsim::exactLRT(m, m0, nsim = nsim, seed = seed)
    list(lr = as.numeric(r$statistic), sample = as.numeric(r$sample))
  }
  null_fit <- function(engine, formula, data, family) fit(engine, formula, data, family, 1L)
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
    if (inherits(m, "glmmTMB") && length(glmmTMB::fixef(m)$zi))
      stop("conditional simulation not implemented for zero-inflated glmmTMB models")
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
