"""How long long work still takes: an estimate from the recent rate, not from the start.

A run with worker processes spends its first seconds starting them (each compiles its
schemas) and then delivers results in bursts (one chunk per worker at a time, in order).
An average over the whole run so far (``elapsed / done``, what click's bar shows) counts the
start-up as if every document took that long, and promises hours for a run of seconds.
:class:`RateEstimate` measures the rate over the last ``window`` seconds of completions
only, starting at the first one.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RateEstimate:
    """Feed it :meth:`done` as work completes; :meth:`remaining` is seconds left or None."""

    total: int
    window: float = 10.0
    clock: Callable[[], float] = time.monotonic
    _count: int = 0
    _marks: deque[tuple[float, int]] = field(default_factory=deque)

    def done(self, n: int = 1) -> None:
        """``n`` more items are finished now."""
        now = self.clock()
        self._count += n
        self._marks.append((now, self._count))
        while len(self._marks) > 2 and now - self._marks[1][0] > self.window:
            self._marks.popleft()

    def remaining(self) -> float | None:
        """Seconds until ``total`` at the recent rate; None until a rate is known."""
        if len(self._marks) < 2:
            return None
        (t0, c0), (t1, c1) = self._marks[0], self._marks[-1]
        if t1 <= t0 or c1 <= c0:
            return None
        rate = (c1 - c0) / (t1 - t0)
        # Between bursts the rate looks higher than it is: time since the last mark counts.
        span = max(t1, self.clock()) - t0
        rate = min(rate, (c1 - c0) / span) if span > 0 else rate
        return max(0.0, (self.total - self._count) / rate)

    def label(self) -> str:
        """``ETA m:ss`` (or ``h:mm:ss``), or ``""`` while unknown."""
        left = self.remaining()
        if left is None:
            return ""
        seconds = int(left + 0.5)
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        return f"ETA {hours}:{minutes:02d}:{secs:02d}" if hours else f"ETA {minutes}:{secs:02d}"
