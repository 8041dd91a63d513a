from django.urls import path

from . import views, views_actions, views_board, views_links, views_overview

app_name = "sales"

urlpatterns = [
    path("sales/", views.sale_list, name="sale_list"),
    path("board/", views_board.board, name="board"),
    path("board/columns/<int:phase_pk>/", views_board.board_column, name="board_column"),
    path("board/move/<int:pk>/", views_board.board_move, name="board_move"),
    path("sales/new/", views.sale_create, name="sale_create"),
    path("sales/options/<slug:kind>/", views_links.options, name="options"),
    path("sales/<int:pk>/", views.sale_detail, name="sale_detail"),
    path("sales/<int:pk>/move/", views_actions.sale_move, name="sale_move"),
    path("sales/<int:pk>/close/", views_actions.sale_close, name="sale_close"),
    path("sales/<int:pk>/stall/", views_actions.sale_stall, name="sale_stall"),
    path("sales/<int:pk>/reopen/", views_actions.sale_reopen, name="sale_reopen"),
    path("sales/<int:pk>/delete/", views_actions.sale_delete, name="sale_delete"),
    path("sales/<int:pk>/stakeholders/", views_links.stakeholder_add, name="stakeholder_add"),
    path(
        "sales/<int:pk>/stakeholders/<int:stakeholder_pk>/remove/",
        views_links.stakeholder_remove,
        name="stakeholder_remove",
    ),
    path("sales/<int:pk>/guide/<int:step_pk>/", views_links.guide_toggle, name="guide_toggle"),
    path("sales/<int:pk>/documents/", views_links.document_upload, name="document_upload"),
    path("sales/<int:pk>/documents/<int:document_pk>/", views_links.document_download, name="document_download"),
    path("sales/<int:pk>/documents/<int:document_pk>/delete/", views_links.document_delete, name="document_delete"),
    path("sales/<int:pk>/links/", views_links.sale_link_add, name="sale_link_add"),
    path("sales/<int:pk>/links/<int:other_pk>/remove/", views_links.sale_link_remove, name="sale_link_remove"),
    path("sales/<int:pk>/overview/values/", views_overview.overview_values, name="overview_values"),
    path("sales/<int:pk>/overview/complete/", views_overview.overview_complete, name="overview_complete"),
    path("sales/<int:pk>/overview/close/", views_overview.overview_close, name="overview_close"),
    path("companies/<int:pk>/overview/", views_overview.overview, name="overview"),
    path("companies/<int:pk>/overview/start/", views_overview.overview_start, name="overview_start"),
]
