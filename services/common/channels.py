"""The channel catalogue lives in racecoach.common.channels, which the collector imports without the mesh.

This name is the same module object, so the mesh's imports of it keep working unchanged.
"""

import sys

from racecoach.common import channels as _shared

sys.modules[__name__] = _shared
