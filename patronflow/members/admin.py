"""The network admin's view of libraries and their imported data.

Members, items and loans come from the library system and the next import would overwrite
any edit, so they are read-only here; the one thing staff may set is a member's unsubscribe
(for a member who asks by phone or at the desk).
"""

from django.contrib import admin

from patronflow.members.import_columns import KINDS
from patronflow.members.models import Item, Library, Loan, Member


@admin.register(Library)
class LibraryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "sender_name", "sender_email", "created_at"]
    search_fields = ["code", "name"]
    readonly_fields = ["created_at"]


class ImportedAdmin(admin.ModelAdmin):
    list_filter = ["library"]
    list_select_related = ["library"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Member)
class MemberAdmin(ImportedAdmin):
    list_display = ["external_id", "first_name", "last_name", "library", "registered_on"]
    search_fields = ["external_id", "first_name", "last_name", "email"]
    date_hierarchy = "registered_on"
    readonly_fields = [
        "library",
        *(column.attname for column in KINDS["members"].columns),
        "updated_at",
    ]


@admin.register(Item)
class ItemAdmin(ImportedAdmin):
    list_display = ["external_id", "title", "author", "material", "is_fiction", "library"]
    list_filter = ["library", "material", "is_fiction"]
    search_fields = ["external_id", "title", "author", "isbn"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Loan)
class LoanAdmin(ImportedAdmin):
    list_display = ["external_id", "loaned_on", "member", "item", "library"]
    list_select_related = ["library", "member__library", "item"]
    raw_id_fields = ["member", "item"]
    date_hierarchy = "loaned_on"

    def has_change_permission(self, request, obj=None) -> bool:
        return False
