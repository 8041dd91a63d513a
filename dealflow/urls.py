from django.urls import include, path

from dealflow.core.home import home

urlpatterns = [
    path("", home, name="home"),
    path("", include("dealflow.accounts.urls")),
    path("", include("dealflow.relations.urls")),
    path("", include("dealflow.sales.urls")),
    path("", include("dealflow.sales.admin_urls")),
    path("", include("dealflow.activities.urls")),
    path("", include("dealflow.saved.urls")),
    path("reports/", include("dealflow.insights.urls")),
    path("search/", include("dealflow.search.urls")),
    path("api/", include("dealflow.api.urls")),
]
