"""MBG/NBD: the modified BG/NBD of Batislam, Denizel and Filiztekin (2007).

Batislam, E. P., Denizel, M. and Filiztekin, A. (2007), "Empirical validation and comparison of
models for customer base analysis", International Journal of Research in Marketing 24(3), 201-209.

The same story as the BG/NBD except that a customer can drop out right after the first purchase
too (the plain BG/NBD says a one-time buyer is alive for sure, P(alive) = 1). The likelihood is
eq. 4 of the paper, P(alive) eq. 6, E[X(t)] eq. 8 and E[Y(t) | x, t_x, T] eq. 9; the shared
machinery (fit, gradients, predictions) lives in retention.models.bgnbd.
"""

from __future__ import annotations

from retention.models.bgnbd import _BetaGeoFamily


class ModifiedBetaGeoModel(_BetaGeoFamily):
    """The MBG/NBD model (Batislam et al. 2007); parameters `r`, `alpha`, `a`, `b`."""

    model_name = "MBG/NBD"
    _shift = 1
