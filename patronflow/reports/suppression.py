"""Small numbers out of the reports: no count from 1 to SMALL_CELL - 1 is published, and none
can be worked out from the figures that are (docs/reports.md: Small numbers).

The rule is the cross-library benchmark's (benchmark.py): a count under SMALL_CELL is withheld,
and where a total and its parts are shown together more figures are withheld — the smallest
first, the total last — until no small one can be worked out by subtraction. A library's own
tables add up in more than one step (a week's mails are part of its variant's, which are part
of its step's), so here "worked out" takes every sum into account: each sum narrows what its
unknown cells can be, sum after sum, and a small cell is exposed where one value is left.

What a reader knows of a withheld cell: "< 10" is a count from 1 to 9 (0 is published as 0);
"·" is a figure of SMALL_CELL or more, withheld to protect a small one; a cell the report does
not show at all (a difference of two figures) can be anything from 0 up.

Unlike the benchmark, 0 is published: it says that no member did something, which traces
nothing to a member, and withholding it would withhold the figures beside it (a step without
an uncertain mail would lose its sent or delivered count).
"""

import math
from collections import defaultdict, deque
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

SMALL_CELL = 10

Key = Hashable
Bounds = tuple[float, float]


class Withheld(StrEnum):
    """A figure that is not published, and what its marker tells the reader."""

    SMALL = f"< {SMALL_CELL}"  # a count from 1 to SMALL_CELL - 1
    HIDDEN = "·"  # withheld so that a small count cannot be worked out from it


Figure = int | float | Withheld | None


def is_small(count: int) -> bool:
    return 0 < count < SMALL_CELL


@dataclass(frozen=True)
class Sum:
    """A total and the parts it adds up to, as cell keys. To protect a small cell the smaller
    shown cells are given up first, so the total last — or first, with `spare_total`, where
    the parts are what the reader came for."""

    total: Key
    parts: tuple[Key, ...]
    spare_total: bool = False


def withhold(
    values: Mapping[Key, int],
    sums: Iterable[Sum],
    published: Collection[Key],
    already: Mapping[Key, Withheld] | None = None,
) -> dict[Key, Withheld]:
    """Which published cells to withhold. Every small published cell is (SMALL), and those
    `already` withheld; then, sum by sum, shown cells of SMALL_CELL or more (HIDDEN) until no
    small cell — published or only derivable, such as a difference of two published counts —
    can be worked out. Each sum must hold for `values`; cells in no sum are only checked for
    being small."""
    shown = set(published)
    withheld = {key: Withheld.SMALL for key in shown if is_small(values[key])}
    withheld |= already or {}
    for component in _components(list(sums)):
        _Protection(component, values, shown, withheld).run()
    return withheld


def _components(sums: list[Sum]) -> list[list[Sum]]:
    """Sums that share no cell cannot give each other's cells away: they are solved apart."""
    parent: dict[Key, Key] = {}

    def root(key: Key) -> Key:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for each in sums:
        for part in each.parts:
            parent[root(part)] = root(each.total)
    grouped: dict[Key, list[Sum]] = defaultdict(list)
    for each in sums:
        grouped[root(each.total)].append(each)
    return list(grouped.values())


