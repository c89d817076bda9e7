"""Errors the user can act on.

Anything raised as `UserInputError` is shown as one sentence: in the app as an error box, on the
command line as one line on standard error with exit status 2. The message says what is wrong and
what to do about it.
"""


class UserInputError(ValueError):
    """Input the user gave cannot be used; the message tells them how to fix it.

    `code` and `values` say the same as data, for the app to say it in the user's language
    (`retention.i18n.error_text`); the message itself is the command line's English.
    """

    def __init__(self, message: str, *, code: str | None = None, **values: object) -> None:
        super().__init__(message)
        self.code = code
        self.values = values


class ModelFitError(UserInputError):
    """A model could not be fitted on this data; the message says why in plain words (its code
    and values: `retention.clv.fit_status_text`)."""
