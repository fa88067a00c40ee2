"""patronflow: marketing automation for public libraries."""
