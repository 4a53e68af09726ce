"""asbhub."""

from importlib.metadata import version

# From the installed distribution, so a prediction file or an API answer names the release
# that made it (pyproject.toml is the one place the number is written).
__version__ = version("asbhub")
