"""Vectorised draws for the few distributions the assumptions use (names after squigglepy).

Every function takes the ``np.random.Generator`` to draw from; nothing here touches a global RNG.
"""

from __future__ import annotations

import numpy as np

# z-score of the 95th percentile: a 90 % interval spans mean ± Z90 standard deviations.
Z90 = 1.6448536269514722


def pert(
    rng: np.random.Generator, low: float, mode: float, high: float, n: int, lam: float = 4.0
) -> np.ndarray:
    """Beta-PERT draws on [low, high] peaking at ``mode`` (``lam`` sets how peaked)."""
    if not low <= mode <= high:
        raise ValueError(f"pert needs low <= mode <= high, got {low}, {mode}, {high}")
    span = high - low
    if span == 0:
        return np.full(n, float(mode))
    alpha = 1.0 + lam * (mode - low) / span
    beta = 1.0 + lam * (high - mode) / span
    return low + span * rng.beta(alpha, beta, size=n)


def to(rng: np.random.Generator, low: float, high: float, n: int) -> np.ndarray:
    """Draws whose central 90 % interval is [low, high]: log-normal when low > 0, else normal."""
    if not low <= high:
        raise ValueError(f"to needs low <= high, got {low}, {high}")
    if low == high:
        return np.full(n, float(low))
    if low > 0:
        mu = (np.log(low) + np.log(high)) / 2
        sigma = (np.log(high) - np.log(low)) / (2 * Z90)
        return np.exp(rng.normal(mu, sigma, size=n))
    return rng.normal((low + high) / 2, (high - low) / (2 * Z90), size=n)


def band(values: np.ndarray, axis: int = -1) -> dict[str, float]:
    """P10 / P50 / P90 of draws, as a dict."""
    p10, p50, p90 = np.percentile(values, [10, 50, 90], axis=axis)
    return {"p10": float(p10), "p50": float(p50), "p90": float(p90)}
