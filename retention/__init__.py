"""retention: retention analytics for online shops.

The library behind the Streamlit app and the `retention` command line. It never imports Streamlit.
"""

from retention.errors import UserInputError

__all__ = ["UserInputError"]
__version__ = "0.1.0"
