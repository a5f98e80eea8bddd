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
matrix and all fits run together as one batched IRLS. The trend variable is centred and scaled
(an affine change of ``wtime``, which leaves fitted values, standard errors of predictions and the
trend p-value unchanged); ``trend_coefficient`` is reported per time step, as R does.

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
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from fangkong.epi.detection.result import DetectionResult
from fangkong.epi.series import coerce_series, resolve_timepoints

THRESHOLD_METHODS = ("delta", "nbPlugin", "muan")
POWER_TRANSFORMS = {"none": 1.0, "1/2": 0.5, "2/3": 2.0 / 3.0}
GLM_EPSILON = 1e-8
GLM_MAXIT = 25
#: number of (time point, unit) fits solved together; bounds memory use
BATCH_SIZE = 16384


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


def _poisson_deviance(y: np.ndarray, mu: np.ndarray, prior: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        ylogy = np.where(y > 0, y * np.log(y / mu), 0.0)
    return 2.0 * np.sum(prior * (ylogy - (y - mu)), axis=-1)


def _fit_quasipoisson(x: np.ndarray, y: np.ndarray, prior: np.ndarray, offset: np.ndarray | None) -> dict:
    """Batched ``glm(y ~ x - 1, family = quasipoisson, weights = prior, offset = offset)``.

    ``x`` (n, p) is shared; ``y``, ``prior``, ``offset`` are (B, n); rows with ``prior == 0`` are absent.
    Returns coefficients, fitted means, last working weights, unscaled covariance, convergence flag,
    Pearson dispersion and residual degrees of freedom, per batch element.
    """
    n_batch, n_obs = y.shape
    n_par = x.shape[1]
    cross = (x[:, :, None] * x[:, None, :]).reshape(n_obs, n_par * n_par)
    off = np.zeros_like(y) if offset is None else offset
    mu = y + 0.1
    eta = np.log(mu)
    dev_old = _poisson_deviance(y, mu, prior)
    beta = np.zeros((n_batch, n_par))
    work_weight = np.zeros_like(y)
    cov_unscaled = np.zeros((n_batch, n_par, n_par))
    converged = np.zeros(n_batch, dtype=bool)
    active = np.arange(n_batch)
    np_errors = np.seterr(divide="ignore", invalid="ignore", over="ignore")
    for _ in range(GLM_MAXIT):
        if active.size == 0:
            break
        mu_a, eta_a, off_a, y_a, prior_a = mu[active], eta[active], off[active], y[active], prior[active]
        z = (eta_a - off_a) + (y_a - mu_a) / mu_a
        weight = prior_a * mu_a
        xtwx = (weight @ cross).reshape(-1, n_par, n_par)
        xtwz = (weight * z) @ x
        try:
            inverse = np.linalg.inv(xtwx)
        except np.linalg.LinAlgError:
            inverse = np.linalg.pinv(xtwx)
        beta_a = np.einsum("bij,bj->bi", inverse, xtwz)
        eta_a = beta_a @ x.T + off_a
        mu_a = np.exp(eta_a)
        dev = _poisson_deviance(y_a, mu_a, prior_a)
        beta[active], eta[active], mu[active] = beta_a, eta_a, mu_a
        work_weight[active], cov_unscaled[active] = weight, inverse
        done = np.abs(dev - dev_old[active]) / (np.abs(dev) + 0.1) < GLM_EPSILON
        converged[active[done]] = True
        dev_old[active] = dev
        active = active[~done]
    np.seterr(**np_errors)
    df_residual = np.sum(prior > 0, axis=-1) - n_par
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = np.sum(np.where(work_weight > 0, work_weight * ((y - mu) / mu) ** 2, 0.0), axis=-1)
        dispersion = pearson / df_residual
    return {
        "beta": beta,
        "mu": mu,
        "work_weight": work_weight,
        "cov_unscaled": cov_unscaled,
        "cross": cross,
        "converged": converged,
        "dispersion": dispersion,
        "df_residual": df_residual,
    }


def _anscombe_weights(fit: dict, y: np.ndarray, present: np.ndarray, phi: np.ndarray, threshold: float):
    """R ``anscombe.residuals`` then ``algo.farrington.assign.weights``, batched."""
    n_par = fit["cov_unscaled"].shape[-1]
    hat = fit["work_weight"] * (fit["cov_unscaled"].reshape(-1, n_par * n_par) @ fit["cross"].T)
    mu = fit["mu"]
    with np.errstate(divide="ignore", invalid="ignore"):
        residual = 1.5 * (y ** (2.0 / 3.0) * mu ** (-1.0 / 6.0) - np.sqrt(mu))
        residual = residual / np.sqrt(phi[:, None] * (1.0 - hat))
        large = present & (residual > threshold)
        inverse_square = np.where(large, residual**-2.0, 1.0)
    gamma = present.sum(axis=-1) / np.sum(np.where(present, inverse_square, 0.0), axis=-1)
    return np.where(present, gamma[:, None] * inverse_square, 0.0)


def _fit_farrington_model(
    x, y, present, offset, *, reweight: bool, weights_threshold: float, r_compat: bool
) -> dict:
    """R ``algo.farrington.fitGLM.flexible`` for one formula: fit, optionally reweight and refit.

    ``fit["dispersion"]`` is what later feeds the trend test and the prediction's standard error:
    the Pearson dispersion, or with ``r_compat`` and ``reweight`` R's value computed after it
    overwrote the working weights with the Anscombe weights ``omega``
    (``sum(omega * ((y - mu) / mu)**2) / df``).
    """
    prior = present.astype(float)
    fit = _fit_quasipoisson(x, y, prior, offset)
    converged = fit["converged"]
    phi = np.maximum(fit["dispersion"], 1.0)
    if reweight:
        omega = _anscombe_weights(fit, y, present, phi, weights_threshold)
        fit = _fit_quasipoisson(x, y, omega, offset)
        phi = np.maximum(fit["dispersion"], 1.0)
        if r_compat:
            with np.errstate(divide="ignore", invalid="ignore"):
                working = np.where(omega > 0, omega * ((y - fit["mu"]) / fit["mu"]) ** 2, 0.0)
                fit["dispersion"] = working.sum(axis=-1) / fit["df_residual"]
    fit["phi"] = phi
    fit["first_fit_converged"] = converged
    return fit


def _predict(fit: dict, x_new: np.ndarray, offset_new: np.ndarray | None):
    """Linear predictor at ``x_new`` and its standard error (raw dispersion, as R's predict.glm)."""
    eta = fit["beta"] @ x_new
    if offset_new is not None:
        eta = eta + offset_new
    variance = np.einsum("i,bij,j->b", x_new, fit["cov_unscaled"], x_new) * fit["dispersion"]
    return eta, np.sqrt(variance)


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


def farrington_flexible(
    observed: object,
    *,
    timepoints: object = None,
    freq: int | None = None,
    b: int = 5,
    w: int = 3,
    reweight: bool = True,
    weights_threshold: float = 2.58,
    alpha: float = 0.05,
    trend: bool = True,
    p_threshold_trend: float = 0.05,
    limit54: tuple[int, int] = (5, 4),
    powertrans: str = "2/3",
    population: object = None,
    population_offset: bool = False,
    no_periods: int = 1,
    past_weeks_not_included: int | None = None,
    threshold_method: str = "delta",
    r_compat: bool = False,
) -> DetectionResult:
    """Run R's ``farringtonFlexible`` at ``timepoints`` (0-based) for every unit at once.

    Defaults are R's (Farrington 1996 settings). The improved method of Noufaily et al. (2013):
    ``no_periods=10, weights_threshold=2.58, past_weeks_not_included=26, p_threshold_trend=1,
    threshold_method="nbPlugin"``. ``timepoints`` default to ``freq*b + w .. end`` (R's default
    range). ``freq`` defaults to the series' own (52 for a plain array). Diagnostics: ``expected``,
    ``score``, ``pvalue``, ``phi``, ``trend`` (1.0 where a trend was kept), ``trend_coefficient``
    (per time step, NaN without trend), ``mu0`` (R's ``mu0Vector``); all NaN where R returns NA
    (both fits failed to converge).
    """
    series = coerce_series(observed, population=population, freq=freq)
    counts = series.observed
    freq = series.freq
    for name, value, least in (("b", b, 1), ("w", w, 0), ("no_periods", no_periods, 1)):
        if int(value) != value or value < least:
            raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
    b, w, no_periods = int(b), int(w), int(no_periods)
    if threshold_method not in THRESHOLD_METHODS:
        raise ValueError(f"threshold_method must be one of {THRESHOLD_METHODS}, got {threshold_method!r}")
    if powertrans not in POWER_TRANSFORMS:
        raise ValueError(f"powertrans must be one of {tuple(POWER_TRANSFORMS)}, got {powertrans!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    if len(limit54) != 2 or not (limit54[0] >= 0 and limit54[1] > 0):
        raise ValueError(f"limit54 must be (cases >= 0, period > 0), got {limit54!r}")
    if 2 * w + 1 > freq:
        raise ValueError(f"w={w} is too large for freq={freq}: windows of 2w+1 points would overlap")
    if past_weeks_not_included is None:
        past_weeks_not_included = w
    if int(past_weeks_not_included) != past_weeks_not_included or past_weeks_not_included < 0:
        raise ValueError(f"past_weeks_not_included must be an integer >= 0, got {past_weeks_not_included!r}")
    if population_offset and series.population is None:
        raise ValueError("population_offset=True needs a population")
    history = b * freq + w
    points = resolve_timepoints(timepoints, default_start=history, n_time=series.n_time, minimum=history)
    if limit54[1] - 1 > points.min():
        raise ValueError(f"limit54 period {limit54[1]} reaches before the start of observed")

    offsets, levels = reference_design(
        freq=freq, b=b, w=w, no_periods=no_periods, past_weeks_not_included=int(past_weeks_not_included)
    )
    if offsets.size == 0:
        raise ValueError("past_weeks_not_included leaves no reference values")
    centre = offsets.mean()
    wtime = (offsets - centre) / freq
    wtime_now = (0.0 - centre) / freq
    present_levels = np.unique(levels)
    dummy_levels = present_levels[1:] if no_periods != 1 else np.array([], dtype=int)
    dummies = (levels[:, None] == dummy_levels[None, :]).astype(float)
    dummies_now = (dummy_levels == no_periods).astype(float)
    x_flat = np.column_stack([np.ones_like(wtime), dummies])
    x_trend = np.column_stack([np.ones_like(wtime), wtime, dummies])
    x_flat_now = np.concatenate([[1.0], dummies_now])
    x_trend_now = np.concatenate([[1.0, wtime_now], dummies_now])

    n_units = series.n_units
    shape = (len(points), n_units)
    outputs = {
        name: np.full(shape, np.nan)
        for name in ("upperbound", "expected", "score", "pvalue", "phi", "trend", "trend_coefficient", "mu0")
    }
    alarm = np.zeros(shape, dtype=bool)
    z_alpha = stats.norm.ppf(1 - alpha)
    exponent = POWER_TRANSFORMS[powertrans]
    chunk = max(1, BATCH_SIZE // n_units)
    for start in range(0, len(points), chunk):
        rows = slice(start, start + chunk)
        k = points[rows]
        index = k[:, None] + offsets[None, :]
        y = np.transpose(counts[index], (0, 2, 1)).reshape(-1, offsets.size)
        present = ~np.isnan(y)
        y = np.where(present, y, 0.0)
        y_now = counts[k].reshape(-1)
        offset = offset_now = None
        if population_offset:
            offset = np.log(np.transpose(series.population[index], (0, 2, 1)).reshape(-1, offsets.size))
            offset_now = np.log(series.population[k].reshape(-1))
        fits = {"flat": _fit_farrington_model(
            x_flat, y, present, offset, reweight=reweight, weights_threshold=weights_threshold, r_compat=r_compat
        )}
        use_trend = np.zeros(y.shape[0], dtype=bool)
        if trend:
            fits["trend"] = _fit_farrington_model(
                x_trend, y, present, offset, reweight=reweight, weights_threshold=weights_threshold,
                r_compat=r_compat,
            )
            eta_t, _ = _predict(fits["trend"], x_trend_now, offset_now)
            t_value = fits["trend"]["beta"][:, 1] / np.sqrt(
                fits["trend"]["dispersion"] * fits["trend"]["cov_unscaled"][:, 1, 1]
            )
            p_trend = 2 * stats.t.sf(np.abs(t_value), fits["trend"]["df_residual"])
            max_response = np.max(np.where(present, y, -np.inf), axis=-1)
            use_trend = (
                fits["trend"]["first_fit_converged"]
                & (b >= 3)
                & (p_trend < p_threshold_trend)
                & (np.exp(eta_t) <= max_response)
            )
        eta_f, se_f = _predict(fits["flat"], x_flat_now, offset_now)
        eta, se_eta, phi = eta_f, se_f, fits["flat"]["phi"]
        valid = fits["flat"]["first_fit_converged"].copy()
        coefficient = np.full(y.shape[0], np.nan)
        if trend:
            eta_t, se_t = _predict(fits["trend"], x_trend_now, offset_now)
            eta = np.where(use_trend, eta_t, eta_f)
            se_eta = np.where(use_trend, se_t, se_f)
            phi = np.where(use_trend, fits["trend"]["phi"], fits["flat"]["phi"])
            valid = valid | use_trend
            coefficient = np.where(use_trend, fits["trend"]["beta"][:, 1] / freq, np.nan)

        if threshold_method == "delta":
            with np.errstate(over="ignore"):
                mu0 = np.exp(eta)
            se_mu0 = se_eta * mu0
            upper, pvalue, score = _threshold_delta(mu0, se_mu0, phi, y_now, alpha, exponent)
            expected = mu0
            with np.errstate(over="ignore"):
                mu0_vector = np.exp(mu0 + z_alpha * se_mu0)
        else:
            upper, pvalue, score = _threshold_negative_binomial(eta, se_eta, phi, y_now, alpha, threshold_method)
            with np.errstate(over="ignore"):
                expected = np.exp(eta)
                mu0_vector = np.exp(eta) if threshold_method == "nbPlugin" else np.exp(eta + z_alpha * se_eta)

        recent = counts[k[:, None] - np.arange(limit54[1])[None, :]]  # (tp, lag, unit)
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
            outputs[name][rows] = values.reshape(len(k), n_units)
        with np.errstate(invalid="ignore"):
            alarm_rows = keep & (score > 1) & (y_now != 0)
        alarm[rows] = alarm_rows.reshape(len(k), n_units)

    upperbound = outputs.pop("upperbound")
    return DetectionResult(
        method=f"farringtonFlexible_{threshold_method}",
        timepoints=points,
        upperbound=upperbound,
        alarm=alarm,
        diagnostics=outputs,
    )
