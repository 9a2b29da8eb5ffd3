"""The package version, in its own module so that checkpoints can record it without importing the package."""

__version__ = "0.3.0"
