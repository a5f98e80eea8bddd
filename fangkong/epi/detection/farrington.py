"""Farrington (1996) and improved Farrington (Noufaily et al. 2013), as R ``surveillance::farringtonFlexible``.

For each evaluated time point ``k`` a quasi-Poisson log-linear model is fitted to the reference
values of the ``b`` previous years (windows of ``2w+1`` points around ``k - i*freq``; with
``no_periods > 1`` the rest of each year is split into ``no_periods - 1`` seasonal factor levels),
leaving out the ``past_weeks_not_included`` most recent points. Outliers are down-weighted with
Anscombe residuals (``reweight``), a time trend is kept only if significant, if ``b >= 3`` and if it
does not extrapolate beyond the largest reference count, and a one-sided upper bound is derived:
``"delta"`` (Farrington: 2/3-power transform and the delta method), ``"nbPlugin"`` (Noufaily:
negative-binomial quantile at the fitted mean) or ``"muan"`` (negative-binomial quantile at the upper
``1-alpha`` limit of the fitted mean).

Vectorisation: for a weekly series with integer ``freq`` the design of the reference set depends only
on the offset from ``k``, not on ``k`` itself, so every (time point, unit) pair shares one design
matrix and the fits run together as a batched IRLS, in cache-sized blocks of ``BATCH_SIZE`` fits.
The design uses one indicator per seasonal level (same column space as R's intercept and treatment
dummies), so the normal equations are arrow-shaped and are solved in closed form (Schur complement of
the diagonal level block): every IRLS step is a handful of elementwise passes, with no per-fit
linear algebra. The trend variable is centred and scaled (an affine change of ``wtime``, which leaves
fitted values, standard errors of predictions and the trend p-value unchanged);
``trend_coefficient`` is reported per time step, as R does. The flat (no-trend) model is fitted only
where the trend is dropped, and the reweighted refit only where some Anscombe weight differs from 1.

Faithfulness to R: the IRLS reproduces ``glm.fit`` step for step (start ``mu = y + 0.1``, stopping
rule ``|dev - dev_old| / (|dev| + 0.1) < 1e-8``, at most 25 iterations, working weights of the last
iteration for covariance, hat values and Pearson dispersion) so that results agree with R to
rounding, including in slowly converging cases. Also reproduced: the standard error of the prediction
uses the raw dispersion estimate while the threshold uses ``phi = max(dispersion, 1)``; with
``"nbPlugin"``/``"muan"`` the score is ``(y - eta0) / (U - eta0)`` with ``eta0`` on the log scale;
an alarm needs ``score > 1``, a non-zero count and at least ``limit54[0]`` cases in the last
``limit54[1]`` points (else the bound is NaN). Missing reference counts are dropped from the fit.

Where R departs from the published method (``r_compat``): after reweighting, R's
``algo.farrington.fitGLM.flexible`` overwrites the fitted model's working weights with the Anscombe
weights ``omega``; ``summary.glm`` and ``predict.glm`` then estimate the dispersion as
``sum(omega * ((y - mu) / mu)**2) / df`` instead of ``sum(omega * mu * ((y - mu) / mu)**2) / df``, which
shrinks the standard error of the prediction and of the trend coefficient by about ``1/sqrt(mu)``
(so trends are kept too often and the bound is too low for large counts). Farrington et al. (1996)
and Noufaily et al. (2013) use the model's dispersion. By default (``r_compat=False``) we use the
correct dispersion; ``r_compat=True`` reproduces R exactly (also leaving ``expected`` at 0 where no
model converged, as R does). Without reweighting both modes are identical.

Known limits: reference weeks are found by offsets of ``freq`` time points (R's behaviour for an
``sts`` without ``epochAsDate``); R's date mode, which picks the same weekday a calendar year back,
is not reproduced. If missing counts leave a seasonal level without any observation, R's QR drops
that column (rank-deficient fit) and predicts at the level absorbed into the intercept when it is the
current level; we do the same (checked against R on the ``recent_start`` reference data); R fails
outright when no reference value at all is observed, we return NaN. Where a seasonal
level holds only zeros its coefficient diverges and R's iteration stops on the deviance criterion
while the coefficients still move; bounds then agree with R to about 1e-6 relative instead of 1e-12
(seen in the ``zeros`` reference data).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import stats

from fangkong.epi.detection.detector import DetectorControl
from fangkong.epi.detection.result import DetectionResult
from fangkong.epi.series import SurveillanceSeries, coerce_series, resolve_timepoints

THRESHOLD_METHODS = ("delta", "nbPlugin", "muan")
POWER_TRANSFORMS = {"none": 1.0, "1/2": 0.5, "2/3": 2.0 / 3.0}
GLM_EPSILON = 1e-8
GLM_MAXIT = 25
#: number of (time point, unit) fits solved together; bounds memory use
BATCH_SIZE = 2048


def reference_design(*, freq: int, b: int, w: int, no_periods: int, past_weeks_not_included: int):
    """Offsets (relative to ``k``) and seasonal factor level of the reference points used at ``k``.

    Mirrors R ``surveillance:::blocks`` for a regular series: windows ``[k - i*freq - w, k - i*freq + w]``
    get level ``no_periods``; with ``no_periods > 1`` the stretch between consecutive windows is cut into
    ``no_periods - 1`` blocks (the first ``rest`` blocks one point longer). Points in
    ``[k - past_weeks_not_included, k]`` are left out.
    """
    span = b * freq + w
    factors = np.full(span + 1, np.nan)  # position = offset + span
    factors[span - w : span + 1] = no_periods
    for i in range(1, b + 1):
        ref = span - i * freq
        factors[ref - w : ref + w + 1] = no_periods
        if no_periods != 1:
            period = freq - 2 * w - 1
            if period < no_periods - 1:
                raise ValueError(
                    f"no_periods={no_periods} is too large for freq={freq} and w={w}: "
                    f"only {period} points lie between reference windows"
                )
            lengths = np.full(no_periods - 1, period // (no_periods - 1))
            lengths[: period % (no_periods - 1)] += 1
            bounds = np.concatenate([[0], np.cumsum(lengths)])
            for level in range(1, no_periods):
                start = ref + w + 1 + bounds[level - 1]
                factors[start : ref + w + 1 + bounds[level]] = level
    offsets = np.arange(-span, 1)
    keep = ~np.isnan(factors) & (offsets < -past_weeks_not_included)
    return offsets[keep], factors[keep].astype(int)


def _poisson_deviance(y_log_y: np.ndarray, y: np.ndarray, eta: np.ndarray, mu: np.ndarray, prior: np.ndarray):
    """Poisson deviance ``2 * sum(prior * (y log(y/mu) - (y - mu)))`` with ``log(mu) = eta`` (no log call)."""
    return 2.0 * np.sum(prior * (y_log_y - y * eta - y + mu), axis=-1)


def _fit_quasipoisson(
    wtime: np.ndarray | None,
    level_starts: np.ndarray,
    level_of_row: np.ndarray,
    y: np.ndarray,
    prior: np.ndarray,
    offset: np.ndarray | None,
) -> dict:
    """Batched ``glm(y ~ [wtime +] level - 1, family = quasipoisson, weights = prior, offset = offset)``.

    The design is shared by the whole batch: one indicator column per seasonal level (the same column
    space as R's intercept plus treatment dummies) and optionally the trend ``wtime``. The normal
    equations then have an arrow shape (diagonal level block), solved in closed form by a Schur
    complement, which keeps every step elementwise over the batch. ``y``, ``prior``, ``offset`` are
    (B, n); rows with ``prior == 0`` are absent. Returns the quantities later steps need (coefficients,
    fitted means, the working weights and the level / Schur sums of the last iteration, convergence,
    Pearson dispersion, residual degrees of freedom).
    """
    n_batch, n_obs = y.shape
    n_levels = level_starts.size

    def by_level(values: np.ndarray) -> np.ndarray:
        # rows are sorted by level: per-level sums without BLAS (whose threads only contend here)
        return np.add.reduceat(values, level_starts, axis=-1)

    def dot_wtime(values: np.ndarray) -> np.ndarray:
        return np.einsum("bn,n->b", values, wtime)

    with np.errstate(divide="ignore", invalid="ignore"):
        y_log_y = np.where(y > 0, y * np.log(y), 0.0)
    # glm.fit's start: mu = y + 0.1, eta = log(mu) (the offset is ignored in the start)
    mu = y + 0.1
    dev_old = _poisson_deviance(y_log_y, y, np.log(mu), mu, prior)
    linear = np.log(mu) if offset is None else np.log(mu) - offset  # eta - offset
    weight = prior * mu
    # The deviance 2*sum(prior*(y log y - y log mu - y + mu)) is linear in the coefficients apart from
    # sum(prior*mu): with the per-level sums of prior*y precomputed, each iteration needs one pass.
    prior_y = prior * y
    deviance_constant = 2.0 * np.sum(prior * y_log_y - prior_y, axis=-1)
    if offset is not None:
        deviance_constant -= 2.0 * np.sum(prior_y * offset, axis=-1)
    prior_y_levels = by_level(prior_y)
    prior_y_trend = np.zeros(n_batch) if wtime is None else dot_wtime(prior_y)
    out = {
        "beta_levels": np.zeros((n_batch, n_levels)),
        "beta_trend": np.zeros(n_batch),
        "level_sum": np.zeros((n_batch, n_levels)),
        "level_trend_sum": np.zeros((n_batch, n_levels)),
        "schur": np.full(n_batch, np.inf),
        "work_weight": np.zeros_like(y),
        "linear": np.zeros_like(y),
    }
    # A level whose reference values are all missing drops out of the model, as R's pivoted QR drops
    # its all-zero dummy column (an infinite level sum zeroes its coefficient and contributions).
    observed_levels = by_level((prior > 0).astype(float)) > 0
    converged = np.zeros(n_batch, dtype=bool)
    # Working set: the batch elements still iterating, compacted only when half of them are done
    # (converged elements left in it are computed but no longer recorded).
    members = np.arange(n_batch)
    alive = np.ones(n_batch, dtype=bool)
    work = {
        "prior": prior,
        "prior_y": prior_y,
        "offset": offset,
        "constant": deviance_constant,
        "levels": prior_y_levels,
        "trend": prior_y_trend,
        "dev_old": dev_old,
        "observed_levels": observed_levels,
    }
    np_errors = np.seterr(divide="ignore", invalid="ignore", over="ignore")
    # preallocated (B, n) buffers, reused every iteration (large temporaries dominate the cost)
    spare_linear, spare_weight, scratch = np.empty_like(linear), np.empty_like(weight), np.empty_like(weight)
    for iteration in range(GLM_MAXIT):
        # working response z = (eta - offset) + (y - mu) / mu; weighted: weight*z = weight*(linear - 1) + prior*y
        weighted_z = np.subtract(linear, 1.0, out=scratch)
        np.multiply(weighted_z, weight, out=weighted_z)
        np.add(weighted_z, work["prior_y"], out=weighted_z)
        s0 = np.where(work["observed_levels"], by_level(weight), np.inf)
        r_levels = by_level(weighted_z)
        new_linear = spare_linear
        if wtime is None:
            b_levels = r_levels / s0
            b_trend = np.zeros(len(members))
            c_levels = np.zeros_like(s0)
            s_trend = np.full(len(members), np.inf)
            r_trend = None
        else:
            r_trend = dot_wtime(weighted_z)
            weight_t = np.multiply(weight, wtime, out=scratch)
            c_levels = by_level(weight_t)
            s_trend = dot_wtime(weight_t) - np.sum(c_levels**2 / s0, axis=-1)
            b_trend = (r_trend - np.sum(c_levels * r_levels / s0, axis=-1)) / s_trend
            b_levels = (r_levels - c_levels * b_trend[:, None]) / s0
        np.take(b_levels, level_of_row, axis=1, out=new_linear)
        if wtime is not None:
            np.multiply(b_trend[:, None], wtime, out=scratch)
            np.add(new_linear, scratch, out=new_linear)
        fitted_sum = np.sum(b_levels * work["levels"], axis=-1) + b_trend * work["trend"]
        new_weight = spare_weight
        if work["offset"] is None:
            np.exp(new_linear, out=new_weight)
        else:
            np.add(new_linear, work["offset"], out=new_weight)
            np.exp(new_weight, out=new_weight)
        np.multiply(new_weight, work["prior"], out=new_weight)
        dev = work["constant"] - 2.0 * fitted_sum + 2.0 * np.sum(new_weight, axis=-1)
        done = alive & (np.abs(dev - work["dev_old"]) / (np.abs(dev) + 0.1) < GLM_EPSILON)
        last = iteration == GLM_MAXIT - 1
        record = alive if last else done
        if record.any():
            target = members[record]
            out["beta_levels"][target], out["beta_trend"][target] = b_levels[record], b_trend[record]
            out["level_sum"][target], out["level_trend_sum"][target] = s0[record], c_levels[record]
            out["schur"][target] = s_trend[record]
            out["work_weight"][target], out["linear"][target] = weight[record], new_linear[record]
            converged[members[done]] = True
        alive &= ~done
        spare_linear, spare_weight = linear, weight
        linear, weight, work["dev_old"] = new_linear, new_weight, dev
        if not alive.any():
            break
        if alive.sum() * 2 < len(members):
            members = members[alive]
            linear, weight = linear[alive], weight[alive]
            spare_linear, spare_weight, scratch = (
                np.empty_like(linear),
                np.empty_like(weight),
                np.empty_like(weight),
            )
            work = {key: None if value is None else value[alive] for key, value in work.items()}
            alive = np.ones(len(members), dtype=bool)
    beta_levels, beta_trend = out["beta_levels"], out["beta_trend"]
    level_sum, level_trend_sum, schur = out["level_sum"], out["level_trend_sum"], out["schur"]
    work_weight = out["work_weight"]
    eta = out["linear"] if offset is None else out["linear"] + offset
    mu = np.exp(eta)
    np.seterr(**np_errors)
    rank = observed_levels.sum(axis=-1) + (0 if wtime is None else 1)
    df_residual = np.sum(prior > 0, axis=-1) - rank
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = np.sum(np.where(work_weight > 0, work_weight * ((y - mu) / mu) ** 2, 0.0), axis=-1)
        dispersion = pearson / df_residual
    return {
        "beta_levels": beta_levels,
        "beta_trend": beta_trend,
        "mu": mu,
        "eta": eta,
        "work_weight": work_weight,
        "level_sum": level_sum,
        "level_trend_sum": level_trend_sum,
        "schur": schur,
        "converged": converged,
        "dispersion": dispersion,
        "df_residual": df_residual,
        "observed_levels": observed_levels,
        "has_trend": wtime is not None,
    }


def _unscaled_variance(fit: dict, wtime: np.ndarray | float, level: np.ndarray | int) -> np.ndarray:
    """``x' (X'WX)^-1 x`` for every design row (``wtime`` and ``level`` per row): result (B, n).

    Computed from the arrow-shaped inverse; rows of a dropped (unobserved) level get their own,
    unused, value.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        s0 = fit["level_sum"][:, level]
        variance = 1.0 / s0
        if fit["has_trend"]:
            centre = fit["level_trend_sum"][:, level] / s0
            variance = variance + (wtime - centre) ** 2 / fit["schur"][:, None]
    return variance


