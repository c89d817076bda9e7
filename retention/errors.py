"""Errors the user can act on.

Anything raised as `UserInputError` is shown as one sentence: in the app as an error box, on the
command line as one line on standard error with exit status 2. The message says what is wrong and
what to do about it.
"""


class UserInputError(ValueError):
    """Input the user gave cannot be used; the message tells them how to fix it."""


class ModelFitError(UserInputError):
    """A model could not be fitted on this data; the message says why in plain words."""
