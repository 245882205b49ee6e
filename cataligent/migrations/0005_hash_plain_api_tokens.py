"""Existing DRF tokens (rest_framework.authtoken, plain keys) become hashed API tokens.

Issued keys keep working: each is stored as its SHA-256 under the name "token from
before hashing", expiring API_TOKEN_DAYS from now. Then the plain keys are dropped with
their table, and authtoken's migration records with them, since the app is no longer
installed (were it installed again, its migrations would create the table anew).
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone

PLAIN_TABLE = "authtoken_token"


def hash_plain_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if PLAIN_TABLE not in connection.introspection.table_names():
        return  # a database that never had DRF's tokens
    ApiToken = apps.get_model("cataligent", "ApiToken")
    expires_at = timezone.now() + timedelta(days=settings.API_TOKEN_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {PLAIN_TABLE}")
        rows = cursor.fetchall()
    for key, user_id, created in rows:
        token = ApiToken.objects.create(
            user_id=user_id,
            name="token from before hashing",
            key_hash=hashlib.sha256(key.encode()).hexdigest(),
            prefix=key[:8],
            expires_at=expires_at,
        )
        ApiToken.objects.filter(pk=token.pk).update(created_at=created)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {PLAIN_TABLE}")
        cursor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):
    dependencies = [("cataligent", "0004_api_tokens_and_sign_in_lockouts")]

    operations = [migrations.RunPython(hash_plain_tokens, migrations.RunPython.noop)]
