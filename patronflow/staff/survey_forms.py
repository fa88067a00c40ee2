"""The forms of the survey screens: a survey's texts and settings, and one question."""

from django import forms
from django.utils.translation import gettext_lazy as _

from patronflow.surveys.models import Question, Survey

MAX_CHOICES = 12
CHOICE_LENGTH = 200
RETENTION_DAYS = (30, 730)
CHOICE_KINDS = (Question.Kind.SINGLE, Question.Kind.MULTIPLE)


class SurveyForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = [
            "title", "intro", "thanks", "language", "offers_focus_group",
            "volunteer_retention_days",
        ]  # fmt: skip
        labels = {
            "title": _("Title"),
            "intro": _("Introduction (optional)"),
            "thanks": _("Thank-you text (optional)"),
            "language": _("Language of the survey"),
            "offers_focus_group": _("Offer the focus group after the answers"),
            "volunteer_retention_days": _("Keep focus-group volunteers for (days)"),
        }
        help_texts = {
            "language": _(
                "The page and its buttons are in this language; write the questions in it too."
            ),
            "volunteer_retention_days": _(
                "Volunteers read this period before they agree, and are erased when it ends."
            ),
        }
        widgets = {
            "intro": forms.Textarea(attrs={"rows": 3}),
            "thanks": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_volunteer_retention_days(self) -> int:
        days = self.cleaned_data["volunteer_retention_days"]
        low, high = RETENTION_DAYS
        if not low <= days <= high:
            raise forms.ValidationError(
                _("Choose between %(low)s and %(high)s days.") % {"low": low, "high": high}
            )
        return days


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Question"), max_length=500)
    kind = forms.ChoiceField(
        label=_("Kind of answer"),
        choices=[
            (Question.Kind.SINGLE, _("One choice")),
            (Question.Kind.MULTIPLE, _("Several choices")),
            (Question.Kind.SCALE, _("Scale from 1 to 5")),
            (Question.Kind.OPEN, _("Open answer")),
        ],
    )
    choices = forms.CharField(
        label=_("Choices, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only for one or several choices."),
    )
    required = forms.BooleanField(label=_("An answer is required"), required=False)

    def clean(self) -> dict:
        data = super().clean()
        lines = [line.strip() for line in data.get("choices", "").splitlines() if line.strip()]
        if data.get("kind") not in CHOICE_KINDS:
            data["choices"] = []
            return data
        if len(lines) < 2:
            self.add_error("choices", _("Give at least two choices, one per line."))
        elif len(lines) > MAX_CHOICES:
            self.add_error("choices", _("Give at most %(n)s choices.") % {"n": MAX_CHOICES})
        elif len(set(lines)) < len(lines):
            self.add_error("choices", _("Each choice may appear only once."))
        elif max(map(len, lines)) > CHOICE_LENGTH:
            self.add_error(
                "choices", _("A choice is at most %(n)s characters.") % {"n": CHOICE_LENGTH}
            )
        data["choices"] = lines
        return data

    @classmethod
    def of(cls, question: Question, **kwargs) -> "QuestionForm":
        initial = {
            "text": question.text,
            "kind": question.kind,
            "choices": "\n".join(question.choices),
            "required": question.required,
        }
        return cls(initial=initial, prefix=f"q{question.pk}", **kwargs)
