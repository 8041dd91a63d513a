from django.urls import path

from . import views, views_agenda

app_name = "activities"

urlpatterns = [
    path("activities/", views.activity_list, name="activity_list"),
    path("activities/new/", views.activity_create, name="activity_create"),
    path("activities/pick/<str:kind>/", views.activity_pick, name="activity_pick"),
    path("activities/<int:pk>/", views.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/done/", views.activity_done, name="activity_done"),
    path("activities/<int:pk>/delete/", views.activity_delete, name="activity_delete"),
    path("sales/<int:sale_pk>/plan-follow-ups/", views.plan_follow_ups, name="plan_follow_ups"),
    path("agenda/", views_agenda.agenda, name="agenda"),
    path("notifications/", views_agenda.notification_list, name="notification_list"),
    path("notifications/read/", views_agenda.notification_read, name="notification_read"),
    path("calendar/new/", views_agenda.calendar_feed_create, name="ical_create"),
    path("calendar/revoke/", views_agenda.calendar_feed_revoke, name="ical_revoke"),
    path("calendar/<str:token>.ics", views_agenda.calendar_feed, name="ical"),
]
