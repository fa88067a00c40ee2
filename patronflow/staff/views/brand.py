"""The brand kit screens: a library's own (logo, colours, footer lines), and the network's
default that a network admin sets, worn wherever a library has set nothing."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from patronflow.mail import brand, images
from patronflow.mail.models import BrandKit
from patronflow.staff.access import staff_view
from patronflow.staff.brand_forms import BrandKitForm, NetworkBrandForm
from patronflow.staff.views.images import shown_images


def _initial(kit: BrandKit) -> dict:
    return {
        "logo": kit.logo_id,
        "logo_url": kit.logo_url,
        "colour": kit.colour,
        "button_colour": kit.button_colour,
        "footer": kit.footer,
    }


def _network_values() -> dict[str, str]:
    network = brand.network_brand()
    return {
        "colour": network.colour,
        "footer": "\n".join(network.footer_lines),
    }


def _save(kit: BrandKit, data: dict, request: HttpRequest, logo=None) -> None:
    brand.save_kit(
        kit,
        logo=logo or data["logo"],
        logo_url=data["logo_url"],
        colour=data["colour"],
        button_colour=data["button_colour"],
        footer=data["footer"],
        updated_by=request.user,
    )


def _shown_logo(worn: brand.Brand) -> str:
    """The logo's address for the screen: one of our own images from this server itself (the
    staff pages load images from their own origin), the library's own site's as it is."""
    if worn.logo_url.startswith(settings.BASE_URL + "/"):
        return worn.logo_url[len(settings.BASE_URL) :]
    return worn.logo_url


def _logo_choices(form) -> list[dict]:
    """The logo field's radio inputs, each with its image's thumbnail."""
    shown = {item["image"].pk: item for item in shown_images(form.fields["logo"].queryset)}
    return [
        {"radio": radio, "shown": shown.get(_choice_pk(radio.data["value"]))}
        for radio in form["logo"]
    ]


def _choice_pk(value) -> int | None:
    value = getattr(value, "value", value)
    return int(value) if str(value).isdigit() else None


@staff_view
def brand_kit(request: HttpRequest) -> HttpResponse:
    kit = brand.kit_of(request.library)
    form = BrandKitForm(
        request.POST or None,
        initial=_initial(kit),
        images=images.library_images(request.library),
        network=_network_values(),
    )
    if request.method == "POST" and form.is_valid():
        _save(kit, form.cleaned_data, request)
        messages.success(request, _("The brand kit is saved: the next mails wear it."))
        return redirect("staff:brand")
    worn = brand.brand_for(request.library)
    return render(
        request,
        "staff/brand.html",
        {
            "form": form,
            "logo_choices": _logo_choices(form),
            "brand": worn,
            "logo": _shown_logo(worn),
            "network": False,
        },
    )


@staff_view(admin=True)
def network_brand(request: HttpRequest) -> HttpResponse:
    kit = brand.kit_of(None)
    form = NetworkBrandForm(
        request.POST or None,
        request.FILES or None,
        initial=_initial(kit),
        images=images.library_images(None),
        network={},
    )
    if request.method == "POST" and form.is_valid():
        logo = None
        upload = form.cleaned_data["logo_file"]
        try:
            if upload:
                logo, _new = images.store_image(
                    library=None,
                    content=upload.read(),
                    name=upload.name,
                    alt=form.cleaned_data["logo_alt"],
                    created_by=request.user,
                )
        except images.ImageRefused as refused:
            form.add_error("logo_file" if refused.field == "file" else "logo_alt", refused.message)
        else:
            _save(kit, form.cleaned_data, request, logo=logo)
            messages.success(
                request, _("The network's brand kit is saved: libraries without their own wear it.")
            )
            return redirect("staff:network_brand")
    worn = brand.network_brand()
    return render(
        request,
        "staff/brand.html",
        {
            "form": form,
            "logo_choices": _logo_choices(form),
            "brand": worn,
            "logo": _shown_logo(worn),
            "network": True,
        },
    )