def _anscombe_weights(fit, wtime, level_of_row, y_two_thirds, present, phi, threshold: float):
    """R ``anscombe.residuals`` then ``algo.farrington.assign.weights``, batched.

    ``y_two_thirds`` is ``y ** (2/3)``, computed once per batch; ``mu ** (-1/6)`` comes from ``eta``.
    """
    hat = fit["work_weight"] * _unscaled_variance(fit, 0.0 if wtime is None else wtime, level_of_row)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        residual = 1.5 * (y_two_thirds * np.exp(fit["eta"] / -6.0) - np.sqrt(fit["mu"]))
        residual = residual / np.sqrt(phi[:, None] * (1.0 - hat))
        large = present & (residual > threshold)
        inverse_square = np.where(large, residual**-2.0, 1.0)
        gamma = present.sum(axis=-1) / np.sum(np.where(present, inverse_square, 0.0), axis=-1)
    return np.where(present, gamma[:, None] * inverse_square, 0.0)


def _fit_farrington_model(
    wtime,
    *,
    level_starts,
    level_of_row,
    y,
    present,
    offset,
    reweight: bool,
    weights_threshold: float,
    r_compat: bool,
) -> dict:
    """R ``algo.farrington.fitGLM.flexible`` for one formula: fit, optionally reweight and refit.

    ``fit["dispersion"]`` is what later feeds the trend test and the prediction's standard error:
    the Pearson dispersion, or with ``r_compat`` and ``reweight`` R's value computed after it
    overwrote the working weights with the Anscombe weights ``omega``
    (``sum(omega * ((y - mu) / mu)**2) / df``).
    """
    prior = present.astype(float)
    fit = _fit_quasipoisson(wtime, level_starts, level_of_row, y, prior, offset)
    converged = fit["converged"]
    phi = np.maximum(fit["dispersion"], 1.0)
    if reweight:
        omega = _anscombe_weights(fit, wtime, level_of_row, np.cbrt(y) ** 2, present, phi, weights_threshold)
        # Without any residual above the threshold every weight is exactly 1 and the refit (same data,
        # same start) is the first fit again: refit only the others.
        refit = np.any(present & (omega != 1.0), axis=-1)
        if refit.all():
            fit = _fit_quasipoisson(wtime, level_starts, level_of_row, y, omega, offset)
        elif refit.any():
            again = _fit_quasipoisson(
                wtime,
                level_starts,
                level_of_row,
                y[refit],
                omega[refit],
                None if offset is None else offset[refit],
            )
            for key, value in again.items():
                if isinstance(value, np.ndarray):
                    fit[key] = fit[key].copy()
                    fit[key][refit] = value
        phi = np.maximum(fit["dispersion"], 1.0)
        if r_compat:
            with np.errstate(divide="ignore", invalid="ignore"):
                working = np.where(omega > 0, omega * ((y - fit["mu"]) / fit["mu"]) ** 2, 0.0)
                fit["dispersion"] = working.sum(axis=-1) / fit["df_residual"]
    fit["phi"] = phi
    fit["first_fit_converged"] = converged
    return fit


