# Placeholder: fails loudly if anything ever calls it.
report <- function(...) stop("The local 'report' placeholder has no functionality (see r/report-shim).")
