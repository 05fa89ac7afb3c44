from desk_app.store import Service
from tests.ui.conftest import settle


def _open(qtbot, window, ticket_id: int) -> None:
    window.open_ticket(ticket_id)
    qtbot.waitUntil(
        lambda: window.sidebar.customer is not None and window.ticket_pane.ticket_id == ticket_id,
        timeout=3000,
    )
    settle(qtbot, window)


def test_history_shows_the_customers_tickets_from_every_channel(qtbot, db, clock, ctx, open_window):
    system = Service(db, None, clock)
    by_mail = system.create_ticket(
        subject="Broken zipper",
        customer_email="olga@example.com",
        customer_phone="+44 20 7946 0958",
        customer_name="Olga Petrova",
        body="The zipper broke on day two.",
    ).ticket_id
    clock.advance(hours=1)
    by_phone = system.create_ticket(
        subject="Called about the zipper",
        customer_phone="+44 20 7946 0958",
        channel="phone",
        body="Customer called to chase the email.",
    ).ticket_id
    other = system.create_ticket(
        subject="Unrelated", customer_email="someone@example.com", body="hi"
    ).ticket_id
    window = open_window(ctx, view="all_open")
    _open(qtbot, window, by_mail)
    sidebar = window.sidebar
    assert sidebar.name.text() == "Olga Petrova"
    assert "olga@example.com" in sidebar.contacts.text()
    assert "+442079460958" in sidebar.contacts.text()
    # Newest first, across channels; the other customer's ticket is not there.
    assert sidebar.ticket_ids() == [by_phone, by_mail]
    assert other not in sidebar.ticket_ids()
    # Clicking an earlier ticket opens it.
    sidebar.tickets.itemClicked.emit(sidebar.tickets.item(0))
    qtbot.waitUntil(lambda: window.ticket_pane.ticket_id == by_phone, timeout=3000)


def test_notes_are_saved_through_the_service(qtbot, db, clock, ctx, open_window):
    system = Service(db, None, clock)
    result = system.create_ticket(subject="Hello", customer_email="n@example.com", body="hi")
    window = open_window(ctx, view="all_open")
    _open(qtbot, window, result.ticket_id)
    window.sidebar.notes.setPlainText("Prefers phone calls, Japanese speaker")
    assert window.sidebar.save_notes.isEnabled()
    window.sidebar.save_notes.click()
    settle(qtbot, window)
    assert ctx.queries.customer(result.customer_id).notes == "Prefers phone calls, Japanese speaker"
    assert window.sidebar.message.text() == "Notes saved"


def test_merging_moves_the_other_customers_tickets_here(qtbot, db, clock, ctx, open_window):
    system = Service(db, None, clock)
    keep = system.create_ticket(
        subject="Invoice", customer_email="ken@example.jp", customer_name="佐藤 健", body="請求書"
    )
    clock.advance(minutes=10)
    duplicate = system.create_ticket(
        subject="Same person, other address", customer_email="ken.sato@work.example", body="hi"
    )
    window = open_window(ctx, view="all_open")
    _open(qtbot, window, keep.ticket_id)
    sidebar = window.sidebar
    sidebar.merge_customer()
    from desk_app.ui.customer_dialogs import MergeCustomerDialog

    dialog = sidebar.findChild(MergeCustomerDialog)
    assert dialog is not None
    dialog.identity.setText("ken.sato@work.example")
    dialog.look_up()
    qtbot.waitUntil(dialog.merge_button.isEnabled, timeout=3000)
    assert "1 ticket will move over" in dialog.found_label.text()
    dialog.merge_button.click()
    settle(qtbot, window)
    qtbot.waitUntil(lambda: len(sidebar.ticket_ids()) == 2, timeout=3000)
    assert sidebar.ticket_ids() == [duplicate.ticket_id, keep.ticket_id]
    assert "ken.sato@work.example" in sidebar.contacts.text()
    merged = ctx.queries.customer(duplicate.customer_id)
    assert merged.merged_into_id == keep.customer_id


def test_merge_dialog_explains_an_unknown_identity(qtbot, db, clock, ctx, open_window):
    system = Service(db, None, clock)
    keep = system.create_ticket(subject="Hi", customer_email="a@example.com", body="hi")
    window = open_window(ctx, view="all_open")
    _open(qtbot, window, keep.ticket_id)
    window.sidebar.merge_customer()
    from desk_app.ui.customer_dialogs import MergeCustomerDialog

    dialog = window.sidebar.findChild(MergeCustomerDialog)
    dialog.identity.setText("nobody@example.com")
    dialog.look_up()
    qtbot.waitUntil(lambda: "no customer" in dialog.found_label.text(), timeout=3000)
    assert not dialog.merge_button.isEnabled()
    dialog.reject()


