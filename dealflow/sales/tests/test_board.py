"""The board through Django's test client: column heads that match the sales behind them,
visibility and filters, the keyset "More" page, moves (happy, refused, closing with and
without a reason) and a query count that does not grow with the cards shown."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dealflow.activities.models import Activity
from dealflow.relations.tests.factories import AccountTypeFactory, CompanyFactory
from dealflow.sales import services
from dealflow.sales.models import Outcome, Sale, SaleStatus
from dealflow.sales.selectors_board import CARDS_PER_COLUMN
from dealflow.sales.tests.factories import (
    CloseReasonFactory,
    SaleFactory,
    StallReasonFactory,
    phases_of,
    pipeline_with_phases,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
BOARD = reverse("sales:board")


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def head(html: str, phase_pk: int) -> dict[str, str]:
    m = re.search(rf'id="head-{phase_pk}" data-count="(\d+)" data-total="([\d.]+)" data-weighted="([\d.]+)"', html)
    assert m, f"no head for phase {phase_pk}"
    return {"count": m.group(1), "total": m.group(2), "weighted": m.group(3)}


def card_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<article class="board-card[^"]*" id="card-(\d+)"', html)]


@pytest.fixture
def board(salesperson: Any, teammate: Any, outsider: Any) -> dict[str, Any]:
    pipeline = pipeline_with_phases(name="Projects")
    phases = phases_of(pipeline)
    customer = AccountTypeFactory(code="customer", name="Customer")
    acme = CompanyFactory(name="Acme", owner=salesperson, account_type=customer)
    mine = SaleFactory(title="Mine A", owner=salesperson, pipeline=pipeline, amount=Decimal("1000"), company=acme)
    mine2 = SaleFactory(title="Mine B", owner=salesperson, pipeline=pipeline, amount=Decimal("500"))
    team = SaleFactory(title="Team C", owner=teammate, pipeline=pipeline, amount=Decimal("200"))
    SaleFactory(title="Hidden D", owner=outsider, pipeline=pipeline, amount=Decimal("99999"))
    services.sale_move_to_phase(actor=salesperson, sale=mine2, phase=phases["qualified"])
    return {"pipeline": pipeline, "phases": phases, "mine": mine, "mine2": mine2, "team": team, "customer": customer}


def test_columns_and_heads_match_the_sales(salesperson: Any, board: dict[str, Any]) -> None:
    phases = board["phases"]
    html = client_for(salesperson).get(BOARD).content.decode()
    # Lead: Mine A (1000 @ 10 %) and Team C (200 @ 10 %); the outsider's sale is not counted.
    assert head(html, phases["lead"].pk) == {"count": "2", "total": "1200.00", "weighted": "120.00"}
    assert head(html, phases["qualified"].pk) == {"count": "1", "total": "500.00", "weighted": "150.00"}
    assert head(html, phases["proposal"].pk)["count"] == "0"
    assert "Mine A" in html and "Team C" in html and "Acme" in html
    assert "Hidden D" not in html
    order = [
        m.start()
        for m in (re.search(f'id="head-{phases[c].pk}"', html) for c in ("lead", "qualified", "proposal", "closing"))
        if m
    ]
    assert order == sorted(order) and len(order) == 4


def test_outsider_sees_only_their_own(outsider: Any, board: dict[str, Any]) -> None:
    html = client_for(outsider).get(BOARD).content.decode()
    assert "Hidden D" in html and "Mine A" not in html
    assert head(html, board["phases"]["lead"].pk)["count"] == "1"


def test_filters_mine_team_owner_account_type(salesperson: Any, teammate: Any, board: dict[str, Any]) -> None:
    c = client_for(salesperson)
    lead = board["phases"]["lead"].pk
    html = c.get(BOARD, {"owner": "mine"}).content.decode()
    assert "Team C" not in html and head(html, lead)["count"] == "1"
    html = c.get(BOARD, {"owner": "team"}).content.decode()
    assert "Team C" in html and head(html, lead)["count"] == "2"
    html = c.get(BOARD, {"owner": str(teammate.pk)}).content.decode()
    assert card_ids(html) == [board["team"].pk]
    html = c.get(BOARD, {"account_type": board["customer"].pk}).content.decode()
    assert card_ids(html) == [board["mine"].pk]
    # Switching pipeline keeps the filters.
    other = pipeline_with_phases(name="Service")
    html = c.get(BOARD, {"owner": "mine", "pipeline": board["pipeline"].pk}).content.decode()
    assert f"?pipeline={other.pk}&amp;owner=mine" in html


def test_an_owner_outside_the_scope_shows_nothing(salesperson: Any, outsider: Any, board: dict[str, Any]) -> None:
    html = client_for(salesperson).get(BOARD, {"owner": str(outsider.pk)}).content.decode()
    assert card_ids(html) == []


def test_stalled_and_overdue_marks(salesperson: Any, board: dict[str, Any]) -> None:
    sale = board["mine"]
    Activity.objects.create(
        subject="Call back", owner=salesperson, sale=sale, starts_at=timezone.now() - dt.timedelta(hours=2)
    )
    services.sale_stall(
        actor=salesperson,
        sale=board["mine2"],
        reopen_date=timezone.localdate() + dt.timedelta(days=10),
        stall_reason=StallReasonFactory(),
    )
    html = client_for(salesperson).get(BOARD).content.decode()
    assert re.search(r'class="card-next overdue"><strong>Overdue:</strong> Call back', html)
    assert "is-stalled" in html and ">Stalled<" in html


def test_card_markup_escapes_and_offers_the_other_phases(salesperson: Any, board: dict[str, Any]) -> None:
    """The card is built in Python (sales.board_html): every value escaped, the move form with
    the other phases (closing ones marked) and the CSRF token, flags in the user's language."""
    phases, sale = board["phases"], board["mine"]
    Sale.objects.filter(pk=sale.pk).update(title='<b>Tom & "Jerry"</b>')
    sale.company.name = "Smith & <Sons>"
    sale.company.save()
    services.sale_stall(
        actor=salesperson, sale=board["mine2"], reopen_date=dt.date(2031, 3, 4), stall_reason=StallReasonFactory()
    )
    salesperson.language = "nl"
    salesperson.save()
    html = client_for(salesperson).get(BOARD).content.decode()
    card = re.search(rf'<article[^>]* id="card-{sale.pk}".*?</article>', html, re.S)
    assert card, "no card for the sale"
    text = card.group(0)
    assert "&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;" in text and "<b>" not in text
    assert "Smith &amp; &lt;Sons&gt;" in text
    assert 'draggable="true"' in text and 'name="csrfmiddlewaretoken" value="' in text
    assert "„&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;” verplaatsen naar" in text
    options = re.findall(r'<option value="(\d+)"( data-closing="1")?>', text)
    assert [int(pk) for pk, _ in options] == [p.pk for code, p in phases.items() if code != "lead"]
    assert [pk for pk, closing in options if closing] == [str(phases["closing"].pk)]
    stalled = re.search(rf'<article[^>]* id="card-{board["mine2"].pk}".*?</article>', html, re.S)
    assert stalled and "Vastgelopen" in stalled.group(0) and "heropent 4-3-2031" in stalled.group(0)
    assert "card-move" not in stalled.group(0)


