"""Factories for the sales funnel. Sales are made through `sale_create`, so every sale a test
gets has its initial phase record and its audit event, like a real one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import factory

from dealflow.accounts.tests.factories import UserFactory
from dealflow.sales.models import (
    CloseReason,
    Competitor,
    GuideStep,
    Outcome,
    Phase,
    Pipeline,
    Sale,
    StallReason,
)

# (code, name, kind, default probability)
STANDARD_PHASES: list[tuple[str, str, str, int]] = [
    ("lead", "Lead", Phase.Kind.INITIAL, 10),
    ("qualified", "Qualified", Phase.Kind.REGULAR, 30),
    ("proposal", "Proposal", Phase.Kind.REGULAR, 60),
    ("closing", "Closing", Phase.Kind.CLOSING, 100),
]


class PipelineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pipeline
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"pipeline-{n}")
    name = factory.Sequence(lambda n: f"Sale type {n}")
    order = factory.Sequence(lambda n: n)

    @classmethod
    def with_phases(cls, phases: Iterable[tuple[str, str, str, int]] = STANDARD_PHASES, **kwargs: Any) -> Pipeline:
        """A pipeline with its phases, e.g. Lead(initial, 10) / Qualified(30) / Proposal(60) / Closing."""
        pipeline = cls(**kwargs)
        for index, (code, name, kind, probability) in enumerate(phases):
            PhaseFactory(
                pipeline=pipeline, code=code, name=name, kind=kind, probability=probability, order=(index + 1) * 10
            )
        return pipeline


class PhaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Phase

    pipeline = factory.SubFactory(PipelineFactory)
    code = factory.Sequence(lambda n: f"phase-{n}")
    name = factory.LazyAttribute(lambda p: p.code.title())
    kind = Phase.Kind.REGULAR
    probability = 0
    order = factory.Sequence(lambda n: n * 10)


def pipeline_with_phases(phases: Iterable[tuple[str, str, str, int]] = STANDARD_PHASES, **kwargs: Any) -> Pipeline:
    return PipelineFactory.with_phases(phases, **kwargs)


def phases_of(pipeline: Pipeline) -> dict[str, Phase]:
    """The phases of `pipeline` by code."""
    return {p.code: p for p in pipeline.phases.all()}


class CloseReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CloseReason
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"reason-{n}")
    name = factory.LazyAttribute(lambda r: r.code.replace("-", " ").title())
    outcome = Outcome.EITHER


class StallReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StallReason
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Stall reason {n}")


class CompetitorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Competitor
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Competitor {n}")


class GuideStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GuideStep

    phase = factory.SubFactory(PhaseFactory)
    kind = GuideStep.Kind.FOLLOW_UP
    activity_type = GuideStep.ActivityType.CALL
    text = factory.Sequence(lambda n: f"Follow up {n}")


class SaleFactory(factory.django.DjangoModelFactory):
    """`SaleFactory(pipeline=p, owner=u, amount=...)` goes through `sale_create` as the owner
    (or as `actor=` when given), so the sale starts in its initial phase with one phase record."""

    class Meta:
        model = Sale

    title = factory.Sequence(lambda n: f"Sale {n}")
    owner = factory.SubFactory(UserFactory)
    pipeline = factory.LazyFunction(pipeline_with_phases)

    @classmethod
    def _create(cls, model_class: type[Sale], *args: Any, **kwargs: Any) -> Sale:
        from dealflow.sales.services import sale_create

        actor = kwargs.pop("actor", None) or kwargs["owner"]
        return sale_create(actor=actor, data=kwargs)
