"""The library's image library: upload an image for its mails (alt text required), see them
as thumbnails, change an image's alt text, delete one (saying which mails show it), and the
picker the mail designer lists them in."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from patronflow.mail import images
from patronflow.mail.models import BrandKit, MailImage
from patronflow.staff.access import get_scoped, staff_view
from patronflow.staff.brand_forms import AltTextForm, ImageUploadForm

THUMBNAIL_SHOWN = 160  # CSS pixels: the 320-pixel thumbnail, sharp on phones


def shown_images(image_list) -> list[dict]:
    """Each image with its thumbnail's address and size on the screen, and its ImageRef."""
    return [
        {
            "image": image,
            "thumbnail": images.thumbnail_path(image),
            "ref": images.image_ref(image),
            "size": _fitted(image.width, image.height),
        }
        for image in image_list
    ]


def _fitted(width: int, height: int) -> tuple[int, int]:
    """The thumbnail's size on the screen: within THUMBNAIL_SHOWN square, never enlarged."""
    scale = min(1, THUMBNAIL_SHOWN / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


@staff_view
def image_library(request: HttpRequest) -> HttpResponse:
    form = ImageUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            image, new = images.store_image(
                library=request.library,
                content=upload.read(),
                name=upload.name,
                alt=form.cleaned_data["alt"],
                created_by=request.user,
            )
        except images.ImageRefused as refused:
            form.add_error(refused.field, str(refused.message))
        else:
            if new:
                messages.success(request, _("The image is in your image library."))
            else:
                messages.info(
                    request,
                    _("This image was already in your image library (as “%(alt)s”).")
                    % {"alt": image.alt},
                )
            return redirect("staff:images")
    library_images = images.library_images(request.library)
    return render(
        request,
        "staff/images.html",
        {
            "form": form,
            "images": shown_images(library_images),
            "limit": images.MAX_IMAGES,
            "count": library_images.count(),
        },
    )


@staff_view
def image_detail(request: HttpRequest, pk: int) -> HttpResponse:
    image = get_scoped(request, images.library_images(request.library), pk=pk)
    form = AltTextForm(request.POST or None, initial={"alt": image.alt})
    if request.method == "POST" and form.is_valid():
        try:
            images.change_alt(image, alt=form.cleaned_data["alt"], actor=request.user)
        except images.ImageRefused as refused:
            form.add_error("alt", str(refused.message))
        else:
            messages.success(request, _("The alt text is saved."))
            return redirect("staff:images")
    return render(
        request,
        "staff/image.html",
        {
            "form": form,
            "shown": shown_images([image])[0],
            "uses": images.mails_using(image),
            "is_logo": _is_logo(image),
        },
    )


@staff_view
def image_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks, saying which mails show the image; POST deletes it."""
    image = get_scoped(request, images.library_images(request.library), pk=pk)
    if request.method == "POST":
        images.delete_image(image, actor=request.user)
        messages.success(request, _("The image is deleted."))
        return redirect("staff:images")
    return render(
        request,
        "staff/image_delete.html",
        {
            "shown": shown_images([image])[0],
            "uses": images.mails_using(image),
            "is_logo": _is_logo(image),
        },
    )


def _is_logo(image: MailImage) -> bool:
    return BrandKit.objects.filter(logo=image).exists()
