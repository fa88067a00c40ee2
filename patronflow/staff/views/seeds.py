"""The seed list: the library's own staff addresses that a mail's test goes to."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from patronflow.staff import services
from patronflow.staff.access import get_scoped, scoped, staff_view
from patronflow.staff.models import SEED_LIMIT, SeedAddress


class SeedForm(forms.Form):
    address = forms.EmailField(label=gettext_lazy("E-mail address"))
    label = forms.CharField(
        label=gettext_lazy("Whose (optional)"),
        required=False,
        max_length=SeedAddress._meta.get_field("label").max_length,
        help_text=gettext_lazy("A name or a note, e.g. “An, marketing” or “Outlook test box”."),
    )


@staff_view
def seed_list(request: HttpRequest) -> HttpResponse:
    form = SeedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            seed = services.add_seed(
                request.library,
                address=form.cleaned_data["address"],
                label=form.cleaned_data["label"],
                actor=request.user,
            )
        except services.StaffError as error:
            form.add_error("address", str(error))
        else:
            messages.success(
                request, _("%(address)s is on the seed list.") % {"address": seed.address}
            )
            return redirect("staff:seeds")
    seeds = scoped(request, SeedAddress.objects.select_related("added_by"))
    return render(request, "staff/seeds.html", {"form": form, "seeds": seeds, "limit": SEED_LIMIT})


@staff_view
@require_POST
def seed_remove(request: HttpRequest, pk: int) -> HttpResponse:
    seed = get_scoped(request, SeedAddress.objects.select_related("library"), pk=pk)
    services.remove_seed(seed, actor=request.user)
    messages.success(request, _("%(address)s is off the seed list.") % {"address": seed.address})
    return redirect("staff:seeds")
