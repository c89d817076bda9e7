"""Customer-base models: scikit-learn style estimators on numpy and scipy only.

- `BetaGeoModel`: BG/NBD purchases (Fader, Hardie and Lee 2005).
- `ModifiedBetaGeoModel`: MBG/NBD purchases (Batislam, Denizel and Filiztekin 2007).
- `GammaGammaModel`: spend per transaction (Fader and Hardie 2013).
"""

from retention.models.base import NotFittedError
from retention.models.bgnbd import BetaGeoModel
from retention.models.gammagamma import GammaGammaModel, frequency_spend_correlation
from retention.models.mbgnbd import ModifiedBetaGeoModel

__all__ = [
    "BetaGeoModel",
    "GammaGammaModel",
    "ModifiedBetaGeoModel",
    "NotFittedError",
    "frequency_spend_correlation",
]
