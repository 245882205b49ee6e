"""Where a connector may connect: the destination guard of the outbound HTTP client (.http).

Destinations that must never be reached from a server are refused: link-local and cloud
metadata addresses always, loopback/private/unique-local ranges unless the caller passes
``allow_private_networks=True`` (the Django side passes
``settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS``, DESIGN §3).

The check runs where the socket is opened, on the addresses the host name resolved to, and
the socket is then connected to exactly the address that was checked, so a DNS answer that
changes between check and use (DNS rebinding) cannot slip through.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
import time
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import httpcore
import httpx

from .errors import UnsafeDestinationError

__all__ = [
    "METADATA_HOSTNAMES",
    "DestinationPolicy",
    "GuardedNetworkBackend",
    "GuardedTransport",
    "Resolver",
    "refusal_reason",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]
"""Turns (host, port) into IP address strings; the default asks the system resolver."""


# Host names of cloud metadata services. They resolve to link-local addresses that are
# refused anyway; naming them gives a clearer message and covers resolvers that map them
# elsewhere (GCP: metadata.google.internal, metadata.goog; AWS: instance-data).
METADATA_HOSTNAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)

# Refused even with allow_private_networks: nothing a connector needs lives there, and the
# cloud metadata services that hand out credentials do.
ALWAYS_REFUSED_NETWORKS: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = (
    (ipaddress.ip_network("169.254.169.254/32"), "a cloud metadata address"),
    (ipaddress.ip_network("169.254.170.2/32"), "a cloud metadata address (AWS ECS)"),
    (ipaddress.ip_network("fd00:ec2::/64"), "a cloud metadata address (AWS IPv6)"),
    (ipaddress.ip_network("100.100.100.200/32"), "a cloud metadata address (Alibaba)"),
    (ipaddress.ip_network("168.63.129.16/32"), "a cloud platform address (Azure WireServer)"),
    (ipaddress.ip_network("169.254.0.0/16"), "a link-local address"),
    (ipaddress.ip_network("fe80::/10"), "a link-local address"),
    (ipaddress.ip_network("0.0.0.0/8"), "an unspecified address"),
    (ipaddress.ip_network("::/128"), "an unspecified address"),
    (ipaddress.ip_network("224.0.0.0/4"), "a multicast address"),
    (ipaddress.ip_network("ff00::/8"), "a multicast address"),
    (ipaddress.ip_network("240.0.0.0/4"), "a reserved address"),
)
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE_PREFIX = ipaddress.ip_network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64, Teredo, compatible)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in NAT64_PREFIX or (ip in IPV4_COMPATIBLE_PREFIX and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal_reason(ip: IPAddress, *, allow_private_networks: bool) -> str | None:
    """Why ``ip`` must not be contacted, or None when it may be."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            reason = refusal_reason(embedded, allow_private_networks=allow_private_networks)
            if reason is not None:
                return reason
    for network, label in ALWAYS_REFUSED_NETWORKS:
        if ip.version == network.version and ip in network:
            return f"{ip} is {label}"
    if not ip.is_global and not allow_private_networks:
        return (
            f"{ip} is a loopback or private address and private networks are not allowed "
            "(CONNECTOR_ALLOW_PRIVATE_NETWORKS)"
        )
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """All addresses the system resolver gives for ``host`` (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for _family, _type, _proto, _canonname, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


@dataclass(frozen=True)
class DestinationPolicy:
    """Decides which addresses may be contacted, and resolves host names to check them."""

    allow_private_networks: bool = False
    resolver: Resolver = system_resolver

    def checked_addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for ``host``; raises when any of them is refused.

        Refusing when *any* answer is bad (rather than filtering) keeps a half-poisoned DNS
        answer from being used at all.
        """
        name = host.strip("[]").rstrip(".").lower()
        if name in METADATA_HOSTNAMES:
            raise UnsafeDestinationError(f"{host} is a cloud metadata host; refused")
        try:
            literal: IPAddress | None = ipaddress.ip_address(name)
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [str(literal)]
        else:
            try:
                addresses = list(self.resolver(name, port))
            except OSError as exc:
                raise httpcore.ConnectError(f"could not resolve {host}: {exc}") from exc
            if not addresses:
                raise httpcore.ConnectError(f"could not resolve {host}: no addresses")
        for address in addresses:
            reason = refusal_reason(
                ipaddress.ip_address(address.split("%", 1)[0]),
                allow_private_networks=self.allow_private_networks,
            )
            if reason is not None:
                raise UnsafeDestinationError(f"refused to connect to {host}: {reason}")
        return addresses


class GuardedNetworkBackend(httpcore.NetworkBackend):
    """Opens TCP connections only to addresses the policy accepted, and to nothing else."""

    def __init__(self, policy: DestinationPolicy) -> None:
        self._policy = policy
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        last_error: Exception | None = None
        for address in self._policy.checked_addresses(host, port):
            try:
                # TLS still verifies the certificate against ``host``: httpcore passes the
                # original name as SNI/server_hostname when it starts TLS on this stream.
                return self._backend.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise UnsafeDestinationError("unix sockets are not allowed for outbound calls")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@functools.cache
def _ssl_context(verify: bool) -> ssl.SSLContext:
    """One TLS context per verify setting for the whole process: loading the CA bundle
    takes about 15 ms, and every sync run and connection test builds a client. Contexts
    are safe to share between connections and threads."""
    return httpx.create_ssl_context(verify=verify, trust_env=False)


# httpx's own defaults for a transport (``httpx.Limits()`` with no arguments is unlimited:
# no cap on connections, idle ones kept forever).
POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with the connection pool opening sockets through the guard.

    httpx offers no public hook for the network backend, so the pool it builds is replaced
    by one with the same settings and our backend (httpcore's documented parameter).
    """

    def __init__(self, policy: DestinationPolicy, *, verify: bool = True) -> None:
        ssl_context = _ssl_context(verify)
        super().__init__(verify=ssl_context, trust_env=False, limits=POOL_LIMITS)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=POOL_LIMITS.max_connections,
            max_keepalive_connections=POOL_LIMITS.max_keepalive_connections,
            keepalive_expiry=POOL_LIMITS.keepalive_expiry,
            network_backend=GuardedNetworkBackend(policy),
        )