class _Protection:
    """Withholding more cells of one group of linked sums until no small cell is exposed."""

    def __init__(self, sums, values, published, withheld):
        self.sums = sums
        self.values = values
        self.published = published
        self.withheld = withheld
        self.sums_of: dict[Key, list[int]] = defaultdict(list)
        for index, each in enumerate(sums):
            for key in (each.total, *each.parts):
                self.sums_of[key].append(index)
        self.small = [key for key in self.sums_of if is_small(values[key])]

    def run(self) -> None:
        if not self.small:
            return
        beyond_help = self._beyond_help()
        bounds = self._bounds()
        while exposed := self._exposed(bounds, beyond_help):
            tried: list[Key] = []
            while not tried or _pinned(bounds[exposed]):
                spares = self._spares(exposed)
                if not spares:  # not expected: _beyond_help found a way
                    beyond_help.add(exposed)
                    break
                self.withheld[spares[0]] = Withheld.HIDDEN
                tried.append(spares[0])
                bounds = self._bounds()
            if len(tried) > 1:
                bounds = self._keep_needed(tried, bounds, beyond_help)

    def _beyond_help(self) -> set[Key]:
        """Small cells that stay exposed even with every shown cell of SMALL_CELL or more
        withheld: only the number of small parts gives them away (nine parts of a total under
        ten are each 1). They are left as they are; docs/reports.md says so."""
        shown = [
            key
            for key in self.sums_of
            if key in self.published and key not in self.withheld and self.values[key] >= SMALL_CELL
        ]
        for key in shown:
            self.withheld[key] = Withheld.HIDDEN
        widest = self._bounds()
        for key in shown:
            del self.withheld[key]
        return {key for key in self.small if _pinned(widest[key])}

    def _keep_needed(self, tried: list[Key], bounds: dict, beyond_help: set[Key]) -> dict:
        """Publish again the tried cells that the last one made unnecessary; the bounds then."""
        exposed_now = self._exposed_all(bounds, beyond_help)
        for spare in tried[:-1]:
            del self.withheld[spare]
            narrower = self._bounds()
            if self._exposed_all(narrower, beyond_help) <= exposed_now:
                bounds = narrower
            else:
                self.withheld[spare] = Withheld.HIDDEN
        return bounds

    def _exposed(self, bounds: dict[Key, Bounds], beyond_help: set[Key]) -> Key | None:
        return next(
            (key for key in self.small if key not in beyond_help and _pinned(bounds[key])), None
        )

    def _exposed_all(self, bounds: dict[Key, Bounds], beyond_help: set[Key]) -> set[Key]:
        return {key for key in self.small if key not in beyond_help and _pinned(bounds[key])}

    def _start(self, key: Key) -> Bounds:
        if key not in self.published:
            return (0, math.inf)
        marker = self.withheld.get(key)
        if marker is None:
            return (self.values[key], self.values[key])
        if marker is Withheld.SMALL:
            return (1, SMALL_CELL - 1)
        return (SMALL_CELL, math.inf)

    def _bounds(self) -> dict[Key, Bounds]:
        """The least and greatest value a reader can give each cell: every sum narrows its
        cells from the others' bounds, again wherever a cell changed, until none does (bounds
        only narrow, never past the true values, so this ends)."""
        bounds = {key: self._start(key) for key in self.sums_of}
        shapes = []
        for each in self.sums:
            unknown = [part for part in each.parts if not _pinned(bounds[part])]
            known = sum(bounds[part][0] for part in each.parts if _pinned(bounds[part]))
            shapes.append((each.total, unknown, known))
        queue = deque(range(len(shapes)))
        waiting = set(queue)
        while queue:
            index = queue.popleft()
            waiting.discard(index)
            for key in _narrow(*shapes[index], bounds):
                for other in self.sums_of[key]:
                    if other not in waiting:
                        waiting.add(other)
                        queue.append(other)
        return bounds

    def _spares(self, exposed: Key) -> list[Key]:
        """Shown cells that may protect `exposed`: those of its own sums first, then those of
        the sums of withheld or unshown cells next to it, and so on; in each ring the smallest
        first, so that a total (never smaller than its parts) goes last unless it is spare."""
        seen_cells, seen_sums = {exposed}, set()
        frontier, spares = [exposed], []
        while frontier:
            ring, next_frontier = [], []
            for key in frontier:
                for index in self.sums_of[key]:
                    if index in seen_sums:
                        continue
                    seen_sums.add(index)
                    each = self.sums[index]
                    for cell in (*each.parts, each.total):
                        if cell in seen_cells:
                            continue
                        seen_cells.add(cell)
                        if cell in self.published and cell not in self.withheld:
                            if self.values[cell] >= SMALL_CELL:
                                spare = each.spare_total and cell == each.total
                                ring.append((not spare, self.values[cell], len(ring), cell))
                        else:
                            next_frontier.append(cell)
            spares.extend(cell for *_, cell in sorted(ring))
            frontier = next_frontier
        return spares


def _pinned(bounds: Bounds) -> bool:
    return bounds[0] == bounds[1]


def _narrow(total: Key, parts: list[Key], known: int, bounds: dict[Key, Bounds]) -> list[Key]:
    """Narrow the bounds of one sum's cells (total = known + the parts); the cells changed."""
    lows = [bounds[part][0] for part in parts]
    highs = [bounds[part][1] for part in parts]
    low_sum = known + sum(lows)
    finite_high = known + sum(high for high in highs if high != math.inf)
    unbounded = sum(high == math.inf for high in highs)
    changed = []
    total_low, total_high = bounds[total]
    narrowed_total = (
        max(total_low, low_sum),
        min(total_high, math.inf if unbounded else finite_high),
    )
    if narrowed_total != bounds[total]:
        bounds[total] = narrowed_total
        changed.append(total)
    total_low, total_high = narrowed_total
    for part, low, high in zip(parts, lows, highs, strict=True):
        if high == math.inf:
            others_high = math.inf if unbounded > 1 else finite_high
        else:
            others_high = math.inf if unbounded else finite_high - high
        narrowed = (max(low, total_low - others_high), min(high, total_high - (low_sum - low)))
        if narrowed != (low, high):
            bounds[part] = narrowed
            changed.append(part)
    return changed
