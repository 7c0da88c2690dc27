"""The presets shipped with toasoan, found and read without validating them.

Apart from newsroom/settings.py because that module builds its pydantic models when it is imported
(a tenth of a second or more): the command line lists presets and reports configuration errors before it
knows whether a command needs validated settings at all.
"""

from __future__ import annotations

import tomllib
from importlib import resources


class ConfigError(Exception):
    """A configuration problem, worded for the person who edits the file."""


def preset_names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files("config.presets").iterdir() if p.name.endswith(".toml"))


def load_preset(name: str) -> dict:
    if name not in preset_names():
        raise ConfigError(f"preset: không có preset {name!r}; có: {', '.join(preset_names())}")
    return tomllib.loads(resources.files("config.presets").joinpath(f"{name}.toml").read_text("utf-8"))