def _predict(fit: dict, wtime_now: float, level_now: int, offset_now: np.ndarray | None):
    """Linear predictor at (``wtime_now``, ``level_now``) and its standard error (as R's predict.glm).

    Where the prediction's level has no observed reference value, R predicts from the rank-deficient
    fit with that level's coefficient missing, i.e. at the level absorbed into the intercept: the
    first level if observed, else the last observed one (pivoted out of R's QR). We do the same.
    """
    observed = fit["observed_levels"]
    n_levels = observed.shape[1]
    fallback = np.where(observed[:, 0], 0, n_levels - 1 - np.argmax(observed[:, ::-1], axis=1))
    level = np.where(observed[:, level_now], level_now, fallback)
    batch = np.arange(level.size)
    eta = fit["beta_levels"][batch, level] + fit["beta_trend"] * wtime_now
    if offset_now is not None:
        eta = eta + offset_now
    with np.errstate(divide="ignore", invalid="ignore"):
        s0 = fit["level_sum"][batch, level]
        variance = 1.0 / s0
        if fit["has_trend"]:
            centre = fit["level_trend_sum"][batch, level] / s0
            variance = variance + (wtime_now - centre) ** 2 / fit["schur"]
    return eta, np.sqrt(variance * fit["dispersion"])


def _threshold_delta(mu0, se_mu0, phi, y, alpha, exponent):
    """R ``algo.farrington.threshold.farrington`` (the 1996 delta-method bound)."""
    z = stats.norm.ppf(1 - alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = phi + se_mu0**2 / mu0
        if exponent == 1.0:
            se = np.sqrt(mu0 * tau)
        elif exponent == 0.5:
            se = np.sqrt(0.25 * tau)
        else:
            se = np.sqrt(4.0 / 9.0 * mu0 ** (1.0 / 3.0) * tau)
        upper = (mu0**exponent + z * se) ** (1.0 / exponent)
        pvalue = stats.norm.sf(y**exponent, loc=mu0**exponent, scale=se)
        score = (y - mu0) / (upper - mu0)
    return upper, pvalue, score


def _threshold_negative_binomial(eta0, se_eta0, phi, y, alpha, method):
    """R ``algo.farrington.threshold.noufaily`` ("nbPlugin" and "muan")."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if method == "nbPlugin":
            mu_quantile = np.exp(eta0)
        else:
            mu_quantile = np.exp(stats.norm.ppf(1 - alpha, loc=eta0, scale=se_eta0))
        finite = np.isfinite(mu_quantile)
        overdispersed = phi > 1
        size = mu_quantile / (phi - 1)
        nb_upper = stats.nbinom.ppf(1 - alpha, np.where(overdispersed, size, 1.0), 1.0 / phi)
        nb_pvalue = stats.nbinom.sf(y - 1, np.where(overdispersed, size, 1.0), 1.0 / phi)
        pois_upper = stats.poisson.ppf(1 - alpha, mu_quantile)
        pois_pvalue = stats.poisson.sf(y - 1, mu_quantile)
        upper = np.where(overdispersed, nb_upper, pois_upper)
        pvalue = np.where(overdispersed, nb_pvalue, pois_pvalue)
        upper = np.where(finite, upper, np.nan)
        pvalue = np.where(finite, pvalue, np.nan)
        score = (y - eta0) / (upper - eta0)
    return upper, pvalue, score


@dataclass(frozen=True)
class FarringtonControl(DetectorControl):
    """Control of R ``surveillance::farringtonFlexible(sts, control = list(...))``; R's defaults (Farrington 1996).

    The improved method of Noufaily et al. (2013): ``no_periods=10, weights_threshold=2.58,
    past_weeks_not_included=26, p_threshold_trend=1, threshold_method="nbPlugin"``.
    """

    name: ClassVar[str] = "farringtonFlexible"
    r_function: ClassVar[str] = "surveillance::farringtonFlexible"

    #: number of past years in the reference set, >= 1 (R ``b``)
    b: int = 5
    #: half-width of each year's window of reference points (R ``w``); 2w+1 must not exceed ``freq``
    w: int = 3
    #: down-weight outliers in the reference set with Anscombe residuals (R ``reweight``)
    reweight: bool = True
    #: residual above which a reference point is down-weighted (R ``weightsThreshold``; Noufaily: 2.58)
    weights_threshold: float = 2.58
    #: one-sided level of the upper bound (R ``alpha``)
    alpha: float = 0.05
    #: fit a time trend, kept only if significant, if b >= 3 and if it does not extrapolate (R ``trend``)
    trend: bool = True
    #: p-value below which the trend is kept (R ``pThresholdTrend``; Noufaily: 1)
    p_threshold_trend: float = 0.05
    #: (cases, points): no alarm unless at least ``cases`` in the last ``points`` time points (R ``limit54``)
    limit54: tuple[int, int] = (5, 4)
    #: power transformation for the "delta" bound: "2/3", "1/2" or "none" (R ``powertrans``)
    powertrans: str = "2/3"
    #: use log(population) as an offset; the series must carry a positive population (R ``populationOffset``)
    population_offset: bool = False
    #: seasonal factor levels: 1 = Farrington's windows only; Noufaily: 10 (R ``noPeriods``)
    no_periods: int = 1
    #: most recent points left out of the reference set; None = ``w`` (R ``pastWeeksNotIncluded``)
    past_weeks_not_included: int | None = None
    #: "delta" (Farrington), "nbPlugin" or "muan" (Noufaily) (R ``thresholdMethod``)
    threshold_method: str = "delta"
    #: True reproduces R's dispersion after reweighting (see the module docstring)
    r_compat: bool = False

    def __post_init__(self) -> None:
        for name, least in (("b", 1), ("w", 0), ("no_periods", 1)):
            value = getattr(self, name)
            if int(value) != value or value < least:
                raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
            object.__setattr__(self, name, int(value))
        if self.threshold_method not in THRESHOLD_METHODS:
            raise ValueError(f"threshold_method must be one of {THRESHOLD_METHODS}, got {self.threshold_method!r}")
        if self.powertrans not in POWER_TRANSFORMS:
            raise ValueError(f"powertrans must be one of {tuple(POWER_TRANSFORMS)}, got {self.powertrans!r}")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must lie in (0, 1), got {self.alpha!r}")
        limit54 = tuple(self.limit54)
        if len(limit54) != 2 or not (limit54[0] >= 0 and limit54[1] > 0):
            raise ValueError(f"limit54 must be (cases >= 0, period > 0), got {self.limit54!r}")
        object.__setattr__(self, "limit54", limit54)
        past = self.past_weeks_not_included
        if past is not None and (int(past) != past or past < 0):
            raise ValueError(f"past_weeks_not_included must be an integer >= 0, got {past!r}")

    def history(self, freq: int) -> int:
        return self.b * freq + self.w

    def evaluate(self, series: SurveillanceSeries, timepoints: object = None) -> DetectionResult:
        """Farrington at ``timepoints`` (default: ``freq*b + w`` .. end, R's default range) for every unit.

        Diagnostics: ``expected``, ``score``, ``pvalue``, ``phi``, ``trend`` (1.0 where a trend was kept),
        ``trend_coefficient`` (per time step, NaN without trend), ``mu0`` (R's ``mu0Vector``); all NaN
        where R returns NA (both fits failed to converge).
        """
        b, w, no_periods = self.b, self.w, self.no_periods
        reweight, weights_threshold, alpha = self.reweight, self.weights_threshold, self.alpha
        trend, p_threshold_trend, limit54 = self.trend, self.p_threshold_trend, self.limit54
        powertrans, population_offset, threshold_method = self.powertrans, self.population_offset, self.threshold_method
        r_compat = self.r_compat
        series = coerce_series(series)
        counts = series.observed
        freq = series.freq
        if 2 * w + 1 > freq:
            raise ValueError(f"w={w} is too large for freq={freq}: windows of 2w+1 points would overlap")
        past_weeks_not_included = w if self.past_weeks_not_included is None else int(self.past_weeks_not_included)
        if population_offset:
            if series.population is None:
                raise ValueError("population_offset=True needs a population")
            if not (series.population > 0).all():  # NaN compares False
                raise ValueError("population_offset=True needs a positive population at every time point")
        history = b * freq + w
        points = resolve_timepoints(
            timepoints,
            default_start=history,
            n_time=series.n_time,
            minimum=history,
            history=f"b*freq + w = {history} (b={b}, freq={freq}, w={w})",
        )
        if limit54[1] - 1 > points.min():
            raise ValueError(f"limit54 period {limit54[1]} reaches before the start of observed")

        offsets, levels = reference_design(
            freq=freq, b=b, w=w, no_periods=no_periods, past_weeks_not_included=int(past_weeks_not_included)
        )
        if offsets.size == 0:
            raise ValueError("past_weeks_not_included leaves no reference values")
        by_level_then_time = np.lexsort((offsets, levels))  # row order is free; grouping by level helps
        offsets, levels = offsets[by_level_then_time], levels[by_level_then_time]
        centre = offsets.mean()
        wtime = (offsets - centre) / freq
        wtime_now = (0.0 - centre) / freq
        present_levels = np.unique(levels)
        level_of_row = np.searchsorted(present_levels, levels)
        level_now = int(np.searchsorted(present_levels, no_periods))
        level_starts = np.searchsorted(level_of_row, np.arange(present_levels.size))
        model = {
            "level_starts": level_starts,
            "level_of_row": level_of_row,
            "reweight": reweight,
            "weights_threshold": weights_threshold,
            "r_compat": r_compat,
        }

        n_units = series.n_units
        shape = (len(points), n_units)
        outputs = {
            name: np.full(shape, np.nan)
            for name in ("upperbound", "expected", "score", "pvalue", "phi", "trend", "trend_coefficient", "mu0")
        }
        alarm = np.zeros(shape, dtype=bool)
        z_alpha = stats.norm.ppf(1 - alpha)
        exponent = POWER_TRANSFORMS[powertrans]
        # blocks of at most BATCH_SIZE fits (time points x units) keep the working arrays cache-sized
        unit_block = min(n_units, BATCH_SIZE)
        chunk = max(1, BATCH_SIZE // unit_block)
        for unit_start in range(0, n_units, unit_block):
            units = slice(unit_start, unit_start + unit_block)
            block_counts = counts[:, units]
            block_population = None if series.population is None else series.population[:, units]
            n_block = block_counts.shape[1]
            for start in range(0, len(points), chunk):
                rows = slice(start, start + chunk)
                k = points[rows]
                index = k[:, None] + offsets[None, :]
                y = np.transpose(block_counts[index], (0, 2, 1)).reshape(-1, offsets.size).astype(float)
                present = ~np.isnan(y)
                y = np.where(present, y, 0.0)
                y_now = block_counts[k].reshape(-1).astype(float)
                offset = offset_now = None
                if population_offset:
                    offset = np.log(np.transpose(block_population[index], (0, 2, 1)).reshape(-1, offsets.size))
                    offset_now = np.log(block_population[k].reshape(-1))
                n_fits = y.shape[0]
                eta, se_eta, phi = np.full(n_fits, np.nan), np.full(n_fits, np.nan), np.full(n_fits, np.nan)
                valid = np.zeros(n_fits, dtype=bool)
                use_trend = np.zeros(n_fits, dtype=bool)
                coefficient = np.full(n_fits, np.nan)
                if trend and b >= 3:  # R fits the trend model for b < 3 too, but can never keep it
                    fit = _fit_farrington_model(wtime, y=y, present=present, offset=offset, **model)
                    eta_t, se_t = _predict(fit, wtime_now, level_now, offset_now)
                    with np.errstate(divide="ignore", invalid="ignore"):
                        t_value = fit["beta_trend"] / np.sqrt(fit["dispersion"] / fit["schur"])
                    p_trend = 2 * stats.t.sf(np.abs(t_value), fit["df_residual"])
                    max_response = np.max(np.where(present, y, -np.inf), axis=-1)
                    with np.errstate(over="ignore", invalid="ignore"):
                        use_trend = (
                            fit["first_fit_converged"]
                            & (p_trend < p_threshold_trend)
                            & (np.exp(eta_t) <= max_response)
                        )
                    eta[use_trend], se_eta[use_trend], phi[use_trend] = (
                        eta_t[use_trend],
                        se_t[use_trend],
                        fit["phi"][use_trend],
                    )
                    valid |= use_trend
                    coefficient[use_trend] = fit["beta_trend"][use_trend] / freq
                flat = ~use_trend
                if flat.any():
                    fit = _fit_farrington_model(
                        None,
                        y=y[flat],
                        present=present[flat],
                        offset=None if offset is None else offset[flat],
                        **model,
                    )
                    eta[flat], se_eta[flat] = _predict(
                        fit, 0.0, level_now, None if offset_now is None else offset_now[flat]
                    )
                    phi[flat] = fit["phi"]
                    valid[flat] = fit["first_fit_converged"]

                if threshold_method == "delta":
                    with np.errstate(over="ignore"):
                        mu0 = np.exp(eta)
                    se_mu0 = se_eta * mu0
                    upper, pvalue, score = _threshold_delta(mu0, se_mu0, phi, y_now, alpha, exponent)
                    expected = mu0
                    with np.errstate(over="ignore"):
                        mu0_vector = np.exp(mu0 + z_alpha * se_mu0)
                else:
                    upper, pvalue, score = _threshold_negative_binomial(
                        eta, se_eta, phi, y_now, alpha, threshold_method
                    )
                    with np.errstate(over="ignore"):
                        expected = np.exp(eta)
                        mu0_vector = (
                            np.exp(eta) if threshold_method == "nbPlugin" else np.exp(eta + z_alpha * se_eta)
                        )

                recent = block_counts[k[:, None] - np.arange(limit54[1])[None, :]]  # (tp, lag, unit)
                enough = (np.sum(recent, axis=1) >= limit54[0]).reshape(-1)  # NaN sum -> False
                keep = valid & enough
                result_rows = {
                    "upperbound": np.where(keep, upper, np.nan),
                    "expected": np.where(keep & ~np.isnan(upper), expected, np.nan),
                    "score": np.where(valid, score, np.nan),
                    "pvalue": np.where(valid, pvalue, np.nan),
                    "phi": np.where(valid, phi, np.nan),
                    "trend": np.where(valid, use_trend.astype(float), np.nan),
                    "trend_coefficient": coefficient,
                    "mu0": np.where(valid, mu0_vector, np.nan),
                }
                if r_compat:
                    # R leaves ``expected`` at its initial 0 where no model converged
                    result_rows["expected"] = np.where(valid, result_rows["expected"], 0.0)
                for name, values in result_rows.items():
                    outputs[name][rows, units] = values.reshape(len(k), n_block)
                with np.errstate(invalid="ignore"):
                    alarm_rows = keep & (score > 1) & (y_now != 0)
                alarm[rows, units] = alarm_rows.reshape(len(k), n_block)

        upperbound = outputs.pop("upperbound")
        return DetectionResult(
            method=f"farringtonFlexible_{threshold_method}",
            timepoints=points,
            upperbound=upperbound,
            alarm=alarm,
            diagnostics=outputs,
        )



def farrington_flexible(
    observed: object,
    *,
    timepoints: object = None,
    freq: int | None = None,
    population: object = None,
    **control: object,
) -> DetectionResult:
    """R's ``farringtonFlexible`` at ``timepoints`` (0-based) for every unit at once.

    ``observed``: a :class:`~fangkong.epi.series.SurveillanceSeries` or (time, unit) counts; ``freq``
    (default: the series' own, 52 for a plain array) and ``population`` override the series'. ``control``:
    the fields of :class:`FarringtonControl` (``b``, ``w``, ``reweight``, ...: defaults and meaning documented there). Returns a
    :class:`DetectionResult` shaped (len(timepoints), unit). Same as
    ``FarringtonControl(**control).evaluate(coerce_series(observed, population=..., freq=...), timepoints)``.
    """
    return FarringtonControl(**control).evaluate(coerce_series(observed, population=population, freq=freq), timepoints)
