"""The demo build's progress bars tell the truth: a finished table ends at its count, a stopped one where it stopped."""

from __future__ import annotations

from db.demo.copy_writer import CopyWriter


def test_an_interrupted_build_leaves_its_bar_where_it_stopped_and_says_nothing_was_kept(capsys):
    writer = CopyWriter(cursor=None, expected_rows={"appointments": 1_000, "users": 10}, progress=True)
    done = writer._bar("users")
    done.update(10)
    writer.finish("users")
    stopped = writer._bar("appointments")
    stopped.update(400)
    writer.abandon()
    assert (stopped.n, stopped.total) == (400, 1_000)  # not stretched to 100 %
    err = capsys.readouterr().err
    assert "interrupted: nothing was kept" in err
    assert "40%" in err and "100%" in err  # users finished, appointments stopped at 40 %


def test_a_finished_table_ends_at_the_count_it_wrote_even_when_the_plan_guessed(capsys):
    writer = CopyWriter(cursor=None, expected_rows={"notifications": 1_000}, progress=True)
    bar = writer._bar("notifications")
    bar.update(987)
    writer.close()
    assert (bar.n, bar.total) == (987, 987)
    assert "interrupted" not in capsys.readouterr().err
