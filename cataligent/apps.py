from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate

from cataligent.metrics import install_query_metrics


def _create_cache_table(using: str = "default", **kwargs: Any) -> None:
    """The database cache (no REDIS_URL) needs its table; `migrate` makes it, so the
    demo, a deployment and the test database all have it. Does nothing with Redis."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class CataligentConfig(AppConfig):
    """What every app shares: teams and roles, the audit log, permission checks."""

    name = "cataligent"
    verbose_name = "Teams and governance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cataligent import checks  # noqa: F401  (registers system checks)

        post_migrate.connect(_create_cache_table, sender=self)
        # Every query of every process is counted for /metrics (cataligent/metrics.py).
        connection_created.connect(install_query_metrics, dispatch_uid="cataligent-query-metrics")
