"""The Celery app. Broker: Redis when REDIS_URL is set, else an embedded filesystem broker."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cataligent.settings")

app = Celery("cataligent")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
