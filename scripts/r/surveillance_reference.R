# Reference outputs of R `surveillance` for fangkong.epi.detection (tracker issue 4).
#
# Generates small synthetic data sets (seeded), runs farringtonFlexible, earsC, algo.cusum and
# algo.bayes on them, and writes the inputs together with R's outputs as JSON fixtures that the
# Python tests read without R.
#
# Usage (from the repository root; needs Debian's r-cran-surveillance and r-cran-jsonlite):
#   Rscript scripts/r/surveillance_reference.R [output_dir]
# Default output_dir: fangkong/epi/tests/fixtures/surveillance

suppressPackageStartupMessages({
  library(surveillance)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
out_dir <- if (length(args) >= 1) args[1] else "fangkong/epi/tests/fixtures/surveillance"
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

n_time <- 7 * 52 + 10          # 374 weeks: enough for b = 5 plus a year of evaluation
eval_range <- (n_time - 59):n_time  # 1-based, the last 60 weeks (EARS, CUSUM, Bayes)
farrington_range <- (n_time - 29):n_time  # the last 30 weeks: keeps the fixture small
week <- seq_len(n_time)

seasonal_mean <- function(base, amplitude, slope = 0) {
  base * exp(amplitude * sin(2 * pi * week / 52) + slope * week / 52)
}

add_outbreaks <- function(y, at, size) {
  for (t in at) y[t:(t + 2)] <- y[t:(t + 2)] + round(size)
  y
}

set.seed(20130601)
datasets <- list()
datasets$poisson <- sapply(c(4, 10, 25), function(b) rpois(n_time, seasonal_mean(b, 0)))
datasets$seasonal <- sapply(c(3, 8, 20), function(b) {
  add_outbreaks(rpois(n_time, seasonal_mean(b, 0.8)), c(n_time - 25, n_time - 10), 3 * sqrt(b) + 4)
})
datasets$trend <- sapply(c(2, 6, 15), function(b) rpois(n_time, seasonal_mean(b, 0.3, slope = 0.15)))
datasets$overdispersed <- sapply(c(3, 10, 30), function(b) {
  add_outbreaks(rnbinom(n_time, mu = seasonal_mean(b, 0.5), size = 1.5), c(n_time - 15), 2 * b)
})
datasets$underdispersed <- sapply(c(10, 20, 40), function(n) rbinom(n_time, n, 0.5))
datasets$zeros <- cbind(
  rpois(n_time, 0.15),
  add_outbreaks(rpois(n_time, 0.4), c(n_time - 20), 3),
  c(rep(0, n_time - 30), rpois(30, 1.5))
)
missing <- sapply(c(5, 12, 30), function(b) rpois(n_time, seasonal_mean(b, 0.4)))
missing[sample(seq_len(n_time * 3), 60)] <- NA
missing[n_time - 52 * (1:5), 1] <- NA  # reference weeks of the last time point
datasets$missing <- missing
# units that started reporting recently: NA before; whole seasonal levels have no reference value
recent_start <- sapply(c(6, 15, 40), function(b) rpois(n_time, seasonal_mean(b, 0.4)))
for (j in 1:3) recent_start[1:(n_time - c(95, 120, 200)[j]), j] <- NA
datasets$recent_start <- recent_start

population <- sapply(c(1e5, 5e5, 2e6), function(p) round(p * (1 + 0.002 * week)))
datasets$population <- sapply(1:3, function(j) rpois(n_time, population[, j] * 2e-5 * (1 + 0.3 * sin(2 * pi * week / 52))))

make_sts <- function(observed, pop = NULL) {
  if (is.null(pop)) sts(observed = observed, freq = 52, start = c(2000, 1))
  else sts(observed = observed, freq = 52, start = c(2000, 1), population = pop)
}

farrington_configs <- list(
  default = list(),
  no_trend = list(trend = FALSE),
  no_reweight = list(reweight = FALSE),
  powertrans_none = list(powertrans = "none"),
  powertrans_half = list(powertrans = "1/2", alpha = 0.01),
  noufaily = list(noPeriods = 10, weightsThreshold = 2.58, pastWeeksNotIncluded = 26,
                  pThresholdTrend = 1, thresholdMethod = "nbPlugin"),
  noufaily_muan = list(noPeriods = 10, weightsThreshold = 2.58, pastWeeksNotIncluded = 26,
                       pThresholdTrend = 1, thresholdMethod = "muan"),
  seasonal_delta = list(noPeriods = 4, trend = TRUE, pThresholdTrend = 1),
  short_baseline = list(b = 2, w = 1, limit54 = c(3, 3)),
  b3_trend_weights1 = list(b = 3, w = 2, weightsThreshold = 1, pThresholdTrend = 0.5)
)

to_null <- function(x) { x <- as.matrix(x); x }

farrington_cases <- list()
for (data_name in names(datasets)) {
  observed <- datasets[[data_name]]
  for (config_name in names(farrington_configs)) {
    control <- modifyList(farrington_configs[[config_name]], list(range = farrington_range))
    res <- suppressWarnings(farringtonFlexible(make_sts(observed), control = control))
    farrington_cases[[length(farrington_cases) + 1]] <- list(
      data = data_name, config = config_name, control = farrington_configs[[config_name]],
      range = farrington_range,
      upperbound = res@upperbound, alarm = res@alarm * 1,
      expected = res@control$expected, score = res@control$score, pvalue = res@control$pvalue,
      phi = res@control$phiVector, trend = res@control$trend,
      trend_coefficient = res@control$trendVector, mu0 = res@control$mu0Vector
    )
  }
}
# population offset
for (config_name in c("default", "noufaily")) {
  control <- modifyList(farrington_configs[[config_name]], list(range = farrington_range, populationOffset = TRUE))
  res <- suppressWarnings(farringtonFlexible(make_sts(datasets$population, population), control = control))
  farrington_cases[[length(farrington_cases) + 1]] <- list(
    data = "population", config = paste0(config_name, "_population_offset"),
    control = modifyList(farrington_configs[[config_name]], list(populationOffset = TRUE)),
    range = farrington_range,
    upperbound = res@upperbound, alarm = res@alarm * 1,
    expected = res@control$expected, score = res@control$score, pvalue = res@control$pvalue,
    phi = res@control$phiVector, trend = res@control$trend,
    trend_coefficient = res@control$trendVector, mu0 = res@control$mu0Vector
  )
}

ears_configs <- list(
  C1 = list(method = "C1"), C2 = list(method = "C2"), C3 = list(method = "C3"),
  C1_b10_sigma1 = list(method = "C1", baseline = 10, minSigma = 1),
  C2_alpha05 = list(method = "C2", alpha = 0.05, minSigma = 0.5),
  C3_b5_sigma1 = list(method = "C3", baseline = 5, minSigma = 1, alpha = 0.01)
)
ears_cases <- list()
for (data_name in names(datasets)) {
  for (config_name in names(ears_configs)) {
    control <- modifyList(ears_configs[[config_name]], list(range = eval_range))
    res <- earsC(make_sts(datasets[[data_name]]), control = control)
    ears_cases[[length(ears_cases) + 1]] <- list(
      data = data_name, config = config_name, control = ears_configs[[config_name]], range = eval_range,
      upperbound = res@upperbound, alarm = res@alarm * 1
    )
  }
}

cusum_configs <- list(
  standard = list(), rossi = list(trans = "rossi"), anscombe = list(trans = "anscombe"),
  anscombe2nd = list(trans = "anscombe2nd", k = 0.5, h = 4),
  pearson_negbin = list(trans = "pearsonNegBin", alpha = 0.3),
  none_fixed_m = list(trans = "none", m = 5, k = 6, h = 10),
  standard_fixed_m = list(m = 8)
)
cusum_cases <- list()
for (data_name in setdiff(names(datasets), c("missing", "recent_start"))) {
  observed <- datasets[[data_name]]
  for (config_name in names(cusum_configs)) {
    control <- modifyList(cusum_configs[[config_name]], list(range = eval_range))
    columns <- lapply(1:ncol(observed), function(j) {
      algo.cusum(create.disProg(week = week, observed = observed[, j], state = 0 * observed[, j], freq = 52),
                 control = control)
    })
    cusum_cases[[length(cusum_cases) + 1]] <- list(
      data = data_name, config = config_name, control = cusum_configs[[config_name]], range = eval_range,
      upperbound = sapply(columns, function(r) r$upperbound), alarm = sapply(columns, function(r) r$alarm),
      cusum = sapply(columns, function(r) r$cusum)
    )
  }
}

bayes_configs <- list(
  default = list(), b1_w3 = list(b = 1, w = 3, actY = TRUE),
  b2_w2_noact = list(b = 2, w = 2, actY = FALSE, alpha = 0.01)
)
bayes_cases <- list()
for (data_name in names(datasets)) {
  observed <- datasets[[data_name]]
  for (config_name in names(bayes_configs)) {
    control <- modifyList(bayes_configs[[config_name]], list(range = eval_range))
    columns <- lapply(1:ncol(observed), function(j) {
      algo.bayes(create.disProg(week = week, observed = observed[, j], state = 0 * observed[, j], freq = 52),
                 control = control)
    })
    bayes_cases[[length(bayes_cases) + 1]] <- list(
      data = data_name, config = config_name, control = bayes_configs[[config_name]], range = eval_range,
      upperbound = sapply(columns, function(r) r$upperbound), alarm = sapply(columns, function(r) r$alarm)
    )
  }
}

write_fixture <- function(object, name) {
  path <- file.path(out_dir, name)
  writeLines(toJSON(object, digits = NA, na = "null", auto_unbox = TRUE, matrix = "rowmajor"), path)
  cat("wrote", path, "\n")
}
write_fixture(list(
  surveillance_version = as.character(packageVersion("surveillance")),
  r_version = R.version.string,
  datasets = lapply(datasets, to_null),
  population = population
), "datasets.json")
write_fixture(farrington_cases, "farrington_flexible.json")
write_fixture(ears_cases, "ears.json")
write_fixture(cusum_cases, "cusum.json")
write_fixture(bayes_cases, "bayes.json")
