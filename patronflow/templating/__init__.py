"""The template language of the texts staff write: Jinja2 in a sandbox with a budget, and the
check a text passes before it is saved. Shared by the stages that define mails (journeys)
and render them (mail), so it sits below both."""
