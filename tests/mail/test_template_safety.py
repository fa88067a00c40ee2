"""A staff template can fail or be greedy without stopping anything: every failure of a staff
text is a TemplateProblem that says where and why, and every rendering keeps to the render
budget (templating/sandbox.py), so a hostile template is refused instead of holding the machine."""

import pytest
from django.utils import translation

from patronflow.mail.models import Message
from patronflow.mail.rendering import render_mail
from patronflow.mail.skeletons import SkeletonRenderer
from patronflow.templating.sandbox import RenderBudgetExceeded, TemplateProblem
from patronflow.templating.staff_text import STAFF_VARIABLES, render_staff_text
from tests.factories import LibraryFactory, MemberFactory
from tests.mail.helpers import new_members_in, run_tick, second_library, write_welcome_body

CONTEXT = dict.fromkeys(STAFF_VARIABLES, "https://gent.bibliotheek.be/") | {
    "first_name": "Zoë",
    "library_name": "Bibliotheek Gent",
    "has_online_profile": False,
    "has_reading_tips": True,
}

# The payloads and their kin, with the limit each must run into first (none of
# them may get as far as the time limit, let alone run to its end).
GREEDY = [
    pytest.param(
        "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
        "steps",
        id="nested ranges",
    ),
    pytest.param("{% for c in 'abcdefghij' * 10000 %}{{ c }}{% endfor %}", "steps", id="long text"),
    pytest.param("{{ 'x' * 10**9 }}", "value", id="text times a billion"),
    pytest.param("{{ 10 ** (10 ** 10) }}", "value", id="power"),
    pytest.param("{{ [1, 2, 3] * 10**8 }}", "value", id="list times"),
    pytest.param(
        "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}",
        "value",
        id="doubling with ~",
    ),
    pytest.param(
        "{% set l = [1] %}{% for i in range(100) %}{{ l.extend(l) }}{% endfor %}",
        "value",
        id="doubling a list",
    ),
    pytest.param("{{ 'x'|center(10**9) }}", "value", id="filter width"),
    pytest.param("{{ 'x'.ljust(10**9) }}", "value", id="method width"),
    pytest.param("{{ '%0999999999d'|format(1) }}", "value", id="printf width"),
    pytest.param("{{ '{:>999999999}'.format(1) }}", "value", id="format width"),
    pytest.param("{{ '{:{w}}'.format('x', w=10**9) }}", "value", id="format width argument"),
    pytest.param(
        "{{ ('x' * 1000)|replace('x', 'y' * 1000)|replace('y', 'z' * 1000) }}",
        "value",
        id="replace",
    ),
    pytest.param("{{ ('x' * 50000)|list|join('y' * 50000) }}", "value", id="join"),
    pytest.param("{{ ('%(a)s' * 10000) % {'a': 'x' * 10000} }}", "value", id="printf repeat"),
    pytest.param("{{ [1]|slice(10**9)|list }}", "value", id="slices"),
    pytest.param(
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
        "{{ f(40) }}",
        "steps",
        id="macro tree",
    ),
    pytest.param("{% for i in range(10000) %}{{ 'y' * 99999 }}{% endfor %}", "output", id="output"),
    pytest.param("x" * 100_001, "source", id="long source"),
]


@pytest.mark.parametrize(("source", "limit"), GREEDY)
def test_a_greedy_template_is_refused_by_the_budget_before_it_takes_the_time(source, limit):
    with pytest.raises(RenderBudgetExceeded) as refused:
        render_staff_text(source, CONTEXT, html=True, field="body")
    assert refused.value.limit == limit
    assert refused.value.field == "body"


def test_the_refusal_says_what_to_change_in_the_authors_language():
    nested = GREEDY[0].values[0]
    with translation.override("nl"), pytest.raises(RenderBudgetExceeded) as dutch:
        render_staff_text(nested, CONTEXT, html=True)
    with translation.override("en"), pytest.raises(RenderBudgetExceeded) as english:
        render_staff_text(nested, CONTEXT, html=True)
    assert str(dutch.value) == (
        "regel 1: meer dan 10.000 herhalingen (lusrondes en macro-aanroepen); een mail heeft "
        "er nooit zoveel nodig: maak de lus kleiner"
    )
    assert str(english.value) == (
        "line 1: more than 10,000 repetitions (loop passes and macro calls); a mail never "
        "needs that many: make the loop smaller"
    )


SLOW = (
    "{% set text = 'woord ' * 13000 %}"
    "{% for i in range(10000) %}{{ text|wordwrap(79)|length }}{% endfor %}"
)


