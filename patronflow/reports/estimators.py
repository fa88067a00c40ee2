"""The estimators behind the results page, on sufficient statistics: a group is its
`Moments`, so the same code runs on one enrolment at a time, on the daily aggregates that the
tick keeps and on simulated networks, and no estimator needs to see a member."""

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Moments:
    """Sums over a group of members of their activity before entering (x) and their outcome
    after (y): enough for means, variances and the covariance that adjusts one by the other."""

    n: int = 0
    x: float = 0
    y: float = 0
    xx: float = 0
    yy: float = 0
    xy: float = 0

    @classmethod
    def of(cls, pairs: Iterable[tuple[float, float]]) -> "Moments":
        n = x = y = xx = yy = xy = 0
        for before, after in pairs:
            n += 1
            x += before
            y += after
            xx += before * before
            yy += after * after
            xy += before * after
        return cls(n, x, y, xx, yy, xy)

    def __add__(self, other: "Moments") -> "Moments":
        return Moments(
            self.n + other.n,
            self.x + other.x,
            self.y + other.y,
            self.xx + other.xx,
            self.yy + other.yy,
            self.xy + other.xy,
        )