def test_tags_and_language_are_shown_and_edited_in_the_dialog(qtbot, db, clock, ctx, open_window):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    system = Service(db, None, clock)
    result = system.create_ticket(subject="Hello", customer_email="kenji@example.jp", body="hi")
    system.edit_customer(result.customer_id, tags="VIP", language="ja")
    window = open_window(ctx, view="all_open")
    _open(qtbot, window, result.ticket_id)
    assert window.sidebar.tags.text() == "#vip · writes in 日本語"

    def fill_in() -> None:
        dialog = QApplication.activeModalWidget()
        dialog.tags.setText("vip, partner")
        dialog.language.setCurrentIndex(dialog.language.findData("ru"))
        dialog.accept()

    QTimer.singleShot(0, fill_in)
    window.sidebar.edit_customer()
    settle(qtbot, window)
    customer = ctx.queries.customer(result.customer_id)
    assert (customer.tags, customer.language) == (("partner", "vip"), "ru")
    qtbot.waitUntil(lambda: window.sidebar.tags.text() == "#partner #vip · writes in Русский")


def _two_customers(db, clock) -> tuple[object, object]:
    system = Service(db, None, clock)
    olga = system.create_ticket(subject="Zipper", customer_email="olga@example.com", body="hi")
    ivan = system.create_ticket(subject="Refund", customer_email="ivan@example.com", body="hi")
    return olga, ivan


def test_notes_typed_for_one_customer_are_saved_for_them_on_leaving_never_for_the_next(
    qtbot, db, clock, ctx, open_window
):
    olga, ivan = _two_customers(db, clock)
    window = open_window(ctx, view="all_open")
    _open(qtbot, window, olga.ticket_id)
    sidebar = window.sidebar
    sidebar.notes.setPlainText("Prefers phone calls")
    _open(qtbot, window, ivan.ticket_id)
    qtbot.waitUntil(lambda: "saved" in sidebar.message.text(), timeout=5000)
    assert ctx.queries.customer(olga.customer_id).notes == "Prefers phone calls"
    assert sidebar.customer.id == ivan.customer_id
    assert sidebar.notes.toPlainText() == "" and not sidebar.save_notes.isEnabled()
    # Nothing the agent can press now writes Olga's notes onto Ivan.
    sidebar.save_notes.click()
    settle(qtbot, window)
    assert ctx.queries.customer(ivan.customer_id).notes == ""


def test_notes_refused_on_leaving_come_back_with_their_customer(qtbot, db, clock, ctx, open_window):
    olga, ivan = _two_customers(db, clock)
    window = open_window(ctx, view="all_open")
    _open(qtbot, window, olga.ticket_id)
    sidebar = window.sidebar
    sidebar.notes.setPlainText("Prefers phone calls")
    # A colleague saves other notes for Olga meanwhile: leaving must not overwrite them.
    Service(db, None, clock).edit_customer(olga.customer_id, notes="VIP: call back within 1h")
    _open(qtbot, window, ivan.ticket_id)
    qtbot.waitUntil(lambda: "not saved" in sidebar.message.text(), timeout=5000)
    assert ctx.queries.customer(olga.customer_id).notes == "VIP: call back within 1h"
    assert sidebar.notes.toPlainText() == ""
    _open(qtbot, window, olga.ticket_id)
    qtbot.waitUntil(lambda: sidebar.notes.toPlainText() == "Prefers phone calls", timeout=5000)
    assert sidebar.save_notes.isEnabled()


def test_a_long_history_says_how_many_it_lists_of_how_many(qtbot, db, clock, ctx, open_window):
    from desk_app.store.queries import CUSTOMER_HISTORY_ROWS

    system = Service(db, None, clock)
    total = CUSTOMER_HISTORY_ROWS + 3
    for n in range(total):
        newest = system.create_ticket(
            subject=f"Order {n}", customer_email="b@example.com", body="?"
        )
    window = open_window(ctx, view="all_open")
    _open(qtbot, window, newest.ticket_id)
    sidebar = window.sidebar
    qtbot.waitUntil(lambda: sidebar.tickets.count() == CUSTOMER_HISTORY_ROWS, timeout=10000)
    assert (
        sidebar.tickets_title.text() == f"Tickets (the newest {CUSTOMER_HISTORY_ROWS} of {total})"
    )
    assert ctx.queries.customer_ticket_count(newest.customer_id) == total