def test_a_slow_template_is_stopped_at_the_time_limit():
    with translation.override("en"), pytest.raises(RenderBudgetExceeded) as refused:
        render_staff_text(SLOW, CONTEXT, html=True)
    assert refused.value.limit == "time"
    assert str(refused.value) == (
        "line 1: filling it in takes longer than 2 seconds; make the text simpler (fewer or "
        "smaller loops)"
    )


def test_every_mail_of_a_batch_with_a_slow_template_fails_with_that_problem():
    library = LibraryFactory.build(code="gent")
    batch = SkeletonRenderer()
    for number, name in enumerate(["An", "Zoë", "Çelik"]):
        with pytest.raises(RenderBudgetExceeded) as refused:
            batch.render(
                message_id=number + 1,
                member=MemberFactory.build(library=library, first_name=name),
                library=library,
                subject="Nieuws",
                preheader="",
                body=f"<p>Dag {{{{ first_name }}}}</p>{SLOW}",
                reading_tips=[],
            )
        assert (refused.value.limit, refused.value.field) == ("time", "body")


FAILING = [
    pytest.param("{{ [].pop() }}", "IndexError", id="IndexError"),
    pytest.param("{{ 1 / 0 }}", "ZeroDivisionError", id="ZeroDivisionError"),
    pytest.param("{{ 2.5 ** 100000 }}", "OverflowError", id="OverflowError"),
    pytest.param("{{ {}.pop('x') }}", "KeyError", id="KeyError"),
    pytest.param("{{ '{0}{}'.format(1) }}", "ValueError", id="ValueError"),
    pytest.param("{{ 1 + 'a' }}", "TypeError", id="TypeError"),
    pytest.param(
        "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "RecursionError", id="RecursionError"
    ),
]


@pytest.mark.parametrize(("failing", "kind"), FAILING)
def test_any_failure_of_a_staff_text_is_a_template_problem_with_its_line(failing, kind):
    with translation.override("en"), pytest.raises(TemplateProblem) as problem:
        render_staff_text(f"<p>Dag {{{{ first_name }}}},</p>\n<p>{failing}</p>", CONTEXT, html=True)
    assert str(problem.value).startswith("line 2: the text fails here: ")
    assert str(problem.value).endswith(f"({kind})")


def test_a_mail_that_fails_on_its_template_says_which_text_and_where():
    library = LibraryFactory.build(code="gent")
    with translation.override("en"), pytest.raises(TemplateProblem) as problem:
        render_mail(
            message_id=1,
            member=MemberFactory.build(library=library),
            library=library,
            subject="Nieuws",
            preheader="{% if has_online_profile %}{% else %}{{ [][0] + 1 }}{% endif %}",
            body="<p>Dag</p>",
            reading_tips=[],
        )
    assert problem.value.field == "preheader"
    assert str(problem.value).startswith("line 1: the text fails here:")


def test_the_reason_never_quotes_a_members_values():
    """It is kept with the mail and shown on the journey's page, where no member is named."""
    for source in ("{{ {}.pop(first_name) }}", "{{ first_name|attr('x' ~ first_name) }}"):
        with pytest.raises(TemplateProblem) as problem:
            render_staff_text(source, CONTEXT | {"first_name": "Kwabena"}, html=True)
        assert "Kwabena" not in str(problem.value)


def test_lipsum_which_writes_any_amount_of_text_is_not_there():
    with pytest.raises(TemplateProblem, match="lipsum"):
        render_staff_text("{{ lipsum(n=100000) }}", CONTEXT, html=True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("greedy", "reason"),
    [
        pytest.param(GREEDY[0].values[0], "regel 1: meer dan 10.000 herhalingen", id="loops"),
        pytest.param(SLOW, "regel 1: het invullen duurt langer dan 2 seconden", id="time"),
    ],
)
def test_a_greedy_template_in_sending_fails_its_own_mails_and_the_tick_goes_on(
    library, smtp_server, greedy, reason
):
    brugge = second_library()
    write_welcome_body(library, f"<p>Dag {{{{ first_name }}}}</p>{greedy}")  # saved before
    new_members_in(library, brugge)

    run = run_tick()

    assert run.returncode == 0, run.stdout + run.stderr
    delivered = {mail["To"].addresses[0].addr_spec for mail in smtp_server.messages}
    assert delivered == set(brugge.members.values_list("email", flat=True))
    greedy_mails = Message.objects.filter(library=library, step__version__journey__key="welcome")
    assert greedy_mails.count() == 5
    for message in greedy_mails:
        assert message.status == Message.Status.FAILED
        assert message.last_error.startswith(f"template: {reason}")
