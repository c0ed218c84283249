"""The Python reference of `fangkong-bench aberration`: EARS C1, C2 and C3, the Poisson CUSUM
and farringtonFlexible written as an analyst would write them with numpy, scipy and
statsmodels, every judged day recomputed from scratch.

Why it exists: issue #9 asks how much faster `fangkong_epi` is than "a straightforward
reference (for example numpy/statsmodels in Python)" on the same data. The benchmark writes
the series, runs this script in a virtual environment of its own with pinned packages
(`requirements.txt` beside this file), reads back every verdict and compares it day by day
with `fangkong_epi`'s. It follows the same semantics as the naive Rust reference
(`src/reference.rs`), which follow the `fangkong_epi` module docs (the `surveillance`
package's rules and their documented departures):

- EARS C1/C2: for each judged day, the 7 baseline counts (lag 0 or 2) sliced out, missing
  ones dropped, `mean + z * sd` with the sample standard deviation; no bound with fewer than 3
  counts. C3: the documented bound `mean + sd * (z - sum over t-1, t-2 of max(0, C2 - 1))`,
  at least 0, each C2 from its own baseline.
- CUSUM (k = 1.04, h = 2.26): `m` the mean of the 7 days before the judged window (the
  series is refused when it is 0), then `S` rebuilt from the first judged day up to the day.
- Farrington (flexible): the reference dates by calendar arithmetic (`datetime.date`,
  29 February becoming 1 March), the seasonal level of every day up to the judged one, the
  rows of the fit, then `statsmodels.api.GLM(y, X, family=Poisson(), var_weights=omega)`
  (R's prior weights) with R's `glm.control` stopping rule (`atol = 1e-9, rtol = 1e-8` on the
  deviance is `|dev - dev_old| / (|dev| + 0.1) < 1e-8`, at most 25 iterations), quasi-Poisson
  dispersion `phi = max(1, Pearson X^2 / df)`, Anscombe residual reweighting and one refit,
  the trend t-test, the fits without trend when the trend is dropped, the threshold (2/3-power
  delta method, or the negative binomial quantile) and the "limit54" rule.

Where the numbers differ from `fangkong_epi` (which reproduces R's `glm.fit` bit for bit):
statsmodels computes the Pearson statistic (`pearson_chi2`) and the hat values
(`get_hat_matrix_diag`) from the final fitted means, where R uses the working weights of the
last IRLS iteration, one step behind them; R's stopping rule (deviance change 1e-8 relative)
leaves that step at about 1e-4 relative in the means, which moves `phi` and the thresholds by
up to about 2e-5 relative. statsmodels also starts IRLS from `mu = (y + mean(y)) / 2`, not
`y + 0.1`, which lands elsewhere within the tolerance (about 1e-6). An alarm can only differ
when a count lies that close to its threshold.

Usage: `python aberration.py INPUT_DIR OUTPUT_JSON`. INPUT_DIR holds `counts.npy` (float64,
one row per series, one column per day, NaN for a missing count) and `layout.json` (the
first day's date, the index of the first judged day, the methods and their parameters).
OUTPUT_JSON receives the versions, the time of the imports, of reading the input and of the
computation of each method (`time.perf_counter`, the computation alone), and per method and
series either `null` (the method refused the series) or the expected values, thresholds
(`null` where none) and alarms of the judged days.

What it must not do: reuse anything from one judged day to the next, use more than the one
thread an analyst's loop uses (the benchmark sets the BLAS thread counts to 1), or read or
write anything but its two arguments.
"""

import time

_STARTED = time.perf_counter()

import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.stats  # noqa: E402
import statsmodels  # noqa: E402
import statsmodels.api as sm  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - _STARTED


def present(values):
    """The counts of `values` that are not missing."""
    return values[~np.isnan(values)]


# EARS C1, C2, C3 (Hutwagner et al. 2003; surveillance::earsC and its documented C3 bound).


def ears_baseline(counts, t, lag, baseline):
    """Mean and sample standard deviation of the `baseline` counts ending `lag + 1` days
    before `t`; None with fewer than 3 present."""
    end = t - lag
    begin = end - baseline
    if begin < 0:
        return None
    values = present(counts[begin:end])
    if values.size < 3:
        return None
    return values.mean(), values.std(ddof=1)


