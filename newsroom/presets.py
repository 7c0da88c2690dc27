"""The presets shipped with toasoan, found and read without validating them.

Apart from newsroom/settings.py: the command line lists presets and reports configuration errors before it
knows whether a command needs validated settings at all, and `toasoan inspect` starts its document worker
before it loads the settings models.
"""

from __future__ import annotations

from pathlib import Path

import config.presets

# The package's folder, not importlib.resources (with tempfile and zipfile, ~10 ms of every start): the presets
# are plain files of an installed package.
PRESETS = Path(config.presets.__file__).parent


class ConfigError(Exception):
    """A configuration problem, worded for the person who edits the file."""


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESETS.glob("*.toml"))


def load_preset(name: str) -> dict:
    if name not in preset_names():
        raise ConfigError(f"preset: không có preset {name!r}; có: {', '.join(preset_names())}")
    import tomllib  # not for listing the presets or reporting an error: the command line's start

    return tomllib.loads((PRESETS / f"{name}.toml").read_text("utf-8"))
