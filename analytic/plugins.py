"""Paradigms and losses shipped by other packages: the entry-point group ``attention_dynamics.models``.

Each entry point names a callable (``package.module:register``) that calls
:func:`analytic.register_paradigm` and :func:`analytic.register_loss`; it is
called once, the first time a registry is consulted. A plugin that fails to
load or to register is refused with one line naming it (:class:`PluginError`).

Example ``pyproject.toml`` of such a package::

    [project.entry-points."attention_dynamics.models"]
    mixture = "my_models:register"
"""

from __future__ import annotations

GROUP = "attention_dynamics.models"

_state = {"loaded": False}


class PluginError(ValueError):
    """An entry point of :data:`GROUP` that could not be loaded or did not register cleanly."""


def load() -> None:
    """Call every entry point of :data:`GROUP` once (later calls do nothing)."""
    if _state["loaded"]:
        return
    _state["loaded"] = True  # before calling: a plugin consulting the registry does not recurse
    from importlib.metadata import entry_points

    for point in entry_points(group=GROUP):
        try:
            register = point.load()
            if not callable(register):
                raise TypeError(f"{point.value} is not callable")
            register()
        except Exception as error:  # a plugin's failure of any kind is its own, said in one line
            message = " ".join(str(error).split()) or type(error).__name__
            raise PluginError(f"plugin {point.name!r} ({point.value}) of {GROUP} failed: {type(error).__name__}: {message}") from None


__all__ = ["GROUP", "PluginError", "load"]
