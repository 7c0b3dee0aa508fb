"""Celery application.

With `WUYE_BROKER_URL` set, tasks go to the broker and run on workers. Without it the same
tasks run in-process (see `wuye.core.jobs`), so a laptop needs nothing installed.
"""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wuye.settings")

app = Celery("wuye")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _install_schedule(sender, **kwargs):
    from wuye.core.schedule import beat_schedule

    sender.conf.beat_schedule = beat_schedule()


@signals.worker_init.connect
def _refuse_wrong_field_key(**kwargs):
    from wuye.core.checks import refuse_wrong_field_key

    refuse_wrong_field_key()
