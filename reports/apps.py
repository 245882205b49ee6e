from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """The leadership read side: execution reports over every other app (DESIGN §2)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = "Execution reports"

    def ready(self) -> None:
        from reports import (
            catalog,  # noqa: F401  (registers the reports)
            governance,  # noqa: F401  (registers permission rules)
            tasks,  # noqa: F401  (the weekly digest)
        )
