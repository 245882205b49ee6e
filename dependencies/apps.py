from django.apps import AppConfig


class DependenciesConfig(AppConfig):
    """The dependency graph: capabilities, technical nodes, edges, escalation policies."""

    name = "dependencies"
    verbose_name = "Dependency graph"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dependencies import tasks  # noqa: F401  (the tasks; the recompute hears changes)
        from dependencies.graph import governance  # noqa: F401  (registers permission rules)
