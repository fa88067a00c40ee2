"""The network admin sets a library's classification policy here; profiles are computed,
so they are read-only."""

from django.contrib import admin

from patronflow.profiles.models import ClassificationPolicy, ReadingProfile


@admin.register(ClassificationPolicy)
class ClassificationPolicyAdmin(admin.ModelAdmin):
    list_display = ["library", "source_order", "window_months", "profiles_as_of"]
    readonly_fields = ["profiles_as_of"]


@admin.register(ReadingProfile)
class ReadingProfileAdmin(admin.ModelAdmin):
    list_display = [
        "member",
        "segment",
        "fiction_loans",
        "nonfiction_loans",
        "digital_loans",
        "physical_loans",
        "as_of",
    ]
    list_filter = ["segment", "member__library"]
    list_select_related = ["member__library"]
    raw_id_fields = ["member"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
