import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wuye.settings")
application = get_wsgi_application()

from wuye.core.checks import refuse_wrong_field_key  # noqa: E402  (needs the apps loaded)

refuse_wrong_field_key()
