"""The staff screens, one module per area. Thin: each finds its rows through access.py
(scoped to the library) and calls the flows (patronflow/operations) and the stages' services
and queries."""
