# Reference outputs of EpiEstim for fangkong.epi.rt (tracker issue 5).
#
# Writes small JSON fixtures to fangkong/epi/tests/fixtures/epiestim/, one per case. The Python tests
# read them without R. Regenerate with (Debian: apt-get install r-cran-epiestim r-cran-jsonlite):
#
#     Rscript scripts/r/epiestim_reference.R
#
# Cases: parametric and non-parametric serial interval on EpiEstim's Flu2009 data, local + imported cases
# (Thompson et al. 2019), custom windows (some ending before the mean serial interval, so EpiEstim returns
# NA), a non-default prior, a small outbreak where EpiEstim warns that the posterior CV is too large,
# several regions run one by one (to check the vectorised path), and uncertain_si.
#
# uncertain_si is Monte Carlo in EpiEstim and R's random numbers cannot be reproduced in numpy. Its fixture
# therefore also records what is deterministic given the random draws: the (mean, std) serial-interval
# pairs EpiEstim drew (SI.Moments) and the discretised serial intervals it built from them (si_distr).
# The Python test feeds those pairs to fangkong, checks the discretised intervals to 1e-6 and compares
# EpiEstim's Monte Carlo posterior summaries to fangkong's exact gamma-mixture summaries within a
# tolerance derived from the Monte Carlo standard error (n1 * n2 draws).

