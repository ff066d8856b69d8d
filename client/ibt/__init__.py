"""Read and write iRacing ``.ibt`` disk telemetry (see DESIGN.md, "The .ibt format")."""

from .errors import IbtError, IbtFormatError, IbtMissingChannelError, IbtTruncatedError
from .layout import DiskHeader, Header, VarHeader, VarType
from .reader import IbtFile, read_ibt, require_channels
from .session_yaml import dump_session_info, load_session_info
from .writer import ChannelSpec, write_ibt

__all__ = [
    "ChannelSpec",
    "DiskHeader",
    "Header",
    "IbtError",
    "IbtFile",
    "IbtFormatError",
    "IbtMissingChannelError",
    "IbtTruncatedError",
    "VarHeader",
    "VarType",
    "dump_session_info",
    "load_session_info",
    "read_ibt",
    "require_channels",
    "write_ibt",
]
