"""One preset per regulation (TOML)."""
