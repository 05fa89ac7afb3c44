import threading

from desk_app.core.errors import ConflictError
from desk_app.ui.tasks import TaskRunner


def test_results_arrive_on_the_gui_thread_in_order(qtbot):
    runner = TaskRunner()
    seen: list[tuple[int, bool]] = []
    gui = threading.get_ident()
    workers: set[int] = set()

    def work(n: int) -> int:
        workers.add(threading.get_ident())
        return n

    for n in range(5):
        runner.run(lambda n=n: work(n), lambda r: seen.append((r, threading.get_ident() == gui)))
    with qtbot.waitSignal(runner.idle, timeout=3000):
        pass
    assert seen == [(n, True) for n in range(5)]
    assert gui not in workers and len(workers) == 1
    runner.shutdown()


def test_known_errors_become_messages_and_bugs_become_reports(qtbot):
    runner = TaskRunner()
    known: list[object] = []
    bugs: list[object] = []
    runner.known_error.connect(known.append)
    runner.bug.connect(bugs.append)

    def conflict() -> None:
        raise ConflictError("ticket #1 changed since you loaded it")

    def bug() -> None:
        raise ZeroDivisionError("oops")

    runner.run(conflict)
    runner.run(bug)
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=3000)
    assert [str(e) for e in known] == ["ticket #1 changed since you loaded it"]
    assert len(bugs) == 1 and isinstance(bugs[0], ZeroDivisionError)
    runner.shutdown()


def test_a_failed_handler_overrides_the_default_policy(qtbot):
    runner = TaskRunner()
    handled: list[BaseException] = []
    bugs: list[object] = []
    runner.bug.connect(bugs.append)

    def fail() -> None:
        raise ValueError("handled here")

    runner.run(fail, failed=handled.append)
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=3000)
    assert [str(e) for e in handled] == ["handled here"] and bugs == []
    runner.shutdown()


def test_shutdown_finishes_queued_work_first(qtbot):
    runner = TaskRunner()
    done: list[int] = []
    for n in range(3):
        runner.run(lambda n=n: done.append(n))
    runner.shutdown()
    assert done == [0, 1, 2]
