"""A sample's tick lives in racecoach.common.ticks, which the collector imports without the mesh.

This name is the same module object, so the mesh's imports of it keep working unchanged.
"""

import sys

from racecoach.common import ticks as _shared

sys.modules[__name__] = _shared
