from django.apps import AppConfig


class CataligentConfig(AppConfig):
    """What every app shares: teams and roles, the audit log, permission checks."""

    name = "cataligent"
    verbose_name = "Teams and governance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cataligent import checks  # noqa: F401  (registers system checks)
