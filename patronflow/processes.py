"""What a long-running patronflow process does once it is set up."""

import gc


def freeze_long_lived_objects() -> None:
    """What Django, the apps and their modules built by now lives as long as the process.
    Left to the collector, every full collection walks it all again, costing the sender
    time and the tracking server's event loop pauses. Frozen, the collector sees only what
    was made since (docs/performance.md)."""
    gc.collect()
    gc.freeze()
