"""asbhub: anti-social behaviour incidents, casework and analysis for a force and partners."""

import os
from importlib.metadata import version

# asbhub's linear algebra is small (a 72-month SARIMA, grid counts): OpenBLAS's threads only
# contend for the cores there. A SARIMA fit took 4-20 s with them on a busy 2-core machine and
# under 1 s without. Must be set before numpy is first imported; an explicit setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# From the installed distribution, so a prediction file or an API answer names the release
# that made it (pyproject.toml is the one place the number is written).
__version__ = version("asbhub")
