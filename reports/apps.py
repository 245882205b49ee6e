from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """The leadership read side: execution reports over every other app (DESIGN §2)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = "Execution reports"

    def ready(self) -> None:
        import reports.catalog  # noqa: F401  (each report registers itself)
        from reports import (
            governance,  # noqa: F401  (permission rules of the run costs)
            tasks,  # noqa: F401  (the weekly leadership digest)
        )
