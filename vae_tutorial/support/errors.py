"""The one exception type the package raises for bad input, missing data or a failed run.

Every message names what was wrong and how to fix it; the command line turns these into
one line and exit code 2 instead of a traceback.
"""


class TutorialError(Exception):
    """Base class: a problem the user can fix, explained in the message."""


class DataError(TutorialError):
    """A data file or folder is missing, truncated or not what it claims to be."""


class TrainingError(TutorialError):
    """Training cannot go on (for example the loss turned NaN)."""


class ConfigError(TutorialError, ValueError):
    """An argument is out of range or of the wrong kind."""
