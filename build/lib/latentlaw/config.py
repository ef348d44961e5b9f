"""Building objects from Hydra configs without hiding the error that matters."""

from __future__ import annotations

from typing import Any


def build(cfg: Any, **kwargs: Any) -> Any:
    """hydra.utils.instantiate, re-raising the constructor's own error.

    Hydra wraps every constructor error in InstantiationException; the user needs the
    DataError/ValueError that names the bad input and the fix, so that one is raised.
    """
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    try:
        return instantiate(cfg, _convert_="all", **kwargs)
    except InstantiationException as err:
        cause = err.__cause__
        if isinstance(cause, (ValueError, TypeError, LookupError, OSError, RuntimeError)):
            raise cause from None
        raise
