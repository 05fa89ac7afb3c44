"""Template rendering: every value, missing values, the sandbox, subjects and rich bodies."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from desk_app.core.sla import Target, TargetKind
from desk_app.core.templates import (
    KNOWN_FIELDS,
    MAX_OUTPUT,
    ReplyFacts,
    TemplateError,
    check_syntax,
    drop_markers,
    format_date,
    input_names,
    markers,
    namespaces,
    render,
    render_for,
    unknown_placeholders,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
FACTS = ReplyFacts(
    customer_name="Maria Garcia",
    customer_email="maria@example.com",
    customer_language="en",
    ticket_number=42,
    ticket_subject="Refund for order 7",
    ticket_department="Billing",
    ticket_status="open",
    ticket_priority="high",
    ticket_created_at=datetime(2026, 11, 22, 18, 30, tzinfo=UTC),
    agent_name="Anna Ivanova",
    agent_email="anna@desk.test",
    agent_signature="Anna\nAcme support",
    time_zone="Europe/Berlin",
    first_response_due_at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
    next_response_due_at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
    resolution_due_at=datetime(2026, 12, 2, 9, 0, tzinfo=UTC),
    response_target=Target(TargetKind.FIRST_RESPONSE, 120, True),
    company_name="Acme",
)


def test_every_variable_is_filled():
    source = "\n".join(
        f"{namespace}.{name}={{{{ {namespace}.{name} }}}}"
        for namespace, names in KNOWN_FIELDS.items()
        for name in names
    )
    result = render_for(source + "\ninput.order={{ input.order }}", FACTS, NOW, {"order": "A-7"})
    assert result.missing == ()
    assert dict(line.split("=", 1) for line in result.text.split("\n") if "=" in line) == {
        "customer.name": "Maria Garcia",
        "customer.first_name": "Maria",
        "customer.email": "maria@example.com",
        "customer.language": "en",
        "ticket.number": "42",
        "ticket.subject": "Refund for order 7",
        "ticket.department": "Billing",
        "ticket.status": "open",
        "ticket.priority": "high",
        "ticket.created": "Sunday 22 November 2026, 19:30",
        "agent.name": "Anna Ivanova",
        "agent.first_name": "Anna",
        "agent.email": "anna@desk.test",
        "agent.signature": "Anna",  # the signature's second line is its own line
        "sla.first_response_due": "Tuesday 24 November 2026, 10:00",
        "sla.next_response_due": "Tuesday 24 November 2026, 10:00",
        "sla.resolution_due": "Wednesday 2 December 2026, 10:00",
        "sla.expected_response": "by 10:00 tomorrow",
        "sla.response_target": "within 2 business hours",
        "company.name": "Acme",
        "input.order": "A-7",
    }
    assert "Acme support" in result.text


@pytest.mark.parametrize(
    ("language", "due", "expected", "target"),
    [
        ("ja", "2026年11月24日(火) 10:00", "明日10:00までに", "2営業時間以内に"),
        ("ru", "24 ноября 2026, 10:00", "завтра до 10:00", "в течение 2 рабочих часов"),
        (
            "pt-BR",
            "Tuesday 24 November 2026, 10:00",
            "by 10:00 tomorrow",
            "within 2 business hours",
        ),
    ],
)
def test_dates_and_phrases_in_the_customers_language(language, due, expected, target):
    facts = ReplyFacts(**{**FACTS.__dict__, "customer_language": language})
    result = render_for(
        "{{ sla.first_response_due }}|{{ sla.expected_response }}|{{ sla.response_target }}",
        facts,
        NOW,
    )
    assert result.text.split("|") == [due, expected, target]


def test_missing_values_are_marked_and_listed_and_defaults_still_work():
    facts = ReplyFacts(customer_email="someone@example.com", ticket_number=5)
    result = render_for(
        "Hello {{ customer.first_name }}, {{ customer.name | default('there') }}.\n"
        "Order {{ input.order }} on #{{ ticket.number }} ({{ company.name }}) {{ input.order }}",
        facts,
        NOW,
    )
    assert result.text == (
        "Hello ⟦customer.first_name⟧, there.\n"
        "Order ⟦input.order⟧ on #5 (⟦company.name⟧) ⟦input.order⟧"
    )
    assert result.missing == ("customer.first_name", "input.order", "company.name")
    assert [path for _s, _e, path in markers(result.text)] == [
        "customer.first_name",
        "input.order",
        "company.name",
        "input.order",
    ]
    assert drop_markers("Hello ⟦customer.first_name⟧, thanks") == "Hello, thanks"
    # A conditional on a missing value is not "missing": nothing was written.
    assert render_for("{% if customer.name %}x{% endif %}", facts, NOW).missing == ()
    # A name that is really an e-mail address is no name to greet with.
    assert "first_name" not in namespaces(ReplyFacts(customer_name="a@b.c"), NOW)["customer"]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ ''.__class__.__mro__ }}", "not allowed in a template"),
        ("{{ cycler.__init__.__globals__ }}", "not allowed in a template"),
        ("{{ customer._values }}", "not allowed in a template"),
        ("{{ '{0.__class__}'.format(1) }}", "not allowed in a template"),
        ("{{ ticket.subject.__class__.__base__.__subclasses__() }}", "not allowed"),
        ("{{ lipsum(10) }}", "unknown value: lipsum"),
        ("{{ namespace() }}", "unknown value: namespace"),
        ("{% for i in range(10**9) %}x{% endfor %}", "not allowed here"),
        ("{% for i in range(5000) %}x{% endfor %}", "range() may count at most"),
        ("{{ 'x' * 100000000 }}", "longer than"),
        ("{{ 'x'.ljust(10**8) }}", "not allowed here"),
        ("{{ '%999999999s' % 'x' }}", "'%' formatting is not available"),
        ("{{ 9 ** 99999 }}", "power is too large"),
        ("{% for i in range(999) %}{{ 'y' * 100 }}{% endfor %}", "longer than"),
        ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "calls itself too deeply"),
        ("{{ customer.name + '!' }}", "customer.name has no value"),
    ],
)
def test_sandbox_refuses_with_a_clear_error(source, message):
    with pytest.raises(TemplateError, match=message.replace("(", r"\(").replace(")", r"\)")):
        render_for(source, ReplyFacts(ticket_subject="s"), NOW)


@pytest.mark.parametrize(
    "source",
    [
        # A billion steps: far past the limit on any machine, however fast.
        "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}"
        "{% endfor %}{% endfor %}{% endfor %}",
        "{% macro d(n) %}{% if n %}{{ d(n-1) }}{{ d(n-1) }}{% endif %}{% endmacro %}{{ d(40) }}",
    ],
)
def test_runaway_work_is_stopped_by_the_time_limit(source):
    started = time.perf_counter()
    with pytest.raises(TemplateError, match="took longer than"):
        render(source, {})
    assert time.perf_counter() - started < 2


def test_output_size_is_bounded():
    text = render("{{ input.a }}", {}, {"a": "x" * MAX_OUTPUT}).text
    assert len(text) == MAX_OUTPUT
    with pytest.raises(TemplateError, match="longer than"):
        render("{{ input.a }}!", {}, {"a": "x" * MAX_OUTPUT})


def test_subject_values_lose_line_breaks_no_header_injection():
    values = namespaces(ReplyFacts(ticket_subject="Hello\r\nBcc: victim@example.com"), NOW)
    subject = render(
        "Re: {{ ticket.subject }}\n{{ input.x }}", values, {"x": "a\nb"}, kind="subject"
    )
    assert subject.text == "Re: Hello Bcc: victim@example.com a b"
    assert "\n" not in subject.text and "\r" not in subject.text


def test_rich_bodies_escape_values_but_keep_the_templates_own_markup():
    values = namespaces(ReplyFacts(customer_name="<script>x</script> & Co"), NOW)
    html = render("<p>Hi {{ customer.name }}</p>", values, kind="html").text
    assert html == "<p>Hi &lt;script&gt;x&lt;/script&gt; &amp; Co</p>"
    assert render("{{ customer.name }}", values).text == "<script>x</script> & Co"


def test_syntax_errors_have_line_and_column():
    assert str(check_syntax("Hello\n  Dear {{ customer.name }")) == (
        "line 2, column 8: unexpected '}'"
    )
    problem = check_syntax("one\ntwo {% if x %}")
    assert (problem.line, problem.column) == (2, 5) if problem else False
    problem = check_syntax("a {{ b + }} c")
    assert problem is not None and (problem.line, problem.column) == (1, 3)
    assert check_syntax("fine {{ customer.name }}") is None


def test_inputs_and_unknown_placeholders_are_found():
    source = "{{ input.order }} {{ customer.frist_name }} {{ input.order }} {{ input.when }}"
    assert input_names(source) == ("order", "when")
    assert unknown_placeholders(source) == [
        "line 1: customer.frist_name is unknown (customer has name, first_name, email, language)"
    ]


def test_format_date_per_language():
    moment = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)
    from zoneinfo import ZoneInfo

    tokyo = ZoneInfo("Asia/Tokyo")
    assert format_date(moment, tokyo, "ja") == "2026年1月6日(火) 08:30"
    assert format_date(moment, tokyo, "ru") == "6 января 2026, 08:30"
    assert format_date(moment, tokyo, "en") == "Tuesday 6 January 2026, 08:30"


def test_the_signature_follows_the_templates_language_then_the_customers() -> None:
    from desk_app.core.templates import namespaces

    facts = ReplyFacts(
        customer_language="ru",
        agent_signature="Anna",
        agent_signatures={"ja": "アンナ", "ru": "Анна", "pt": "Ana", "de": "  "},
    )
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def signed(language: str | None) -> str:
        return namespaces(facts, now, template_language=language)["agent"]["signature"]

    assert signed("ja") == "アンナ"
    assert signed("JA") == "アンナ"
    assert signed("pt-BR") == "Ana"  # the base language's
    assert signed("en") == "Anna"  # none of its own: the default
    assert signed("de") == "Anna"  # a blank one is none
    assert signed(None) == "Анна"  # no template language: the customer's
