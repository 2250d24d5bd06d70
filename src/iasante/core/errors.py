"""The error family every system raises, mapped once to HTTP statuses and CLI exit codes."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class IASanteError(Exception):
    """Base of all expected errors; the message is shown to the user as is."""

    http_status = 500
    exit_code = 1


class InputDataError(IASanteError):
    """Bad input: a corrupt file, a wrong format, an invalid value, an unknown id."""

    http_status = 422
    exit_code = 2


class NotFoundError(InputDataError):
    """An id that names nothing."""

    http_status = 404


class ConfigError(IASanteError):
    """A misconfigured deployment (missing key, bad database URL...)."""

    http_status = 500
    exit_code = 3


class ModelNotReadyError(IASanteError):
    """Weights are missing or the model was not fitted."""

    http_status = 503
    exit_code = 5


class ExternalToolError(IASanteError):
    """An external program (bwa, delly, vina...) failed or is missing."""

    http_status = 502
    exit_code = 6


class AccessDeniedError(IASanteError):
    """The acting user lacks the role for this action."""

    http_status = 403
    exit_code = 2


def look_up_option(value: str, valid: Iterable[str], what: str = "value") -> str:
    """Return ``value`` if it is valid, else raise an error listing valid ones and the nearest match.

    >>> look_up_option("auc", ["auc", "f1"])
    'auc'
    """
    options = list(valid)
    if value in options:
        return value
    close = difflib.get_close_matches(value, options, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise InputDataError(f"Unknown {what} {value!r}; valid: {', '.join(options)}.{hint}")
