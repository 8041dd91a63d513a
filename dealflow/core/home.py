from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse

from dealflow.core.types import AuthedRequest
from dealflow.insights.views_dashboard import home as dashboard_home


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """The home page is the dashboard (dealflow.insights owns its numbers)."""
    return dashboard_home(request)
