"""wuye (物业): the system a property-management company runs its residential communities on."""

from .celery import app as celery_app

__all__ = ["celery_app"]
