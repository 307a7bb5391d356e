from datetime import timedelta

from tests.workflows.conftest import fixture


def drive(engine, clock, inbox, ex, answer):
    for _ in range(20):
        ex = engine.describe(ex.execution_id)
        if ex.done:
            return ex
        for token, payload in inbox.take():
            answer(engine, token, payload)
        clock.advance(timedelta(seconds=1))
    return engine.describe(ex.execution_id)


def test_everything(make_engine, clock, inbox):
    engine = make_engine(fixture("everything"))
    ex = engine.start("everything", {"name": "Ann", "numbers": [1, 2, 3], "meta": {"base": 1, "flag": True},
                                     "when": "2026-01-01T00:00:00Z"}, name="e1")
    ex = drive(engine, clock, inbox, ex, lambda e, t, p: e.send_task_success(t, {"ok": p["question"]}))
    for ev in engine.history(ex.execution_id):
        print(ev.id, ev.type, ev.details)
    assert ex.status == "SUCCEEDED", ex
    print(ex.output)


def test_errors(make_engine, clock, inbox):
    engine = make_engine(fixture("errors"))
    ex = engine.start("errors", {"items": [1, 2, 3]}, name="e1")
    ex = drive(engine, clock, inbox, ex, lambda e, t, p: e.send_task_failure(t, "Human.Refused", "no"))
    for ev in engine.history(ex.execution_id):
        print(ev.id, ev.type, ev.details)
    assert ex.status == "FAILED", ex
    print(ex.output, ex.error, ex.cause)