def ears_c1_c2(counts, t, lag, z, params):
    stats = ears_baseline(counts, t, lag, params["baseline"])
    if stats is None:
        return None, None, False
    mean, sd = stats
    threshold = mean + z * sd
    return mean, threshold, bool(not np.isnan(counts[t]) and counts[t] > threshold)


def c2_statistic(y, mean, sd):
    """(y - mean) / sd, with a flat baseline read as +-infinity (or 0 at the mean)."""
    if sd > 0:
        return (y - mean) / sd
    if y > mean:
        return np.inf
    if y < mean:
        return -np.inf
    return 0.0


def ears_c3(counts, t, z, params):
    baseline = params["baseline"]
    stats = ears_baseline(counts, t, 2, baseline)
    if stats is None:
        return None, None, False
    mean, sd = stats
    lagged = 0.0
    for u in (t - 1, t - 2):
        stats_u = ears_baseline(counts, u, 2, baseline)
        if np.isnan(counts[u]) or stats_u is None:
            lagged = None
            break
        lagged += max(0.0, c2_statistic(counts[u], *stats_u) - 1)
    if lagged is None:
        threshold = None
    elif np.isinf(lagged):
        threshold = 0.0
    else:
        threshold = max(0.0, mean + sd * (z - lagged))
    alarm = threshold is not None and not np.isnan(counts[t]) and counts[t] > threshold
    return mean, threshold, bool(alarm)


def ears(counts, first, variant, params):
    z = scipy.stats.norm.ppf(1 - params["alpha"])
    out = []
    for t in range(first, len(counts)):
        if variant == "c3":
            out.append(ears_c3(counts, t, z, params))
        else:
            out.append(ears_c1_c2(counts, t, 0 if variant == "c1" else 2, z, params))
    return out


# The Poisson CUSUM of surveillance::algo.cusum (trans = "standard").


def cusum(counts, first, params):
    k, h, baseline = params["k"], params["h"], params["baseline"]
    reference = present(counts[first - baseline : first])
    if reference.size == 0 or reference.sum() == 0:
        return None
    m = reference.mean()
    out = []
    for t in range(first, len(counts)):
        s = 0.0
        for y in present(counts[first:t]):
            s = max(0.0, s + (y - m) / np.sqrt(m) - k)
        threshold = max(0.0, np.ceil(np.sqrt(m) * (h + k - s) + m))
        y = counts[t]
        alarm = not np.isnan(y) and max(0.0, s + (y - m) / np.sqrt(m) - k) >= h
        out.append((m, threshold, bool(alarm)))
    return out


# The improved Farrington method (Noufaily et al. 2013; surveillance::farringtonFlexible).


def years_before(start, t, years):
    """Index of the day `years` calendar years before day `t` (29 February becomes 1 March);
    0 when it falls before the series."""
    day = start + datetime.timedelta(days=t)
    try:
        target = day.replace(year=day.year - years)
    except ValueError:
        target = datetime.date(day.year - years, 3, 1)
    return max(0, (target - start).days)


def seasonal_levels(start, t, params):
    """The seasonal level of each day 0..=t (`no_periods` in the reference windows, 1 to
    `no_periods - 1` in the blocks between them), -1 where a day has none or is left out as
    recent."""
    p, w = params["no_periods"], params["w"]
    level = np.full(t + 1, -1)
    refs = [t] + [years_before(start, t, j) for j in range(1, params["b"] + 1)]
    level[max(0, t - w) : t + 1] = p
    for i in range(1, len(refs)):
        centre = refs[i]
        level[max(0, centre - w) : min(centre + w, t) + 1] = p
        if p > 1:
            gap = refs[i - 1] - (2 * w + 1 + centre)
            if gap < 0:
                return None
            length, rest = divmod(gap, p - 1)
            at = centre + w + 1
            for block in range(1, p):
                block_length = length + (1 if block <= rest else 0)
                level[at : at + block_length] = block
                at += block_length
    excluded = params["past_weeks_not_included"]
    if excluded is None:
        excluded = w
    level[max(0, t - excluded) : t + 1] = -1
    return level


