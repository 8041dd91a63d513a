"""The funnel counted in SQL agrees with the Python fold it replaced (funnel_reference.py): on hand-built
histories with the awkward cases, and on seeded random histories; and its query count stays fixed."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealflow.insights.funnel import FunnelReport, funnel
from dealflow.sales.models import CloseReason, Outcome, Phase, PhaseRecord, Pipeline, Sale, SaleStatus

from .funnel_data import at, build, frozen_now
from .funnel_reference import reference_funnel

pytestmark = pytest.mark.django_db
D = Decimal
JAN = (dt.date(2025, 1, 1), dt.date(2025, 1, 31))


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _plain(report: FunnelReport) -> Any:
    """Everything the page and the exports show, with decimals as text (3.5 and 3.50 print apart)."""
    rows = [
        (r.phase.code, r.entered, r.advanced, r.won, r.lost_here, r.lost_reasons, str(r.avg_days),
         str(r.median_days), str(r.next_rate), str(r.won_rate))
        for r in report.rows
    ]  # fmt: skip
    return rows, report.lost_reasons, [s.pk for s in report.idle], report.is_empty


def _pipeline(tag: str = "") -> dict[str, Any]:
    pipeline = Pipeline.objects.create(code=f"deals{tag}", name="Deals", order=1, days_to_stall=30)
    phases = [
        Phase.objects.create(pipeline=pipeline, code="lead", name="Lead", kind=Phase.Kind.INITIAL, order=1),
        Phase.objects.create(pipeline=pipeline, code="meet", name="Meeting", order=2, days_to_stall=5),
        # Same order as Meeting: the phases' place is by (order, id).
        Phase.objects.create(pipeline=pipeline, code="demo", name="Demo", order=2),
        Phase.objects.create(pipeline=pipeline, code="offer", name="Offer", order=3),
        Phase.objects.create(pipeline=pipeline, code="won", name="Won", kind=Phase.Kind.CLOSING, order=4),
        Phase.objects.create(pipeline=pipeline, code="lost", name="Lost", kind=Phase.Kind.CLOSING, order=5),
    ]
    other = Pipeline.objects.create(code=f"other{tag}", name="Other", order=2)
    foreign = Phase.objects.create(pipeline=other, code="x", name="Elsewhere", kind=Phase.Kind.INITIAL, order=1)
    reasons = [
        CloseReason.objects.create(code=f"price{tag}", name="Price", outcome=Outcome.LOST),
        CloseReason.objects.create(code=f"timing{tag}", name="timing", outcome=Outcome.LOST),
        CloseReason.objects.create(code=f"fit{tag}", name="Fit", outcome=Outcome.WON),
    ]
    return {"pipeline": pipeline, "phases": phases, "foreign": foreign, "reasons": reasons}


def _sale(world: dict[str, Any], owner: Any, title: str, status: str, history: list[tuple[Phase, dt.datetime,
          dt.datetime | None, str]], reason: CloseReason | None = None) -> Sale:  # fmt: skip
    last = history[-1]
    sale = Sale.objects.create(
        title=title, owner=owner, pipeline=world["pipeline"], phase=last[0], status=status, close_reason=reason,
        phase_entered_at=last[1],
    )  # fmt: skip
    PhaseRecord.objects.bulk_create(
        PhaseRecord(sale=sale, phase=p, entered_at=e, left_at=left, status=s) for p, e, left, s in history
    )
    return sale


def test_awkward_histories(salesperson, outsider, admin_user, monkeypatch):
    w = _pipeline()
    lead, meet, demo, offer, won, lost = w["phases"]
    price, timing, _fit = w["reasons"]
    o, L, S = SaleStatus.OPEN, SaleStatus.LOST, SaleStatus.SOLD
    d = lambda day, h=0, us=0: at(1, day) + dt.timedelta(hours=h, microseconds=us)  # noqa: E731
    # A: back to Lead and on again inside January: counts once per phase, with its first stay.
    _sale(w, salesperson, "A", L, [(lead, d(2), d(4), o), (meet, d(4), d(6), o), (lead, d(6), d(7), o),
                                   (meet, d(7), d(9), o), (lost, d(9), None, L)], price)  # fmt: skip
    # B: entered in January, advanced only in March (after the period).
    _sale(w, salesperson, "B", o, [(lead, d(20, 6, 250_000), at(3, 2), o), (offer, at(3, 2), None, o)])
    # C: left Lead in December, closed lost in January: lost here in Lead, which it did not enter in January.
    _sale(w, salesperson, "C", L, [(lead, at(12, 1, 2024), d(3), o), (lost, d(3), None, L)], timing)
    # D: two records at the same moment: the id decides which came first.
    _sale(w, salesperson, "D", S, [(lead, d(5), d(5), o), (demo, d(5), d(8, 12), o), (won, d(8, 12), None, S)])
    # E: the close into a closing phase as lost is not "on to a later phase".
    _sale(w, salesperson, "E", L, [(meet, d(10), d(11, 0, 1), o), (lost, d(11, 0, 1), None, L)], None)
    # F: came from another pipeline; lost from there (a phase that is not closing here).
    _sale(w, salesperson, "F", L, [(w["foreign"], d(12), d(13), o), (lost, d(13), None, L)], price)
    # G: stalled in Meeting, still open; H: another team's sale in Offer.
    _sale(w, salesperson, "G", SaleStatus.STALLED, [(meet, d(14), None, SaleStatus.STALLED)])
    _sale(w, outsider, "H", o, [(offer, d(15), None, o)])
    # I: only in December: not in January's cohort.
    _sale(w, salesperson, "I", L, [(lead, at(12, 2, 2024), at(12, 3, 2024), o), (lost, at(12, 3, 2024), None, L)])

    with frozen_now(monkeypatch):
        report = funnel(salesperson, w["pipeline"], *JAN)
        assert _plain(report) == _plain(reference_funnel(salesperson, w["pipeline"], *JAN))
        for user in (admin_user, outsider):
            assert _plain(funnel(user, w["pipeline"], *JAN)) == _plain(reference_funnel(user, w["pipeline"], *JAN))
    rows = {r.phase.code: r for r in report.rows}
    # Lead: A (2 days, first stay), B (40.7 days so far), D (0 days); A, B and D went on.
    assert (rows["lead"].entered, rows["lead"].advanced, rows["lead"].won) == (3, 3, 1)
    assert (rows["lead"].avg_days, rows["lead"].median_days) == (D("14.2"), D("2.0"))
    # Meeting: A (2 days), E (1 day and a microsecond), G (18 days, open); nobody went further.
    assert (rows["meet"].entered, rows["meet"].advanced, rows["meet"].median_days) == (3, 0, D("2.0"))
    assert (rows["demo"].entered, rows["demo"].advanced, rows["demo"].avg_days) == (1, 1, D("3.5"))
    assert (rows["offer"].entered, rows["won"].entered, rows["won"].won, rows["lost"].entered) == (0, 1, 1, 4)
    # Lost here: A in Meeting (its last phase before the close), C in Lead, E in Meeting; F left from
    # a phase of the other pipeline: counted in the total only.
    assert (rows["lead"].lost_here, rows["lead"].lost_reasons) == (1, [("timing", 1)])
    assert (rows["meet"].lost_here, rows["meet"].lost_reasons) == (2, [("(none)", 1), ("Price", 1)])
    assert report.lost_reasons == [("Price", 2), ("(none)", 1), ("timing", 1)]


def _random_world(seed: int, owners: list[Any]) -> dict[str, Any]:
    """Histories that go forwards, backwards, repeat phases, share moments, stay open or close, with
    microseconds, and start before, inside or after the period."""
    rnd = random.Random(seed)
    w = _pipeline(str(seed))
    phases, reasons = w["phases"], [*w["reasons"], None]
    start = at(11, 1, 2024)
    for n in range(60):
        moment = start + dt.timedelta(seconds=rnd.randrange(0, 150 * 86400), microseconds=rnd.choice([0, 1, 999_999]))
        history: list[list[Any]] = []
        for _step in range(rnd.randint(1, 6)):
            phase = rnd.choice([*phases[:4], *phases[:4], w["foreign"]])
            history.append([phase, moment, None, SaleStatus.OPEN])
            moment += dt.timedelta(seconds=rnd.choice([0, 3600, 86400 * rnd.randint(1, 20) + rnd.randint(0, 9999)]))
        status = rnd.choice([SaleStatus.OPEN, SaleStatus.STALLED, SaleStatus.SOLD, SaleStatus.LOST, SaleStatus.LOST])
        if status in (SaleStatus.SOLD, SaleStatus.LOST):
            history.append([phases[4] if status == SaleStatus.SOLD else phases[5], moment, None, status])
        for i, record in enumerate(history[:-1]):
            record[2] = history[i + 1][1]
        if rnd.random() < 0.2:  # now and then a closing phase entered on the way, or a lost close mid-history
            history.insert(rnd.randrange(len(history)), [phases[5], moment, moment, SaleStatus.LOST])
        _sale(w, rnd.choice(owners), f"R{n}", status, [tuple(r) for r in history],  # type: ignore[misc]
              rnd.choice(reasons) if status == SaleStatus.LOST else None)  # fmt: skip
    return w


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_histories_match_the_python_fold(seed, salesperson, manager, outsider, admin_user, monkeypatch):
    w = _random_world(seed, [salesperson, manager, outsider, admin_user])
    periods = [JAN, (dt.date(2024, 12, 15), dt.date(2025, 2, 10)), (dt.date(2025, 3, 1), dt.date(2025, 3, 1))]
    with frozen_now(monkeypatch):
        for user in (salesperson, manager, outsider, admin_user):
            for period in periods:
                expected = _plain(reference_funnel(user, w["pipeline"], *period))
                assert _plain(funnel(user, w["pipeline"], *period)) == expected, (user.username, period)


def test_the_page_is_the_same_html_as_before(salesperson, outsider, client, monkeypatch):
    import dealflow.insights.views_funnel as views

    world = build(salesperson, outsider)
    client.force_login(salesperson)
    params = {"pipeline": world["pipeline"].pk, "date_from": "2025-01-01", "date_to": "2025-01-31"}
    htmx = {"HX-Request": "true", "HX-Target": "report"}  # the report partial, without the page around it
    with frozen_now(monkeypatch):
        html = client.get(reverse("insights:funnel"), params, headers=htmx).content.decode()
        monkeypatch.setattr(views, "funnel", reference_funnel)
        before = client.get(reverse("insights:funnel"), params, headers=htmx).content.decode()
    assert "Too expensive: 1" in html and "S4" in html
    assert html == before


def test_query_count_does_not_grow_with_the_data(salesperson, outsider, monkeypatch):
    w = _random_world(7, [salesperson])
    funnel(salesperson, w["pipeline"], *JAN)  # the user's visible owners are looked up once, then kept
    with frozen_now(monkeypatch), CaptureQueriesContext(connection) as few:
        funnel(salesperson, w["pipeline"], *JAN)
    _random_world(8, [salesperson, outsider])
    more = _random_world(9, [salesperson])
    with frozen_now(monkeypatch), CaptureQueriesContext(connection) as many:
        funnel(salesperson, more["pipeline"], *JAN)
    assert len(many) == len(few) <= 5  # phases, counts, lost, reason names, idle


def test_a_long_pipeline_with_moves_back_and_forth(salesperson, monkeypatch):
    """Seventy phases, sales that go back to a phase they left and on, or are lost: the same
    numbers as the reference (a compact encoding of "the phases entered before" must not cap the
    number of phases)."""
    pipeline = Pipeline.objects.create(code="long", name="Long", order=1)
    phases = [
        Phase.objects.create(pipeline=pipeline, code=f"p{i}", name=f"P{i}", order=i,
                             kind=Phase.Kind.CLOSING if i == 69 else Phase.Kind.REGULAR)
        for i in range(70)
    ]  # fmt: skip
    w = {"pipeline": pipeline}
    o, L = SaleStatus.OPEN, SaleStatus.LOST
    d = lambda day: at(1, day)  # noqa: E731
    # Back and forth among the high positions, then on or lost.
    _sale(w, salesperson, "A", o, [(phases[64], d(2), d(3), o), (phases[66], d(3), d(4), o),
                                   (phases[64], d(4), d(5), o), (phases[68], d(5), None, o)])  # fmt: skip
    _sale(w, salesperson, "B", L, [(phases[1], d(3), d(6), o), (phases[65], d(6), d(7), o),
                                   (phases[1], d(7), d(8), o), (phases[69], d(8), None, L)])  # fmt: skip
    with frozen_now(monkeypatch):
        report = funnel(salesperson, pipeline, *JAN)
        assert _plain(report) == _plain(reference_funnel(salesperson, pipeline, *JAN))
    rows = {r.phase.code: r for r in report.rows}
    assert (rows["p64"].entered, rows["p64"].advanced, rows["p1"].entered, rows["p1"].advanced) == (1, 1, 1, 1)
    assert (rows["p65"].advanced, rows["p68"].entered, rows["p69"].entered) == (0, 1, 1)
