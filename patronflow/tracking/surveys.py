"""The library's own survey, answered by anyone with its address (docs/surveys.md).

No login and no cookies, like the other public pages: the POST is exempt from CSRF as the
feedback form is (there is no session for a forged request to ride on, and a forged answer
is no worse than one typed in). The page is in the survey's language and the library's
colour. `?via=mail|website|desk` says how the respondent came (the mail's link, the desk's QR
code, the website's link); nothing else about them is kept. After the answers, the thank-you
page offers the focus group, with its own consent, stored apart from the answers. Answers and
sign-ups are limited per client (choices/signup.py CLIENT_LIMITS); over the limit, a page
asks to try again later (429).
"""

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from patronflow.choices import signup
from patronflow.choices.models import SignupAttempt
from patronflow.clients import request_client_address
from patronflow.surveys import queries, services
from patronflow.surveys.models import Question, Response, Survey
from patronflow.tracking.views import _invalid_link, _member_facing, _page

OPEN_ANSWER_LIMIT = 2000
HONEYPOT = "website"


class SurveyForm(forms.Form):
    """One field per question (q<id>) and a honeypot that people never see."""

    website = forms.CharField(required=False, label=_("Laat dit veld leeg"))

    def __init__(self, *args, survey: Survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(survey.questions.order_by("position", "pk"))
        for question in self.questions:
            self.fields[f"q{question.pk}"] = _field(question)

    def answers(self) -> dict[int, list[str]]:
        answers = {}
        for question in self.questions:
            value = self.cleaned_data[f"q{question.pk}"]
            answers[question.pk] = list(value) if isinstance(value, list) else [str(value).strip()]
        return answers

    def question_fields(self):
        return [(question, self[f"q{question.pk}"]) for question in self.questions]


def _field(question: Question) -> forms.Field:
    common = {"label": question.text, "required": question.required}
    choices = [(choice, choice) for choice in question.choices]
    match question.kind:
        case Question.Kind.SINGLE:
            return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
        case Question.Kind.MULTIPLE:
            return forms.MultipleChoiceField(
                choices=choices, widget=forms.CheckboxSelectMultiple, **common
            )
        case Question.Kind.SCALE:
            scale = [(value, value) for value in queries.SCALE]
            return forms.ChoiceField(choices=scale, widget=forms.RadioSelect, **common)
    return forms.CharField(
        max_length=OPEN_ANSWER_LIMIT, widget=forms.Textarea(attrs={"rows": 4}), **common
    )


class VolunteerForm(forms.Form):
    consent = forms.BooleanField(label=_("Ja, ik doe graag mee aan de focusgroep"))
    name = forms.CharField(label=_("Naam"), max_length=150)
    email = forms.EmailField(label=_("E-mailadres"))
    phone = forms.CharField(label=_("Telefoon (hoeft niet)"), max_length=30, required=False)
    website = forms.CharField(required=False, label=_("Laat dit veld leeg"))


def consent_wording(survey: Survey) -> str:
    """What the volunteer agrees to, in the survey's language; kept with the volunteer."""
    with translation.override(survey.language):
        return _consent_wording(survey)


def _consent_wording(survey: Survey) -> str:
    return gettext(
        "%(library)s mag je naam, e-mailadres en (als je die geeft) je telefoonnummer "
        "bewaren om je uit te nodigen voor een focusgroep: een gesprek met een paar "
        "leden over de bibliotheek en haar mails. We bewaren ze %(days)s dagen en "
        "wissen ze dan. Je aanmelding staat los van je antwoorden: niemand kan zien wat jij "
        "hebt geantwoord. Je kunt je altijd afmelden bij de bibliotheek."
    ) % {"library": survey.library.name, "days": survey.volunteer_retention_days}


def _channel(request: HttpRequest) -> str:
    via = request.GET.get("via", "")
    return via if via in Response.Channel.values else Response.Channel.WEBSITE


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@_member_facing
def survey(request: HttpRequest, key: str) -> HttpResponse:
    found = queries.survey_by_key(key)
    if found is None:
        return _invalid_link(request)
    page = _pager(request, found)
    if found.status != Survey.Status.OPEN:
        return page("tracking/survey_closed.html")
    if request.method != "POST":
        return page("tracking/survey.html", form=SurveyForm(survey=found))
    if "consent" in request.POST or "name" in request.POST:
        return _volunteer(request, found, page)
    form = SurveyForm(request.POST, survey=found)
    if not form.is_valid():
        return page("tracking/survey.html", form=form)
    if not form.cleaned_data[HONEYPOT]:
        if not _within_limit(request, SignupAttempt.Kind.SURVEY):
            return page("tracking/survey_later.html", status=429)
        services.submit_response(
            survey=found,
            channel=_channel(request),
            answers=form.answers(),
            today=timezone.localdate(),
        )
    return page(
        "tracking/survey_thanks.html", form=_offer(found), consent_text=consent_wording(found)
    )


def _within_limit(request: HttpRequest, kind: str) -> bool:
    """The client's answers and focus-group sign-ups are counted (choices/signup.py
    CLIENT_LIMITS, as keyed hashes): stuffing answers or volunteering other people's
    addresses from one place stops there."""
    return signup.client_allowed(kind=kind, client=request_client_address(request))


def _pager(request: HttpRequest, survey: Survey):
    def page(template: str, status: int = 200, **context) -> HttpResponse:
        return _page(
            request,
            template,
            survey.library,
            status=status,
            language=survey.language,
            survey=survey,
            **context,
        )

    return page


def _offer(survey: Survey) -> VolunteerForm | None:
    return VolunteerForm() if survey.offers_focus_group else None


def _volunteer(request: HttpRequest, survey: Survey, page) -> HttpResponse:
    if not survey.offers_focus_group:
        raise Http404
    form = VolunteerForm(request.POST)
    if not form.is_valid():
        return page("tracking/survey_thanks.html", form=form, consent_text=consent_wording(survey))
    if not form.cleaned_data[HONEYPOT]:
        if not _within_limit(request, SignupAttempt.Kind.VOLUNTEER):
            return page("tracking/survey_later.html", status=429)
        services.add_volunteer(
            survey=survey,
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            phone=form.cleaned_data["phone"],
            consent_text=consent_wording(survey),
        )
    return page("tracking/survey_volunteered.html")
