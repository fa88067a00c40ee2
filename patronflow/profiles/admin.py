"""The network admin sets a library's classification policy and its retention policy here
(the retention's loan history is held against the profile's window, so it is registered
with the profiles that know that window); profiles are computed, so they are read-only."""

from django import forms
from django.contrib import admin

from patronflow.privacy.models import RetentionPolicy
from patronflow.profiles.models import ClassificationPolicy, ReadingProfile
from patronflow.profiles.policies import loan_history_problem


class RetentionPolicyForm(forms.ModelForm):
    class Meta:
        model = RetentionPolicy
        fields = ["library", "ex_member_days", "audit_days", "loan_history_months"]

    def clean(self) -> dict:
        cleaned = super().clean()
        library = cleaned.get("library")
        months = cleaned.get("loan_history_months")
        if library is not None and (problem := loan_history_problem(library.pk, months)):
            self.add_error("loan_history_months", problem)
        return cleaned


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    form = RetentionPolicyForm
    list_display = ["library", "ex_member_days", "loan_history_months", "audit_days"]


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
