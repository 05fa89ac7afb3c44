from datetime import UTC, datetime, timedelta

from desk_app.ui.formatting import countdown, file_size, relative_time, split_quoted

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_relative_time_reads_like_a_person_would_say_it():
    assert relative_time(NOW - timedelta(seconds=20), NOW) == "just now"
    assert relative_time(NOW - timedelta(minutes=5), NOW) == "5m ago"
    assert relative_time(NOW - timedelta(hours=2, minutes=30), NOW) == "2h 30m ago"
    assert relative_time(NOW - timedelta(days=4), NOW) == "4d ago"


def test_countdown_text_and_light_for_each_state():
    started = NOW - timedelta(hours=6)
    running = countdown(NOW + timedelta(hours=2, minutes=14), started, None, NOW)
    assert (running.text, running.light) == ("2h 14m", "green")
    near = countdown(NOW + timedelta(minutes=25), started, None, NOW)
    assert (near.text, near.light) == ("25m", "amber")
    late = countdown(NOW - timedelta(minutes=35), started, None, NOW)
    assert (late.text, late.light) == ("−35m", "red")
    paused = countdown(None, None, 90 * 60, NOW)
    assert (paused.text, paused.light) == ("‖ 1h 30m", "grey")
    assert countdown(None, None, None, NOW) is None


def test_file_size():
    assert file_size(512) == "512 B"
    assert file_size(36_000) == "35.2 KB"


def test_split_quoted_folds_reply_history():
    text = "Thanks!\n\nOn Mon, 2 Mar 2026 at 10:14, Desk wrote:\n> old text\n> more"
    new, quoted = split_quoted(text)
    assert new == "Thanks!"
    assert quoted.startswith("On Mon") and "> more" in quoted


def test_split_quoted_folds_trailing_quote_lines_and_russian_headers():
    assert split_quoted("Да\n> старое\n> письмо") == ("Да", "> старое\n> письмо")
    new, quoted = split_quoted("Спасибо\n\n23.11.2026, Анна написала:\n> текст")
    assert new == "Спасибо" and "написала" in quoted


def test_split_quoted_leaves_plain_text_alone():
    assert split_quoted("Just one line") == ("Just one line", "")
    assert split_quoted("> only a quote") == ("> only a quote", "")
