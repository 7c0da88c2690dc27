"""Data, not code: the example configuration and one preset per regulation, shipped with the package."""
