"""The fault bench's judge, on constructed outputs: what it must count that ids lost and ids in several places
do not show (an id in the wrong one place, a record written twice after its message was committed, an output
written after the commit that covered its message)."""

from __future__ import annotations

from bench.faults import HEADER, Judgement, Outcome, Tally, judge, written_late
from tests.synthetic import Batch, make_batch, output_placements

# m is malformed; a and b are one story (a its first copy), c is alone.
BATCH = Batch(messages=[], deadletters={"m"}, stories=[["a", "b"], ["c"]])


def record(output: str, canonical: str | None = None) -> dict:
    return {"output": output, "canonical_id": canonical}


def correct() -> dict[str, list[dict]]:
    return {
        "m": [record("deadletter")],
        "a": [record("enriched")],
        "b": [record("duplicates", "a")],
        "c": [record("enriched")],
    }


def test_outputs_in_their_places_are_judged_clean() -> None:
    assert judge(BATCH, correct(), set()) == Judgement(0, 0, 0, 0, 0)


def test_an_id_in_one_wrong_place_is_misplaced_not_lost() -> None:
    """Each of these puts every id in exactly one place, which ids lost and ids in several places cannot tell."""
    both_published = correct() | {"b": [record("enriched")]}  # the dedup state lost: a story's copy published
    good_dead_lettered = correct() | {"c": [record("deadletter")]}
    malformed_enriched = correct() | {"m": [record("enriched")]}
    wrong_first = correct() | {"b": [record("duplicates", "c")]}
    no_first = correct() | {"a": [record("duplicates", "b")]}
    stray = correct() | {"x": [record("enriched")]}  # an id the batch does not have
    for found, wrong in [
        (both_published, 2),
        (good_dead_lettered, 1),
        (malformed_enriched, 1),
        (wrong_first, 1),
        (no_first, 2),
        (stray, 1),
    ]:
        verdict = judge(BATCH, found, set())
        assert (verdict.lost, verdict.several_places, verdict.misplaced) == (0, 0, wrong), found


def test_lost_and_several_places() -> None:
    found = correct()
    del found["c"]
    found["m"].append(record("enriched"))
    verdict = judge(BATCH, found, set())
    assert (verdict.lost, verdict.several_places, verdict.misplaced) == (1, 1, 0)


def test_twice_beyond_the_uncommitted_work() -> None:
    """A replay of the work uncommitted at the fault is at-least-once; any other id twice was written again after
    its commit."""
    found = correct() | {"a": [record("enriched")] * 3, "c": [record("enriched")] * 2}
    assert judge(BATCH, found, {"a"}) == Judgement(0, 0, 0, 3, 1)
    assert judge(BATCH, found, {"a", "c"}).twice_beyond == 0
    assert judge(BATCH, found, set()).twice_beyond == 3


def placed(batch: Batch, twice: int) -> dict[str, list[dict]]:
    """A synthetic run's placements, each id where the batch says, the first ``twice`` published stories' first copies
    delivered twice."""
    firsts = [story[0] for story in batch.stories]
    outputs = [("deadletter", {"id": i, "payload": ""}) for i in sorted(batch.deadletters)]
    outputs += [("enriched", {"id": first}) for first in firsts + firsts[:twice]]
    outputs += [("duplicates", {"id": i, "canonical_id": s[0]}) for s in batch.stories for i in s[1:]]
    return output_placements(outputs)


def test_twice_beyond_is_not_counted_where_no_moment_of_uncommitted_work_was_taken() -> None:
    """A join or a broker restart takes no snapshot of the work uncommitted at the fault: its records twice are not
    known to be beyond that work, so "beyond" is not counted (it read every one of them); they stay in "twice", and
    a run with any keeps its logs (``unexplained``)."""
    batch = make_batch(200, seed=3, prefix="t")
    found = placed(batch, twice=7)
    join = judge(batch, found, None)
    assert join == Judgement(0, 0, 0, 7, None) and join.unexplained == 7
    kill = judge(batch, found, {batch.stories[0][0]})  # one of the seven uncommitted when the worker went
    assert kill == Judgement(0, 0, 0, 7, 6) and kill.unexplained == 6
    assert judge(batch, placed(batch, twice=0), None).unexplained == 0
    beyond = HEADER.split().index("beyond")  # a row starts with the scenario, as the header with "scenario"
    rows = {}
    for name, verdicts in [("join", [join, join]), ("kill", [kill, join]), ("term", [kill, kill])]:
        tally = Tally([Outcome(verdict, 0, 0, True, 1.0, 2.0) for verdict in verdicts])
        rows[name] = tally.row(name).split()[beyond]
    assert rows == {"join": "-", "kill": "6", "term": "12"}


RAW0 = ("raw", 0)
SEEN = [(10.0, {RAW0: 3}), (20.0, {RAW0: 6})]  # offsets 0-2 seen committed at 10 s, 3-5 at 20 s


def test_an_output_written_after_its_message_was_seen_committed_is_late() -> None:
    read = {("clean", "a"): [(RAW0, 1)], ("clean", "b"): [(RAW0, 4)], ("clean", "c"): [(RAW0, 7)]}
    assert written_late([("clean", "a", 9.5), ("clean", "b", 19.0), ("clean", "c", 30.0)], read, SEEN) == 0
    assert written_late([("clean", "a", 10.5)], read, SEEN) == 1  # after the commit seen at 10 s covered it
    assert written_late([("clean", "b", 25.0)], read, SEEN) == 1
    assert written_late([("clean", "c", 99.0)], read, SEEN) == 0  # never seen committed


def test_a_commit_covers_the_offsets_below_it_only() -> None:
    """A committed offset is the next message to read: a commit at 3 covers offset 2, not offset 3 (an output of
    the message at the committed offset is written before its own commit, and is not late)."""
    read = {("clean", "a"): [(RAW0, 2)], ("clean", "b"): [(RAW0, 3)], ("clean", "c"): [(RAW0, 6)]}
    assert written_late([("clean", "a", 15.0)], read, SEEN) == 1
    assert written_late([("clean", "b", 15.0), ("clean", "c", 25.0)], read, SEEN) == 0


def test_an_output_of_a_message_read_again_upstream_is_not_late() -> None:
    """A replay upstream is a message of its own: an output may follow it while the first one is committed."""
    read = {("dedup", "a"): [(RAW0, 1), (RAW0, 7)]}
    assert written_late([("dedup", "a", 25.0)], read, SEEN) == 0
    assert written_late([("dedup", "a", 25.0)], {("dedup", "a"): [(RAW0, 1), (RAW0, 4)]}, SEEN) == 1
    assert written_late([("entities", "a", 25.0)], read, SEEN) == 0  # no message of its stage: nothing to judge
