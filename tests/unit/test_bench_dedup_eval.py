"""``bench.dedup_eval``'s arrival model: articles decided out of event-time order, their event times unchanged."""

import math

import pytest

from bench.dedup_eval import Document, arrival_order, arrival_times, main

HOUR = 3600.0


def _docs(count: int) -> list[Document]:
    return [Document(f"d{n}-0", "", n, "story", n * 60.0) for n in range(count)]


def test_no_delay_keeps_the_dev_sets_order() -> None:
    """The default: the list as built (event-time order), so that the figures without delay stay as they were."""
    docs = _docs(50)
    assert arrival_order(docs, 0.0, seed=7) is docs


def test_delays_are_exponential_of_the_mean_given_and_seeded() -> None:
    """Every article arrives after its event time; the delays' mean is the one given, one in e**3 (about 20) arrives
    three means late or more; the same seed draws the same delays, another seed others."""
    docs = _docs(20_000)
    delays = [at - doc.time for at, doc in zip(arrival_times(docs, 2.0, seed=7), docs, strict=True)]
    assert min(delays) >= 0.0
    assert sum(delays) / len(delays) == pytest.approx(2 * HOUR, rel=0.03)
    assert sum(d >= 6 * HOUR for d in delays) / len(delays) == pytest.approx(math.exp(-3), rel=0.1)
    assert arrival_times(docs, 2.0, seed=7) == arrival_times(docs, 2.0, seed=7) != arrival_times(docs, 2.0, seed=11)


def test_articles_are_decided_in_arrival_order_with_their_event_times() -> None:
    """A delay of hours on articles a minute apart reorders them; every article is there once, its event time as built,
    and the order is that of the arrival times."""
    docs = _docs(500)
    arriving = arrival_order(docs, 2.0, seed=7)
    arrivals = dict(zip((doc.doc_id for doc in docs), arrival_times(docs, 2.0, seed=7), strict=True))
    assert sorted(arriving, key=lambda doc: doc.time) == docs
    assert [arrivals[doc.doc_id] for doc in arriving] == sorted(arrivals.values())
    assert arriving != docs


@pytest.mark.parametrize("hours", ["-2", "inf", "nan"])
def test_a_mean_delay_below_0_or_not_finite_is_refused_before_any_dev_set_is_built(
    hours: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """-2 drew arrivals before their event times (an exponential of negative rate), printed as "arriving -2 hours
    late"; inf divided by zero after the dev set was built."""
    with pytest.raises(SystemExit):
        main(["--seeds", "7", "--no-baseline", "--arrival-delay", "0", hours])
    assert "a mean delay is hours, 0 or more" in capsys.readouterr().err
