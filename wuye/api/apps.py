from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "wuye.api"
    label = "wuye_api"
    verbose_name = "API"