def test_more_fetches_the_next_page_by_keyset(salesperson: Any) -> None:
    pipeline = pipeline_with_phases()
    lead = phases_of(pipeline)["lead"]
    base = dt.date(2030, 1, 1)
    sales = [
        SaleFactory(owner=salesperson, pipeline=pipeline, sale_date=base + dt.timedelta(days=i % 7))
        for i in range(CARDS_PER_COLUMN + 5)
    ]
    expected = [s.pk for s in sorted(sales, key=lambda s: (s.sale_date, s.pk))]
    c = client_for(salesperson)
    html = c.get(BOARD, {"pipeline": pipeline.pk}).content.decode()
    assert card_ids(html) == expected[:CARDS_PER_COLUMN]
    assert head(html, lead.pk)["count"] == str(len(sales))
    more = re.search(r'hx-get="([^"]+after=[^"]+)"', html)
    assert more
    page = c.get(more.group(1).replace("&amp;", "&"), headers=HTMX).content.decode()
    assert card_ids(page) == expected[CARDS_PER_COLUMN:]
    assert "after=" not in page  # the last page has no More


def test_query_count_does_not_grow_with_cards(salesperson: Any, django_assert_max_num_queries: Any) -> None:
    pipeline = pipeline_with_phases()
    phases = phases_of(pipeline)
    c = client_for(salesperson)

    def add(n: int) -> None:
        for code in ("lead", "qualified", "proposal"):
            for _ in range(n):
                s = SaleFactory(owner=salesperson, pipeline=pipeline)
                if code != "lead":
                    services.sale_move_to_phase(actor=salesperson, sale=s, phase=phases[code])
                Activity.objects.create(subject="x", owner=salesperson, sale=s, starts_at=timezone.now())

    add(1)
    c.get(BOARD)  # warm the session
    with django_assert_max_num_queries(20) as small:  # 17 today: session, user, funnel, scope, lists
        c.get(BOARD)
    add(6)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = c.get(BOARD).content.decode()
    assert len(card_ids(html)) == 21