def design_matrix(time, level, trend, levels, centre):
    """Intercept, centred time (with the trend) and an indicator of each non-reference level."""
    columns = [np.ones(len(time))]
    if trend:
        columns.append(time - centre)
    for value in levels:
        columns.append((level == value).astype(float))
    return np.column_stack(columns)


def fit_glm(x, y, weights):
    """The Poisson GLM with prior weights and R's stopping rule; None when it does not
    converge or the design is rank-deficient (R would drop a column, fangkong_epi refuses)."""
    if x.shape[0] < x.shape[1] or np.linalg.matrix_rank(x) < x.shape[1]:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = sm.GLM(y, x, family=sm.families.Poisson(), var_weights=weights)
            result = model.fit(maxiter=25, tol_criterion="deviance", atol=1e-9, rtol=1e-8)
        except (ValueError, np.linalg.LinAlgError):
            return None
    if not result.converged or not np.all(np.isfinite(result.params)):
        return None
    return result


def fit_farrington(time, level, y, params, trend):
    """algo.farrington.fitGLM.flexible: a fit, then a refit with Anscombe weights. Returns the
    fit, phi, the dispersion behind standard errors, whether the trend is in, the level
    columns and the time centre; None when it cannot be fitted."""
    p = params["no_periods"]
    levels = []
    if p > 1:
        levels = sorted(set(level[level != p].tolist()))
        if not np.any(level == p):
            return None
    centre = time.mean()
    ones = np.ones(len(y))
    fit = fit_glm(design_matrix(time, level, trend, levels, centre), y, ones)
    if fit is None and trend:
        trend = False
        fit = fit_glm(design_matrix(time, level, trend, levels, centre), y, ones)
    if fit is None:
        return None
    df = fit.df_resid
    dispersion = fit.pearson_chi2 / df if df > 0 else np.nan
    phi = max(1.0, dispersion)
    se_dispersion = dispersion
    if params["reweight"]:
        mu = fit.mu
        hat = fit.get_hat_matrix_diag()
        anscombe = 1.5 * (y ** (2 / 3) * mu ** (-1 / 6) - np.sqrt(mu)) / np.sqrt(phi * (1 - hat))
        with np.errstate(divide="ignore"):
            omega = np.where(anscombe > params["weights_threshold"], anscombe**-2.0, 1.0)
        omega = omega * len(y) / omega.sum()
        fit = fit_glm(design_matrix(time, level, trend, levels, centre), y, omega)
        if fit is None:
            return None
        df = fit.df_resid
        dispersion = fit.pearson_chi2 / df if df > 0 else np.nan
        phi = max(1.0, dispersion)
        # farringtonFlexible stores the prior weights in the slot of the working weights, so
        # its summary.glm and predict.glm use this dispersion for standard errors.
        se_dispersion = np.sum(omega * ((y - fit.mu) / fit.mu) ** 2) / df
    return fit, phi, se_dispersion, trend, levels, centre


def predict(model, now, params):
    """Linear predictor and its standard error at `now` in the reference level."""
    fit, _, se_dispersion, trend, levels, centre = model
    x0 = design_matrix(np.array([now]), np.array([params["no_periods"]]), trend, levels, centre)[0]
    eta = x0 @ fit.params
    return eta, np.sqrt(se_dispersion * (x0 @ fit.normalized_cov_params @ x0))


