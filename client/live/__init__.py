"""Live telemetry from iRacing (pyirsdk shared memory, or a live-layout test file) streamed through the spool."""

from .collector import CollectSummary, LiveCollector
from .memfile import IbtPlayer, LiveMemoryFile
from .sampler import LiveSampler, Samples, SessionEnded, SessionStarted, Status

__all__ = [
    "CollectSummary", "IbtPlayer", "LiveCollector", "LiveMemoryFile", "LiveSampler", "Samples", "SessionEnded",
    "SessionStarted", "Status",
]
