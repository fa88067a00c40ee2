"""The forms of the image library and the brand kit screens."""

from django import forms
from django.utils.translation import gettext_lazy as _

from patronflow.mail.brand import (
    MAX_FOOTER_LINE_LENGTH,
    MAX_FOOTER_LINES,
    footer_lines,
    is_colour,
)
from patronflow.mail.images import ALT_MAX_LENGTH, ALT_REQUIRED, MAX_UPLOAD_BYTES
from patronflow.mail.models import MailImage

ACCEPT = "image/jpeg,image/png,image/gif,image/webp"


def alt_field(**extra) -> forms.CharField:
    return forms.CharField(
        label=_("Alt text"),
        max_length=ALT_MAX_LENGTH,
        help_text=_(
            "What the image shows, for people who cannot see it and for mail programs that "
            "hide images, e.g. “Children reading in the youth corner”."
        ),
        error_messages={"required": ALT_REQUIRED},
        **extra,
    )


class ImageUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Image"),
        help_text=_("A JPEG, PNG or GIF of at most %(limit)s MB.")
        % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)},
        error_messages={"required": _("Choose an image file to upload.")},
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    alt = alt_field()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB; make it smaller and try again.")
                % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload


class AltTextForm(forms.Form):
    alt = alt_field()


class LogoChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: MailImage) -> str:
        return obj.alt


class BrandKitForm(forms.Form):
    """A library's kit: every field may stay empty, and then the network's is worn."""

    logo = LogoChoice(
        queryset=MailImage.objects.none(),
        required=False,
        label=_("Logo"),
        empty_label=_("No logo of our own"),
        blank=True,
        widget=forms.RadioSelect,
    )
    logo_url = forms.URLField(
        label=_("Logo on the library's own site (web address)"),
        required=False,
        assume_scheme="https",
        help_text=_(
            "Worn when no logo is chosen above; only an https address on the library's own "
            "site. Better: upload the logo to the image library."
        ),
    )
    colour = forms.CharField(
        label=_("Brand colour"),
        required=False,
        max_length=7,
        help_text=_("The band at the top of every mail, like #1f5f8b."),
    )
    button_colour = forms.CharField(
        label=_("Button colour"),
        required=False,
        max_length=7,
        help_text=_("Like #0b5563; empty: the brand colour."),
    )
    footer = forms.CharField(
        label=_("Footer lines"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Plain text under every mail, at most %(lines)s lines: the address, the opening hours."
        )
        % {"lines": MAX_FOOTER_LINES},
    )

    def __init__(self, *args, images, network: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["logo"].queryset = images
        for name in ("colour", "footer"):
            if network.get(name):
                self.fields[name].widget.attrs["placeholder"] = network[name]
        if network.get("colour"):
            self.fields["colour"].help_text = _(
                "The band at the top of every mail, like #1f5f8b; empty: the network's "
                "colour (%(colour)s)."
            ) % {"colour": network["colour"]}

    def clean_colour(self) -> str:
        return self._colour("colour")

    def clean_button_colour(self) -> str:
        return self._colour("button_colour")

    def clean_logo_url(self) -> str:
        url = self.cleaned_data["logo_url"]
        if url and not url.startswith("https://"):
            raise forms.ValidationError(_("Only an https address: mail programs block others."))
        return url

    def clean_footer(self) -> str:
        lines = footer_lines(self.cleaned_data["footer"])
        if len(lines) > MAX_FOOTER_LINES:
            raise forms.ValidationError(
                _("At most %(lines)s lines, please.") % {"lines": MAX_FOOTER_LINES}
            )
        if any(len(line) > MAX_FOOTER_LINE_LENGTH for line in lines):
            raise forms.ValidationError(
                _("Keep each line under %(length)s characters.")
                % {"length": MAX_FOOTER_LINE_LENGTH}
            )
        return "\n".join(lines)

    def _colour(self, name: str) -> str:
        value = self.cleaned_data[name].strip()
        if value and not value.startswith("#"):
            value = f"#{value}"
        if value and not is_colour(value):
            raise forms.ValidationError(_("Write a colour as # and six hex digits, like #1f5f8b."))
        return value.lower()


class NetworkBrandForm(BrandKitForm):
    """The network's default kit: its logo is uploaded here (it belongs to no library)."""

    logo_file = forms.FileField(
        label=_("Upload a new logo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        help_text=_("A JPEG, PNG or GIF; it replaces the network's logo."),
    )
    logo_alt = forms.CharField(
        label=_("Logo's alt text"),
        required=False,
        max_length=ALT_MAX_LENGTH,
        help_text=_("The network's name, as the logo shows it."),
    )
    field_order = ["logo", "logo_file", "logo_alt"]

    def clean(self):
        data = super().clean()
        if data.get("logo_file") and not (data.get("logo_alt") or "").strip():
            self.add_error("logo_alt", ALT_REQUIRED)
        return data
