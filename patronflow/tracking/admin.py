"""Read-only views of what members did: these rows are records, never edited by staff."""

from django.contrib import admin

from patronflow.tracking.models import Event, Feedback


class RecordAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(RecordAdmin):
    list_display = ["created_at", "kind", "machine", "message", "link_index"]
    list_filter = ["kind", "machine", "message__library"]
    list_select_related = ["message"]
    raw_id_fields = ["message"]
    date_hierarchy = "created_at"


@admin.register(Feedback)
class FeedbackAdmin(RecordAdmin):
    list_display = ["updated_at", "vote", "message", "comment"]
    list_filter = ["vote", "message__library"]
    list_select_related = ["message"]
    raw_id_fields = ["message"]
    search_fields = ["comment"]
