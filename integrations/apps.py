from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """ITSM connectors, the ticket mirror, link rules, sync runs and webhooks."""

    name = "integrations"
    verbose_name = "ITSM integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from integrations import governance  # noqa: F401  (registers permission rules)
