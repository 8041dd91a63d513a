"""Demo funnel: a Lead / Prospect / Customer set-up with five phases, reasons, competitors
and sales in every state. Called by `load_demo`; adds only what is missing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from dealflow.accounts.models import User
from dealflow.relations.models import AccountType, Company

from . import services
from .models import CloseReason, Competitor, GuideStep, Phase, Pipeline, Sale, StallReason

PHASES = [
    ("lead", "Lead", Phase.Kind.INITIAL, 10),
    ("contact", "First contact", Phase.Kind.REGULAR, 20),
    ("proposal", "Proposal", Phase.Kind.REGULAR, 50),
    ("negotiation", "Negotiation", Phase.Kind.REGULAR, 75),
    ("closing", "Closing", Phase.Kind.CLOSING, 100),
]
CLOSE_REASONS = [
    ("price", "Price", "either"),
    ("quality", "Quality of the offer", "won"),
    ("relation", "Existing relationship", "won"),
    ("too-expensive", "Too expensive", "lost"),
    ("no-budget", "No budget", "lost"),
    ("competitor", "Chose a competitor", "lost"),
]
STALL_REASONS = ["Budget next year", "Waiting for a decision", "Contact on leave"]
COMPETITORS = ["Northwind Installations", "Contoso Climate", "Fabrikam Services"]


def load(admin: User) -> None:
    pipeline, created = Pipeline.objects.get_or_create(
        code="leads", defaults={"name": "Lead funnel", "order": 10, "days_to_stall": 30}
    )
    if created:
        for index, (code, name, kind, probability) in enumerate(PHASES):
            Phase.objects.create(
                pipeline=pipeline, code=code, name=name, kind=kind, probability=probability, order=(index + 1) * 10
            )
        proposal = pipeline.phases.get(code="proposal")
        GuideStep.objects.create(phase=pipeline.phases.get(code="lead"), text="Call to qualify the lead",
                                 activity_type="call", days_after=1, order=10)  # fmt: skip
        GuideStep.objects.create(phase=proposal, text="Send the proposal", activity_type="email", order=10)
        GuideStep.objects.create(phase=proposal, text="Follow up on the proposal", activity_type="call",
                                 days_after=7, order=20)  # fmt: skip
        GuideStep.objects.create(phase=proposal, kind=GuideStep.Kind.DOCUMENT, text="Proposal (PDF)", order=30)
    for index, (code, name, outcome) in enumerate(CLOSE_REASONS):
        CloseReason.objects.get_or_create(code=code, defaults={"name": name, "outcome": outcome, "order": index * 10})
    for index, name in enumerate(STALL_REASONS):
        StallReason.objects.get_or_create(name=name, defaults={"order": index * 10})
    for index, name in enumerate(COMPETITORS):
        Competitor.objects.get_or_create(name=name, defaults={"order": index * 10})

    customer = AccountType.objects.filter(code="customer").first()
    for code in ("lead", "prospect"):
        AccountType.objects.filter(code=code, pipeline__isnull=True).update(
            pipeline=pipeline, uses_lead_phases=True, won_account_type=customer
        )
    if not created:
        return
    _demo_sales(admin, pipeline)


def _demo_sales(admin: User, pipeline: Pipeline) -> None:
    phases = {p.code: p for p in pipeline.phases.all()}
    reasons = {r.code: r for r in CloseReason.objects.all()}
    competitor = Competitor.objects.order_by("order").first()
    stall_reason = StallReason.objects.order_by("order").first()
    today = timezone.localdate()
    for index, company in enumerate(Company.objects.select_related("owner", "account_type").order_by("id")):
        owner = company.owner
        services.company_start_funnel(actor=owner, company=company)
        sale = Sale.objects.filter(company=company, pipeline=pipeline).first()
        if sale is None:
            sale = services.sale_create(
                actor=owner,
                data={"title": f"{company.name} — service contract", "company": company, "pipeline": pipeline},
            )
        amount = Decimal(5000 + index * 2750)
        sale = services.sale_update(
            actor=owner,
            sale=sale,
            data={"amount": amount, "score": 20 + index * 6, "sale_date": today + dt.timedelta(days=15 * (index + 1)),
                  "recurring_value": Decimal(100 * (index % 4))},
        )  # fmt: skip
        steps = ["contact", "proposal", "negotiation"][: index % 4]
        for code in steps:
            sale = services.sale_move_to_phase(actor=owner, sale=sale, phase=phases[code])
        if index % 5 == 1:
            services.sale_close(actor=owner, sale=sale, outcome="won", close_reason=reasons["quality"],
                                closed_date=today - dt.timedelta(days=20 * index))  # fmt: skip
        elif index % 5 == 3:
            services.sale_close(actor=owner, sale=sale, outcome="lost", close_reason=reasons["competitor"],
                                competitor=competitor, closed_date=today - dt.timedelta(days=9 * index))  # fmt: skip
        elif index % 7 == 4:
            services.sale_stall(actor=owner, sale=sale, reopen_date=today + dt.timedelta(days=30),
                                stall_reason=stall_reason)  # fmt: skip
