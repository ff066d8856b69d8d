"""The settings lives in racecoach.common.settings, which the collector imports without the mesh.

This name is the same module object, so the mesh's imports of it keep working unchanged.
"""

import sys

from racecoach.common import settings as _shared

sys.modules[__name__] = _shared
