from django.apps import AppConfig


class ObjectivesConfig(AppConfig):
    """Business objectives, their key results, requirements and status updates."""

    name = "objectives"
    verbose_name = "Objectives"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from objectives import governance  # noqa: F401  (registers permission rules)
