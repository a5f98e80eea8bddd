"""Time-varying reproduction number Rt (Cori et al. 2013), as implemented in R's EpiEstim.

`estimate_r` gives the Gamma posterior of R over sliding (or custom) windows, for one series or many
regions at once: `local` is (time,) or (time, unit). Imported cases add to the infectivity of the
epidemic but are never counted as offspring of it (Thompson et al. 2019). Windows follow EpiEstim:
1-based day numbers, `t_start` and `t_end` inclusive, default weekly windows t_start = 2..T-6,
t_end = 8..T.

`estimate_r_uncertain_si` is EpiEstim's `uncertain_si`: the serial interval's mean and standard
deviation are drawn (seeded) from truncated normals, and the posterior of R is the mixture of the
posteriors obtained for each draw. EpiEstim approximates that mixture by drawing `n2` samples of R per
serial interval; here the mixture is evaluated exactly (the limit n2 -> infinity), so the only
randomness left is the serial-interval draws themselves.

Where EpiEstim prints warnings, results carry `RtFlags` instead; `RtFlags.messages()` renders them.
Every bad input raises `ValueError` naming what is wrong.

References: Cori A, Ferguson NM, Fraser C, Cauchemez S (2013) Am J Epidemiol 178:1505-1512.
Thompson RN et al. (2019) Epidemics 29:100356. EpiEstim 2.2 (`estimate_R`, `discr_si`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import signal, special

__all__ = [
    "DEFAULT_QUANTILES",
    "RtEstimate",
    "RtFlags",
    "UncertainSiRtEstimate",
    "discretised_gamma_serial_interval",
    "draw_serial_interval_moments",
    "estimate_r",
    "estimate_r_uncertain_si",
    "gamma_quantile",
    "total_infectivity",
    "validated_si_distr",
]

#: What each public name corresponds to in R (the API reference shows it).
R_EQUIVALENTS = {
    "DEFAULT_QUANTILES": "the quantile columns of `EpiEstim::estimate_R(...)$R` (`Quantile.0.025(R)` ... `Quantile.0.975(R)`)",
    "RtEstimate": "`EpiEstim::estimate_R(...)$R`: `mean` = `Mean(R)`, `std` = `Std(R)`, `quantile(q)` = `Quantile.q(R)`, "
                  "`t_start`/`t_end` = `t_start`/`t_end`",
    "RtFlags": "the warnings `EpiEstim::estimate_R` prints",
    "UncertainSiRtEstimate": "`EpiEstim::estimate_R(method = \"uncertain_si\")$R` (the mixture evaluated exactly)",
    "discretised_gamma_serial_interval": "`EpiEstim::discr_si(k, mu, sigma)`",
    "draw_serial_interval_moments": "the truncated-normal draws of the serial interval inside "
                                    "`estimate_R(method = \"uncertain_si\")`",
    "estimate_r": "`EpiEstim::estimate_R(incid, method = \"parametric_si\" | \"non_parametric_si\", config = make_config(...))`",
    "estimate_r_uncertain_si": "`EpiEstim::estimate_R(incid, method = \"uncertain_si\", config = make_config(...))`",
    "gamma_quantile": "`qgamma(q, shape)`",
    "total_infectivity": "`EpiEstim::overall_infectivity(incid, si_distr)`",
    "validated_si_distr": "EpiEstim's checks of `si_distr` in `make_config`",
}

#: Quantile levels of a posterior summary, EpiEstim's.
DEFAULT_QUANTILES = (0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975)
DEFAULT_CV_POSTERIOR = 0.3
# EpiEstim accepts a non-parametric serial interval whose sum is within 0.01 of one.
SI_SUM_TOLERANCE = 0.01
# Above this many days the infectivity is computed by FFT rather than by a dense Toeplitz product.
DENSE_CONVOLUTION_MAX_DAYS = 2048


def discretised_gamma_serial_interval(days: np.ndarray | Sequence[int], mean_si: float, std_si: float) -> np.ndarray:
    """EpiEstim's `discr_si`: P(serial interval = k) for a gamma distribution offset by one day, shaped as `days`.

    The continuous interval is 1 + Gamma(shape=((mean-1)/std)^2, scale=std^2/(mean-1)), discretised by
    linear interpolation of its CDF (Cori et al. 2013, web appendix 11); negative values from rounding
    are set to zero. Requires mean_si > 1 and std_si >= 0, as EpiEstim does.
    """
    k = np.asarray(days, dtype=float)
    if not np.isfinite(mean_si) or mean_si <= 1:
        raise ValueError(f"mean_si must be > 1 (gamma offset by one day), got {mean_si}")
    if not np.isfinite(std_si) or std_si <= 0:
        raise ValueError(f"std_si must be > 0, got {std_si}")
    if np.any(k < 0):
        raise ValueError("serial-interval days must be >= 0")
    shape = ((mean_si - 1.0) / std_si) ** 2
    scale = std_si**2 / (mean_si - 1.0)

    def cdf(x: np.ndarray, a: float) -> np.ndarray:
        return special.gammainc(a, np.clip(x, 0.0, None) / scale)

    res = k * cdf(k, shape) + (k - 2) * cdf(k - 2, shape) - 2 * (k - 1) * cdf(k - 1, shape)
    res += shape * scale * (2 * cdf(k - 1, shape + 1) - cdf(k - 2, shape + 1) - cdf(k, shape + 1))
    return np.maximum(res, 0.0)


# Below this shape, or for extreme levels, the quantile comes from scipy's gammaincinv directly.
HALLEY_MIN_SHAPE = 20.0
HALLEY_LEVELS = (1e-4, 1 - 1e-4)


def gamma_quantile(shape: np.ndarray, q: float) -> np.ndarray:
    """Quantile of Gamma(shape, scale=1) at level q; NaN where shape is NaN.

    For shape >= 20 and 1e-4 <= q <= 1 - 1e-4: Wilson-Hilferty start and two Halley steps on the
    regularised incomplete gamma, about twice as fast as `scipy.special.gammaincinv` and within 1e-13
    relative of it (checked in the tests); elsewhere `gammaincinv` itself.
    """
    shape = np.asarray(shape, dtype=float)
    out = np.full(shape.shape, np.nan)
    valid = np.isfinite(shape)
    use_halley = valid & (shape >= HALLEY_MIN_SHAPE) & (HALLEY_LEVELS[0] <= q <= HALLEY_LEVELS[1])
    exact = valid & ~use_halley
    out[exact] = special.gammaincinv(shape[exact], q)
    a = shape[use_halley]
    if a.size:
        c = 1.0 / (9.0 * a)
        x = a * (1.0 - c + special.ndtri(q) * np.sqrt(c)) ** 3
        log_gamma = special.gammaln(a)
        for _ in range(2):
            step = (special.gammainc(a, x) - q) / np.exp((a - 1.0) * np.log(x) - x - log_gamma)
            x = x - step / (1.0 - 0.5 * step * ((a - 1.0) / x - 1.0))
        out[use_halley] = x
    return out


@dataclass(frozen=True)
class RtFlags:
    """What EpiEstim would have warned about, as data.

    - `window_before_mean_si` (window,): the window ends on or before the mean serial interval, so R is
      not estimated there (NaN), as in EpiEstim.
    - `first_window_cv_warning` (unit,) or scalar: EpiEstim's warning "estimating R too early in the
      epidemic to get the desired posterior CV" — cases (local + imported) in the first window fewer than
      ceil(1 / cv_posterior^2 - a_prior).
    - `window_cv_above_target` (window,) or (window, unit): the same test applied to every window.
    - `local_first_day_moved` (unit,) or scalar: local cases on day 1 were counted as imported (EpiEstim
      assumes every case on the first day is imported).
    """

    window_before_mean_si: np.ndarray
    first_window_cv_warning: np.ndarray
    window_cv_above_target: np.ndarray
    local_first_day_moved: np.ndarray
    cv_posterior: float = DEFAULT_CV_POSTERIOR

    def messages(self) -> list[str]:
        """Human-readable warnings, one per kind that occurred."""
        out = []
        if np.any(self.window_before_mean_si):
            out.append(
                f"{int(np.sum(self.window_before_mean_si))} window(s) end before the mean serial interval; "
                "R is not estimated there"
            )
        if np.any(self.first_window_cv_warning):
            out.append(
                "estimating R too early in the epidemic to get the desired posterior CV "
                f"({self.cv_posterior}) in the first window"
            )
        if np.any(self.local_first_day_moved):
            out.append("local cases on day 1 were counted as imported (all day-1 cases are assumed imported)")
        return out


@dataclass(frozen=True)
class RtEstimate:
    """Gamma posterior of R per window (and unit). Shapes: (window,) or (window, unit).

    `mean`, `std` and `quantile(q)` are NaN for windows ending before the mean serial interval.
    `quantiles` maps each requested level to its posterior quantile, computed on first access (an
    inverse incomplete gamma costs far more than the estimate itself on thousands of regions).
    """

    t_start: np.ndarray
    t_end: np.ndarray
    shape: np.ndarray
    scale: np.ndarray
    si_distr: np.ndarray
    flags: RtFlags
    quantile_levels: tuple[float, ...] = DEFAULT_QUANTILES
    _quantile_cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def mean(self) -> np.ndarray:
        return self.shape * self.scale

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(self.shape) * self.scale

    def quantile(self, q: float) -> np.ndarray:
        """Posterior quantile of R for a level q in (0, 1)."""
        q = _check_quantile_level(q)
        if q not in self._quantile_cache:
            self._quantile_cache[q] = gamma_quantile(self.shape, q) * self.scale
        return self._quantile_cache[q]

    @property
    def quantiles(self) -> dict[float, np.ndarray]:
        return {q: self.quantile(q) for q in self.quantile_levels}


@dataclass(frozen=True)
class UncertainSiRtEstimate:
    """Posterior of R as a mixture over serial-interval draws (EpiEstim's `uncertain_si`).

    `component_shape` and `component_scale` are (draw, window[, unit]); a draw contributes to a window
    only if the window ends after that draw's mean serial interval (`component_used`, as EpiEstim).
    `si_mean_draws` / `si_std_draws` are the drawn serial-interval moments, `si_distr` (draw, T + 1) the
    discretised intervals.
    """

    t_start: np.ndarray
    t_end: np.ndarray
    component_shape: np.ndarray
    component_scale: np.ndarray
    component_used: np.ndarray
    si_mean_draws: np.ndarray
    si_std_draws: np.ndarray
    si_distr: np.ndarray
    flags: RtFlags
    quantile_levels: tuple[float, ...] = DEFAULT_QUANTILES
    _quantile_cache: dict = field(default_factory=dict, repr=False, compare=False)

    def _weights(self) -> tuple[np.ndarray, np.ndarray]:
        used = np.broadcast_to(self.component_used, self.component_shape.shape).astype(float)
        count = used.sum(axis=0)
        return used, count

    @property
    def mean(self) -> np.ndarray:
        used, count = self._weights()
        with np.errstate(invalid="ignore", divide="ignore"):
            total = np.where(used > 0, self.component_shape * self.component_scale, 0.0).sum(axis=0)
            return np.where(count > 0, total / count, np.nan)

    @property
    def std(self) -> np.ndarray:
        used, count = self._weights()
        a, b = self.component_shape, self.component_scale
        with np.errstate(invalid="ignore", divide="ignore"):
            second = np.where(used > 0, a * (a + 1) * b * b, 0.0).sum(axis=0)
            mean = self.mean
            var = np.where(count > 0, second / count - mean**2, np.nan)
            return np.sqrt(np.maximum(var, 0.0))

    def quantile(self, q: float) -> np.ndarray:
        """Quantile of the exact mixture posterior, by bisection on its CDF between the extreme
        component quantiles (which bracket it)."""
        q = _check_quantile_level(q)
        if q in self._quantile_cache:
            return self._quantile_cache[q]
        used, count = self._weights()
        mask = used > 0
        a = np.where(mask, self.component_shape, 1.0)
        b = np.where(mask, self.component_scale, 1.0)
        component_q = special.gammaincinv(a, q) * b
        low = np.where(mask, component_q, np.inf).min(axis=0)
        high = np.where(mask, component_q, -np.inf).max(axis=0)
        valid = count > 0
        low = np.where(valid, low, 0.0)
        high = np.where(valid, high, 0.0)
        safe_count = np.where(valid, count, 1.0)
        for _ in range(60):
            mid = 0.5 * (low + high)
            cdf = np.where(mask, special.gammainc(a, mid / b), 0.0).sum(axis=0) / safe_count
            below = cdf < q
            low = np.where(below, mid, low)
            high = np.where(below, high, mid)
            if np.all(high - low <= 1e-12 * np.maximum(high, 1e-300)):
                break
        out = np.where(valid, 0.5 * (low + high), np.nan)
        self._quantile_cache[q] = out
        return out

    @property
    def quantiles(self) -> dict[float, np.ndarray]:
        return {q: self.quantile(q) for q in self.quantile_levels}


def _check_quantile_level(q: float) -> float:
    q = float(q)
    if not 0.0 < q < 1.0:
        raise ValueError(f"quantile level must be in (0, 1), got {q}")
    return q


def _as_counts(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim not in (1, 2):
        raise ValueError(f"{name} must be shaped (time,) or (time, unit), got {arr.ndim} dimensions")
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} contains missing values (NaN); fill days without reports with 0")
    if np.any(~np.isfinite(arr)):
        raise ValueError(f"{name} contains infinite values")
    if np.any(arr < 0):
        where = np.argwhere(arr < 0)[0]
        raise ValueError(f"{name} contains negative counts (first at index {tuple(int(i) for i in where)})")
    return arr


def _prepare_incidence(local, imported) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Returns local and imported as (time, unit) arrays, the day-1 move flag and whether input was 1-D."""
    local_arr = _as_counts(local, "local")
    single = local_arr.ndim == 1
    local_arr = local_arr.reshape(local_arr.shape[0], -1).copy()
    if imported is None:
        imported_arr = np.zeros_like(local_arr)
    else:
        imported_arr = _as_counts(imported, "imported")
        imported_arr = imported_arr.reshape(imported_arr.shape[0], -1).copy()
        if imported_arr.shape != local_arr.shape:
            raise ValueError(
                f"imported must have the same shape as local: {imported_arr.shape} vs {local_arr.shape}"
            )
    if local_arr.shape[0] < 2:
        raise ValueError(f"local must cover at least 2 days, got {local_arr.shape[0]}")
    # EpiEstim: every case on day 1 is imported.
    moved = local_arr[0] > 0
    imported_arr[0] += local_arr[0]
    local_arr[0] = 0.0
    return local_arr, imported_arr, moved, single


def _windows(t_start, t_end, n_days: int) -> tuple[np.ndarray, np.ndarray]:
    if t_start is None and t_end is None:
        if n_days < 8:
            raise ValueError(f"default weekly windows need at least 8 days of data, got {n_days}")
        return np.arange(2, n_days - 5), np.arange(8, n_days + 1)
    if t_start is None or t_end is None:
        raise ValueError("give both t_start and t_end, or neither (weekly windows)")
    start = np.atleast_1d(np.asarray(t_start, dtype=float))
    end = np.atleast_1d(np.asarray(t_end, dtype=float))
    if start.ndim != 1 or end.ndim != 1:
        raise ValueError("t_start and t_end must be 1-D")
    if start.shape != end.shape:
        raise ValueError(f"t_start and t_end must have the same length: {start.size} vs {end.size}")
    if start.size == 0:
        raise ValueError("t_start and t_end are empty")
    if np.any(start % 1 != 0) or np.any(end % 1 != 0):
        raise ValueError("t_start and t_end must be whole day numbers (1-based)")
    if np.any(start > end):
        raise ValueError("t_start must be <= t_end for every window")
    if np.any((start < 2) | (start > n_days)):
        raise ValueError(f"t_start outside the data: must be between 2 and {n_days} (1-based days)")
    if np.any((end < 2) | (end > n_days)):
        raise ValueError(f"t_end outside the data: must be between 2 and {n_days} (1-based days)")
    return start.astype(np.int64), end.astype(np.int64)


def validated_si_distr(si_distr) -> np.ndarray:
    """A non-parametric serial interval checked as EpiEstim does: starts at 0, non-negative, sums to 1."""
    si = np.asarray(si_distr, dtype=float)
    if si.ndim != 1 or si.size == 0:
        raise ValueError("si_distr must be a non-empty 1-D array (probability of a serial interval of 0, 1, ... days)")
    if not np.all(np.isfinite(si)):
        raise ValueError("si_distr contains non-finite values")
    if si[0] != 0:
        raise ValueError(f"si_distr must start at zero (P(serial interval = 0) = 0), got si_distr[0] = {si[0]}")
    if np.any(si < 0):
        raise ValueError("si_distr contains negative probabilities")
    if abs(si.sum() - 1.0) > SI_SUM_TOLERANCE:
        raise ValueError(f"si_distr must sum to one (within {SI_SUM_TOLERANCE}), sums to {si.sum():.6g}")
    return si


def _prior(mean_prior: float, std_prior: float) -> tuple[float, float]:
    if not np.isfinite(mean_prior) or mean_prior <= 0:
        raise ValueError(f"mean_prior must be > 0, got {mean_prior}")
    if not np.isfinite(std_prior) or std_prior <= 0:
        raise ValueError(f"std_prior must be > 0, got {std_prior}")
    return (mean_prior / std_prior) ** 2, std_prior**2 / mean_prior


def _check_cv_posterior(cv_posterior: float) -> None:
    if not np.isfinite(cv_posterior) or cv_posterior <= 0:
        raise ValueError(f"cv_posterior must be > 0, got {cv_posterior}")


def _check_levels(quantiles) -> tuple[float, ...]:
    return tuple(_check_quantile_level(q) for q in quantiles)


def total_infectivity(total_incidence: np.ndarray, si_distr: np.ndarray) -> np.ndarray:
    """Lambda_t = sum_{s>=1} w_s I_{t-s} for (time, unit) incidence (local + imported); row 0 is 0.

    `si_distr` has w_0 = 0 so the same-day term vanishes, as in EpiEstim's `overall_infectivity`.
    """
    n_days = total_incidence.shape[0]
    weights = np.zeros(n_days)
    length = min(n_days, si_distr.size)
    weights[:length] = si_distr[:length]
    if n_days <= DENSE_CONVOLUTION_MAX_DAYS:
        lag = np.arange(n_days)[:, None] - np.arange(n_days)[None, :]
        toeplitz = np.where(lag >= 0, weights[np.clip(lag, 0, None)], 0.0)
        lam = toeplitz @ total_incidence
    else:
        lam = signal.fftconvolve(total_incidence, weights[:, None], axes=0)[:n_days]
        lam = np.maximum(lam, 0.0)
    lam[0] = 0.0
    return lam


def _window_sums(values: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Sums of rows start..end (1-based, inclusive) for each window."""
    cumulative = np.zeros((values.shape[0] + 1,) + values.shape[1:])
    np.cumsum(values, axis=0, out=cumulative[1:])
    return cumulative[end] - cumulative[start - 1]


def _posterior(local, lam, start, end, a_prior, b_prior, mean_si_of_window_cutoff):
    shape = a_prior + _window_sums(local, start, end)
    scale = 1.0 / (1.0 / b_prior + _window_sums(lam, start, end))
    early = end <= mean_si_of_window_cutoff
    shape[early] = np.nan
    scale[early] = np.nan
    return shape, scale


def _cv_flags(local, imported, start, end, a_prior, cv_posterior):
    min_cases = np.ceil(1.0 / cv_posterior**2 - a_prior)
    cases = _window_sums(local + imported, start, end)
    per_window = cases < min_cases
    return per_window[0], per_window


def estimate_r(
    local,
    *,
    imported=None,
    si_distr=None,
    mean_si: float | None = None,
    std_si: float | None = None,
    t_start=None,
    t_end=None,
    mean_prior: float = 5.0,
    std_prior: float = 5.0,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    cv_posterior: float = DEFAULT_CV_POSTERIOR,
) -> RtEstimate:
    """Estimate Rt as EpiEstim's `estimate_R` with method "parametric_si" or "non_parametric_si".

    Give either `si_distr` (P(SI = 0, 1, ... days), starting at 0 and summing to one) or `mean_si` and
    `std_si` (gamma offset by one, discretised as `discr_si` over 0..T-1). `local` and `imported` are
    daily counts (time,) or (time, unit); every case on day 1 counts as imported. Windows are 1-based and
    inclusive; the default is weekly sliding windows. Gamma prior with `mean_prior`, `std_prior`.

    Returns an `RtEstimate` whose arrays are (window,) for one series or (window, unit) for several.
    """
    local_arr, imported_arr, moved, single = _prepare_incidence(local, imported)
    n_days = local_arr.shape[0]
    start, end = _windows(t_start, t_end, n_days)
    a_prior, b_prior = _prior(mean_prior, std_prior)
    _check_cv_posterior(cv_posterior)
    levels = _check_levels(quantiles)

    if si_distr is not None:
        if mean_si is not None or std_si is not None:
            raise ValueError("give either si_distr or (mean_si, std_si), not both")
        si = validated_si_distr(si_distr)
    else:
        if mean_si is None or std_si is None:
            raise ValueError("a serial interval is required: si_distr, or mean_si and std_si")
        si = discretised_gamma_serial_interval(np.arange(n_days), mean_si, std_si)
    if si.size < n_days + 1:
        si = np.concatenate([si, np.zeros(n_days + 1 - si.size)])
    mean_of_si = float(np.sum(si * np.arange(si.size)))

    lam = total_infectivity(local_arr + imported_arr, si)
    shape, scale = _posterior(local_arr, lam, start, end, a_prior, b_prior, mean_of_si)
    first_cv, window_cv = _cv_flags(local_arr, imported_arr, start, end, a_prior, cv_posterior)

    if single:
        shape, scale, first_cv, window_cv, moved = shape[:, 0], scale[:, 0], first_cv[0], window_cv[:, 0], moved[0]
    flags = RtFlags(
        window_before_mean_si=end <= mean_of_si,
        first_window_cv_warning=np.asarray(first_cv),
        window_cv_above_target=window_cv,
        local_first_day_moved=np.asarray(moved),
        cv_posterior=cv_posterior,
    )
    return RtEstimate(
        t_start=start, t_end=end, shape=shape, scale=scale, si_distr=si, flags=flags, quantile_levels=levels
    )


def draw_serial_interval_moments(
    rng: np.random.Generator,
    n_draws: int,
    *,
    mean_si: float,
    std_mean_si: float,
    min_mean_si: float,
    max_mean_si: float,
    std_si: float,
    std_std_si: float,
    min_std_si: float,
    max_std_si: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Truncated-normal draws of the serial interval's mean and std, by rejection as EpiEstim does.

    Returns (means, stds), each (n_draws,).
    """

    def truncated(centre, spread, low, high):
        out = np.empty(n_draws)
        missing = np.arange(n_draws)
        while missing.size:
            draw = rng.normal(centre, spread, missing.size)
            ok = (draw >= low) & (draw <= high)
            out[missing[ok]] = draw[ok]
            missing = missing[~ok]
        return out

    return truncated(mean_si, std_mean_si, min_mean_si, max_mean_si), truncated(
        std_si, std_std_si, min_std_si, max_std_si
    )


def _check_uncertain_config(
    mean_si, std_mean_si, min_mean_si, max_mean_si, std_si, std_std_si, min_std_si, max_std_si, n1
):
    checks = [
        (mean_si > 0, "mean_si must be > 0"),
        (std_si > 0, "std_si must be > 0"),
        (std_mean_si > 0, "std_mean_si must be > 0"),
        (min_mean_si >= 1, "min_mean_si must be >= 1"),
        (max_mean_si >= mean_si, "max_mean_si must be >= mean_si"),
        (mean_si >= min_mean_si, "mean_si must be >= min_mean_si"),
        (std_std_si > 0, "std_std_si must be > 0"),
        (min_std_si > 0, "min_std_si must be > 0"),
        (max_std_si >= std_si, "max_std_si must be >= std_si"),
        (std_si >= min_std_si, "std_si must be >= min_std_si"),
        (isinstance(n1, int | np.integer) and n1 > 0, "n1 must be a positive integer"),
    ]
    for ok, message in checks:
        if not ok:
            raise ValueError(message)


def estimate_r_uncertain_si(
    local,
    *,
    imported=None,
    mean_si: float,
    std_mean_si: float,
    min_mean_si: float,
    max_mean_si: float,
    std_si: float,
    std_std_si: float,
    min_std_si: float,
    max_std_si: float,
    n1: int = 500,
    seed: int | np.random.Generator | None = None,
    si_moment_draws: tuple[Sequence[float], Sequence[float]] | None = None,
    t_start=None,
    t_end=None,
    mean_prior: float = 5.0,
    std_prior: float = 5.0,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    cv_posterior: float = DEFAULT_CV_POSTERIOR,
) -> UncertainSiRtEstimate:
    """EpiEstim's "uncertain_si": Rt integrating over `n1` serial intervals drawn with `seed`.

    Arguments mirror EpiEstim's config. `si_moment_draws=(means, stds)` replaces the random draws (used
    to compare with EpiEstim's own draws). Draws whose discretisation is degenerate (mean <= 1) are
    rejected with ValueError, as `discr_si` does.

    Returns an `UncertainSiRtEstimate`: components (draw, window) or (draw, window, unit); its `mean`,
    `std` and `quantile(q)` are (window,) or (window, unit).
    """
    _check_uncertain_config(
        mean_si, std_mean_si, min_mean_si, max_mean_si, std_si, std_std_si, min_std_si, max_std_si, n1
    )
    local_arr, imported_arr, moved, single = _prepare_incidence(local, imported)
    n_days = local_arr.shape[0]
    start, end = _windows(t_start, t_end, n_days)
    a_prior, b_prior = _prior(mean_prior, std_prior)
    _check_cv_posterior(cv_posterior)
    levels = _check_levels(quantiles)

    if si_moment_draws is None:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        means, stds = draw_serial_interval_moments(
            rng, n1, mean_si=mean_si, std_mean_si=std_mean_si, min_mean_si=min_mean_si,
            max_mean_si=max_mean_si, std_si=std_si, std_std_si=std_std_si, min_std_si=min_std_si,
            max_std_si=max_std_si,
        )
    else:
        means = np.asarray(si_moment_draws[0], dtype=float)
        stds = np.asarray(si_moment_draws[1], dtype=float)
        if means.shape != stds.shape or means.ndim != 1 or means.size == 0:
            raise ValueError("si_moment_draws must be two 1-D arrays of the same, non-zero length")

    days = np.arange(n_days)
    n_draws = means.size
    si_matrix = np.zeros((n_draws, n_days + 1))
    for k in range(n_draws):
        si_matrix[k, :n_days] = discretised_gamma_serial_interval(days, means[k], stds[k])

    total = local_arr + imported_arr
    n_windows, n_units = start.size, local_arr.shape[1]
    shapes = np.empty((n_draws, n_windows, n_units))
    scales = np.empty((n_draws, n_windows, n_units))
    for k in range(n_draws):
        lam = total_infectivity(total, si_matrix[k])
        discrete_mean = float(np.sum(si_matrix[k] * np.arange(n_days + 1)))
        shapes[k], scales[k] = _posterior(local_arr, lam, start, end, a_prior, b_prior, discrete_mean)
    # EpiEstim keeps a draw for a window only where t_end exceeds the drawn (continuous) mean.
    used = (end[None, :] > means[:, None])[:, :, None] & np.isfinite(shapes)
    first_cv, window_cv = _cv_flags(local_arr, imported_arr, start, end, a_prior, cv_posterior)
    if single:
        shapes, scales, used = shapes[..., 0], scales[..., 0], used[..., 0]
        first_cv, window_cv, moved = first_cv[0], window_cv[:, 0], moved[0]
    flags = RtFlags(
        window_before_mean_si=~used.any(axis=0) if used.ndim == 2 else ~used.any(axis=(0, 2)),
        first_window_cv_warning=np.asarray(first_cv),
        window_cv_above_target=window_cv,
        local_first_day_moved=np.asarray(moved),
        cv_posterior=cv_posterior,
    )
    return UncertainSiRtEstimate(
        t_start=start, t_end=end, component_shape=shapes, component_scale=scales, component_used=used,
        si_mean_draws=means, si_std_draws=stds, si_distr=si_matrix, flags=flags, quantile_levels=levels,
    )