# --- moving --------------------------------------------------------------------------------


def move(c: Client, sale: Sale, **data: Any) -> Any:
    sale.refresh_from_db()
    return c.post(reverse("sales:board_move", args=[sale.pk]), {"version": sale.version, **data}, headers=HTMX)


def test_move_answers_with_the_card_and_both_heads(salesperson: Any, board: dict[str, Any]) -> None:
    phases, sale = board["phases"], board["mine"]
    response = move(client_for(salesperson), sale, phase=phases["qualified"].pk)
    html = response.content.decode()
    sale.refresh_from_db()
    assert sale.phase == phases["qualified"]
    assert response["HX-Retarget"] == f"#card-{sale.pk}"
    assert f'hx-swap-oob="afterbegin:#cards-{phases["qualified"].pk}"' in html
    assert head(html, phases["lead"].pk)["count"] == "1"
    assert head(html, phases["qualified"].pk) == {"count": "2", "total": "1500.00", "weighted": "450.00"}


def test_refused_move_shows_the_message_and_changes_nothing(salesperson: Any, board: dict[str, Any]) -> None:
    phases, sale = board["phases"], board["mine"]
    phases["lead"].exit_required_fields = ["score"]
    phases["lead"].save()
    response = move(client_for(salesperson), sale, phase=phases["qualified"].pk)
    sale.refresh_from_db()
    assert sale.phase == phases["lead"]
    assert response["HX-Retarget"] == "#board-alert"
    assert "board-refused" in response["HX-Trigger"]
    assert "before the sale leaves the phase" in response.content.decode()


def test_closing_without_reason_is_refused(salesperson: Any, board: dict[str, Any]) -> None:
    phases, sale = board["phases"], board["mine"]
    html = move(client_for(salesperson), sale, phase=phases["closing"].pk, outcome="won").content.decode()
    sale.refresh_from_db()
    assert sale.status == SaleStatus.OPEN
    assert "Choose a close reason." in html and 'role="alert"' in html


def test_closing_with_reason_marks_it_sold(salesperson: Any, board: dict[str, Any]) -> None:
    phases, sale = board["phases"], board["mine"]
    reason = CloseReasonFactory(code="price-ok", name="Good price", outcome=Outcome.WON)
    c = client_for(salesperson)
    dialog = c.get(reverse("sales:board_move", args=[sale.pk]), {"phase": phases["closing"].pk}, headers=HTMX)
    assert "Good price" in dialog.content.decode()
    html = move(c, sale, phase=phases["closing"].pk, outcome="won", close_reason=reason.pk).content.decode()
    sale.refresh_from_db()
    assert (sale.status, sale.close_reason) == (SaleStatus.SOLD, reason)
    assert head(html, phases["closing"].pk)["count"] == "1"


def test_moving_another_teams_sale_is_404(outsider: Any, board: dict[str, Any]) -> None:
    response = move(client_for(outsider), board["mine"], phase=board["phases"]["qualified"].pk)
    assert response.status_code == 404


def test_move_without_htmx_redirects_with_a_message(salesperson: Any, board: dict[str, Any]) -> None:
    sale = board["mine"]
    c = client_for(salesperson)
    response = c.post(
        reverse("sales:board_move", args=[sale.pk]), {"phase": board["phases"]["proposal"].pk, "version": sale.version}
    )
    assert response.status_code == 302 and response["Location"].startswith(BOARD)
    assert "moved to Proposal" in c.get(response["Location"]).content.decode()
