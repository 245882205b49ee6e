"""`manage.py unlock_login USERNAME` or `--address IP`: lift a sign-in lockout now."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cataligent.signin_limits import signin_unlock


class Command(BaseCommand):
    help = (
        "Lift the sign-in lockout of an account and/or a client address and forget their "
        "failed sign-ins (audited)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username", nargs="?", help="the account, as people type it")
        parser.add_argument("--address", help="a client IP address")

    def handle(
        self, *args: Any, username: str | None = None, address: str | None = None, **options: Any
    ) -> None:
        if not username and not address:
            raise CommandError("Name an account (USERNAME) or an address (--address IP).")
        if address is not None:
            try:
                address = str(ipaddress.ip_address(address.strip()))
            except ValueError:
                raise CommandError(f"--address {address!r} is not an IP address.") from None
        lifted = signin_unlock(
            username=username or None,
            address=address,
            actor=None,
            actor_label="command unlock_login",
        )
        what = " and ".join(
            part
            for part in (
                f"account {username!r}" if username else "",
                f"address {address}" if address else "",
            )
            if part
        )
        if lifted:
            self.stdout.write(f"Lifted {len(lifted)} lockout(s) of {what}.")
        else:
            self.stdout.write(f"No lockout in force for {what}; its failed sign-ins are forgotten.")
