"""The network admin's view of the audit log (read-only: append-only). Retention policies are
set beside the classification policy (profiles/admin.py), whose window they must cover."""

from django.contrib import admin

from patronflow.privacy.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = [
        "at", "operator", "action", "library_code", "member_ref", "counts", "subject",
        "described_changes",
    ]  # fmt: skip
    list_filter = ["action", "library_code"]
    search_fields = ["=member_ref", "operator", "subject"]
    date_hierarchy = "at"

    @admin.display(description="changes")
    def described_changes(self, entry: AuditEntry) -> str:
        return entry.described_changes()

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
