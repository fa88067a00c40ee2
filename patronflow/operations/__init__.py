"""Flows that cross the pipeline's stages, one module each: every command, view and task that
needs more than one stage calls a flow here, and no stage calls back up (docs/architecture.md)."""