def farrington_day(counts, start, t, z, params):
    level = seasonal_levels(start, t, params)
    if level is None:
        return None, None, False
    days = np.arange(t + 1)
    keep = (level >= 0) & ~np.isnan(counts[: t + 1])
    time, level, y = days[keep].astype(float), level[keep], counts[: t + 1][keep]
    if y.size == 0:
        return None, None, False
    model = fit_farrington(time, level, y, params, params["trend"])
    if model is None:
        return None, None, False
    if model[3]:
        fit, _, se_dispersion = model[0], model[1], model[2]
        eta, _ = predict(model, t, params)
        df = fit.df_resid
        tstat = fit.params[1] / np.sqrt(se_dispersion * fit.normalized_cov_params[1, 1])
        significant = (
            not np.isnan(tstat)
            and df > 0
            and 2 * scipy.stats.t.sf(abs(tstat), df) < params["p_threshold_trend"]
        )
        if not (significant and params["b"] >= 3 and np.exp(eta) <= y.max()):
            model = fit_farrington(time, level, y, params, False)
            if model is None:
                return None, None, False
    eta0, se_eta0 = predict(model, t, params)
    mu0 = np.exp(eta0)
    phi = model[1]
    alpha = params["alpha"]
    if params["threshold_method"] == "delta":
        tau = phi + mu0 * se_eta0**2
        transform = params["power_transform"]
        if transform == "none":
            upper = mu0 + z * np.sqrt(mu0 * tau)
        elif transform == "1/2":
            upper = (np.sqrt(mu0) + z * np.sqrt(tau / 4)) ** 2
        else:
            # Noufaily et al. 2013, 2/3-power transform.
            upper = (mu0 ** (2 / 3) + z * np.sqrt(4 / 9 * mu0 ** (1 / 3) * tau)) ** 1.5
        upper = upper if np.isfinite(upper) else None
        centre = mu0
    else:
        mean = mu0 if params["threshold_method"] == "nbPlugin" else np.exp(eta0 + z * se_eta0)
        if not np.isfinite(mean):
            upper = None
        elif mean <= 0:
            upper = 0.0
        elif phi > 1:
            upper = scipy.stats.nbinom.ppf(1 - alpha, mean / (phi - 1), 1 / phi)
        else:
            upper = scipy.stats.poisson.ppf(1 - alpha, mean)
        centre = eta0
    recent = counts[t + 1 - params["limit_periods"] : t + 1]
    enough = not np.any(np.isnan(recent)) and recent.sum() >= params["limit_cases"]
    threshold = upper if enough else None
    observed = counts[t]
    alarm = (
        threshold is not None
        and not np.isnan(observed)
        and (observed - centre) / (threshold - centre) > 1
        and observed != 0
    )
    return mu0, threshold, bool(alarm)


def farrington(counts, start, first, params):
    z = scipy.stats.norm.ppf(1 - params["alpha"])
    return [farrington_day(counts, start, t, z, params) for t in range(first, len(counts))]


def evaluate(method, counts, start, first, params):
    """The verdicts of `method` on the days `first..` of one series; None when refused."""
    if method in ("ears-c1", "ears-c2", "ears-c3"):
        return ears(counts, first, method[-2:], params)
    if method == "cusum":
        return cusum(counts, first, params)
    if method == "farrington":
        return farrington(counts, start, first, params)
    raise ValueError(f"unknown method {method}")


def as_json(value):
    return None if value is None else float(value)


def main(input_dir, output_path):
    clock = time.perf_counter()
    counts = np.load(f"{input_dir}/counts.npy")
    with open(f"{input_dir}/layout.json", encoding="utf-8") as f:
        layout = json.load(f)
    start = datetime.date.fromisoformat(layout["start"])
    first = layout["first_evaluated"]
    read_seconds = time.perf_counter() - clock
    methods = {}
    for method in layout["methods"]:
        params = layout["params"][method]
        clock = time.perf_counter()
        verdicts = [evaluate(method, series, start, first, params) for series in counts]
        seconds = time.perf_counter() - clock
        methods[method] = {
            "seconds": seconds,
            "series": [
                None
                if days is None
                else {
                    "expected": [as_json(d[0]) for d in days],
                    "threshold": [as_json(d[1]) for d in days],
                    "alarm": [d[2] for d in days],
                }
                for days in verdicts
            ],
        }
    report = {
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "statsmodels": statsmodels.__version__,
        },
        "import_seconds": IMPORT_SECONDS,
        "read_seconds": read_seconds,
        "compute_seconds": sum(m["seconds"] for m in methods.values()),
        "methods": methods,
    }
    with open(output_path, "w", encoding="utf-8") as f:
        json.dump(report, f)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python aberration.py INPUT_DIR OUTPUT_JSON")
    main(sys.argv[1], sys.argv[2])
