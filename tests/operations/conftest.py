"""The members tests' fixtures the flows' tests use too: export files, small chunks, a
recorded library system and a file drop."""

from tests.members.conftest import export, small_chunks  # noqa: F401
from tests.members.library_systems import drop, wise_server  # noqa: F401
