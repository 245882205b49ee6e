from django.apps import AppConfig

# The modules that register a report (reports.registry.register); one line each.
REPORT_MODULES = [
    "reports.green_red",
    "reports.outcomes",
]


class ReportsConfig(AppConfig):
    """The leadership read side: execution reports over every other app (DESIGN §2)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = "Execution reports"

    def ready(self) -> None:
        from importlib import import_module

        for module in REPORT_MODULES:
            import_module(module)