suppressPackageStartupMessages({
  library(EpiEstim)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script_path <- sub("^--file=", "", args[grep("^--file=", args)])
repo_root <- normalizePath(file.path(dirname(script_path), "..", ".."))
out_dir <- file.path(repo_root, "fangkong", "epi", "tests", "fixtures", "epiestim")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

result_table <- function(res) {
  r <- res$R
  list(
    t_start = r$t_start,
    t_end = r$t_end,
    mean = r[["Mean(R)"]],
    std = r[["Std(R)"]],
    quantiles = list(
      "0.025" = r[["Quantile.0.025(R)"]],
      "0.05" = r[["Quantile.0.05(R)"]],
      "0.25" = r[["Quantile.0.25(R)"]],
      "0.5" = r[["Median(R)"]],
      "0.75" = r[["Quantile.0.75(R)"]],
      "0.95" = r[["Quantile.0.95(R)"]],
      "0.975" = r[["Quantile.0.975(R)"]]
    )
  )
}

# Runs estimate_R and records the warnings instead of printing them.
run_epiestim <- function(incid, method, config) {
  warnings_seen <- character(0)
  res <- withCallingHandlers(
    suppressMessages(estimate_R(incid, method = method, config = config)),
    warning = function(w) {
      warnings_seen <<- c(warnings_seen, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  list(res = res, warnings = warnings_seen)
}

write_case <- function(name, payload) {
  path <- file.path(out_dir, paste0(name, ".json"))
  writeLines(toJSON(payload, digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE), path)
  cat("wrote", path, "\n")
}

data(Flu2009)
flu <- Flu2009$incidence$I

# 1. Parametric serial interval, default weekly windows.
cfg <- make_config(list(mean_si = 2.6, std_si = 1.5))
run <- run_epiestim(flu, "parametric_si", cfg)
write_case("flu2009_parametric", list(
  local = flu, mean_si = 2.6, std_si = 1.5, mean_prior = 5, std_prior = 5,
  si_distr = unname(run$res$si_distr), warnings = run$warnings, result = result_table(run$res)
))

# 2. Non-parametric serial interval, default weekly windows.
cfg <- make_config(list(si_distr = Flu2009$si_distr))
run <- run_epiestim(flu, "non_parametric_si", cfg)
write_case("flu2009_nonparametric", list(
  local = flu, si_distr_in = Flu2009$si_distr, mean_prior = 5, std_prior = 5,
  warnings = run$warnings, result = result_table(run$res)
))

# 3. Local and imported cases (Thompson et al. 2019), parametric SI, custom windows.
set.seed(20230105)
n_days <- 60
imported <- rpois(n_days, lambda = c(rep(4, 20), rep(1, 20), rep(0.2, 20)))
local <- rpois(n_days, lambda = c(seq(0, 30, length.out = 30), seq(30, 8, length.out = 30)))
local[1] <- 0
t_start <- c(2, 5, 10, 20, 30, 40, 46)
t_end <- c(8, 15, 16, 34, 36, 60, 60)
cfg <- make_config(list(mean_si = 5.2, std_si = 2.8, t_start = t_start, t_end = t_end))
run <- run_epiestim(data.frame(local = local, imported = imported), "parametric_si", cfg)
write_case("imported_parametric_custom_windows", list(
  local = local, imported = imported, mean_si = 5.2, std_si = 2.8, t_start = t_start, t_end = t_end,
  mean_prior = 5, std_prior = 5, si_distr = unname(run$res$si_distr), warnings = run$warnings,
  result = result_table(run$res)
))

# 4. Non-parametric SI, custom windows that partly end before the mean SI (NA), non-default prior,
#    local cases on day 1 (EpiEstim moves them to imported and warns).
si_custom <- c(0, 0.05, 0.15, 0.25, 0.2, 0.15, 0.1, 0.06, 0.04)
local4 <- local
local4[1] <- 3
t_start <- c(2, 2, 3, 4, 10, 25, 50)
t_end <- c(2, 3, 4, 12, 10, 40, 60)
cfg <- make_config(list(si_distr = si_custom, t_start = t_start, t_end = t_end,
                        mean_prior = 2, std_prior = 1.5))
run <- run_epiestim(data.frame(local = local4, imported = imported), "non_parametric_si", cfg)
write_case("imported_nonparametric_custom_windows_prior", list(
  local = local4, imported = imported, si_distr_in = si_custom, t_start = t_start, t_end = t_end,
  mean_prior = 2, std_prior = 1.5, warnings = run$warnings, result = result_table(run$res)
))

# 5. A small outbreak: EpiEstim warns that the first window is too early for the desired posterior CV.
small <- c(1, 0, 1, 0, 0, 2, 1, 0, 1, 3, 2, 1, 4, 2, 5, 3, 6, 4, 8, 5)
cfg <- make_config(list(mean_si = 4, std_si = 2))
run <- run_epiestim(small, "parametric_si", cfg)
write_case("small_outbreak_cv_warning", list(
  local = small, mean_si = 4, std_si = 2, mean_prior = 5, std_prior = 5,
  warnings = run$warnings, result = result_table(run$res)
))

# 6. Several regions, run one by one; the Python test runs them as one (time, unit) matrix.
set.seed(7)
n_days <- 90
n_units <- 4
growth <- c(0.05, -0.02, 0.0, 0.08)
regions <- sapply(seq_len(n_units), function(u) {
  rpois(n_days, lambda = 5 * exp(growth[u] * seq_len(n_days)) + 0.5)
})
regions[1, ] <- 0
regions_imported <- matrix(rpois(n_days * n_units, 0.7), n_days, n_units)
results <- lapply(seq_len(n_units), function(u) {
  loc <- regions[, u]
  loc[1] <- 0
  run <- run_epiestim(data.frame(local = loc, imported = regions_imported[, u]), "parametric_si",
                      make_config(list(mean_si = 6.5, std_si = 4.0)))
  result_table(run$res)
})
write_case("regions_parametric", list(
  local = regions, imported = regions_imported, mean_si = 6.5, std_si = 4.0, mean_prior = 5,
  std_prior = 5, results = results
))

# 7. Uncertain serial interval (Monte Carlo in EpiEstim; see the header for how it is compared).
cfg <- make_config(list(
  mean_si = 2.6, std_mean_si = 1, min_mean_si = 1, max_mean_si = 4.2,
  std_si = 1.5, std_std_si = 0.5, min_std_si = 0.5, max_std_si = 2.5,
  n1 = 100, n2 = 2000, seed = 1
))
run <- run_epiestim(flu, "uncertain_si", cfg)
write_case("flu2009_uncertain_si", list(
  local = flu, mean_si = 2.6, std_mean_si = 1, min_mean_si = 1, max_mean_si = 4.2,
  std_si = 1.5, std_std_si = 0.5, min_std_si = 0.5, max_std_si = 2.5, n1 = 100, n2 = 2000,
  mean_prior = 5, std_prior = 5,
  si_moment_draws = list(mean = run$res$SI.Moments$Mean, std = run$res$SI.Moments$Std),
  si_distr = unname(run$res$si_distr), warnings = run$warnings, result = result_table(run$res)
))

# 8. discr_si on its own, for a few (mean, std) pairs.
pairs <- list(c(2.6, 1.5), c(5.2, 2.8), c(1.5, 0.3), c(10, 7), c(3, 0.01))
write_case("discr_si", lapply(pairs, function(p) {
  list(mean = p[1], std = p[2], k = 0:40, p = discr_si(0:40, p[1], p[2]))
}))
