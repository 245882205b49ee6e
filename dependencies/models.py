from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from cataligent.leases import Leased
from cataligent.modeling import Governed, JSONText, exactly_one_of
from dependencies.choices import Criticality, NodeKind, NotifyRole, State


def _choices_check(field: str, choices: type[models.TextChoices], *, nullable: bool = False) -> Q:
    condition = Q(**{f"{field}__in": choices.values})
    if nullable:
        condition |= Q(**{f"{field}__isnull": True})
    return condition


class EscalationPolicy(models.Model):
    """Ordered levels: whom to notify after how many minutes of continuous blockage."""

    name = models.CharField(max_length=200, unique=True)
    team = models.ForeignKey(
        "cataligent.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalation_policies",
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "escalation policies"

    def __str__(self) -> str:
        return self.name


class EscalationLevel(models.Model):
    """One level of a policy; exactly one of user, team lead or role is notified."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="levels")
    position = models.PositiveSmallIntegerField(help_text="1 is the first level to fire.")
    after_minutes = models.PositiveIntegerField(
        help_text="Minutes of continuous blockage before this level fires."
    )
    notify_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    notify_team = models.ForeignKey(
        "cataligent.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Notifies the lead of this team.",
    )
    notify_role = models.CharField(max_length=20, choices=NotifyRole.choices, blank=True)

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="level_position_unique"),
            models.CheckConstraint(
                condition=(
                    Q(notify_user__isnull=False, notify_team__isnull=True, notify_role="")
                    | Q(notify_user__isnull=True, notify_team__isnull=False, notify_role="")
                    | Q(notify_user__isnull=True, notify_team__isnull=True)
                    & _choices_check("notify_role", NotifyRole)
                ),
                name="level_exactly_one_target",
                violation_error_message="Name exactly one of user, team or role to notify.",
            ),
            models.CheckConstraint(condition=Q(position__gte=1), name="level_position_from_1"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} level {self.position} after {self.after_minutes} min"

    @property
    def target_display(self) -> str:
        if self.notify_user_id:
            return f"user {self.notify_user}"
        if self.notify_team_id:
            return f"lead of {self.notify_team}"
        return f"role {self.notify_role}"


class Node(Governed, models.Model):
    """A business capability or a technical dependency in the one graph."""

    slug = models.SlugField(max_length=200, unique=True)
    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=NodeKind.choices)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_nodes",
    )
    team = models.ForeignKey(
        "cataligent.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="nodes",
    )
    escalation_policy = models.ForeignKey(
        EscalationPolicy,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="nodes",
    )
    # Where the node came from, e.g. "backstage:component:default/artist-web"; lets
    # re-imports find the node again even if its name changed.
    external_ref = models.CharField(max_length=300, blank=True, db_index=True)

    # A manual override always wins over tickets for this node (DESIGN §2).
    manual_state = models.CharField(max_length=20, choices=State.choices, blank=True)
    manual_reason = models.TextField(blank=True)
    # Not indexed: nothing filters on it (migration 0011).
    manual_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    manual_set_at = models.DateTimeField(null=True, blank=True)

    # Results of the impact engine, written only by it.
    intrinsic_state = models.CharField(
        max_length=20, choices=State.choices, default=State.OPERATIONAL, editable=False
    )
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.OPERATIONAL, editable=False
    )
    root_causes = models.JSONField(default=list, blank=True, editable=False)
    blocked_since = models.DateTimeField(null=True, blank=True, editable=False)
    # The version of the results (ImpactState.version) that last changed the four fields
    # above: what `GET /api/map/?since=` reads to answer with just the changes. Not indexed:
    # an index would move with every write of the results (no HOT updates), and a scan of
    # the column is a few tens of milliseconds at 250,000 nodes, once per version asked.
    # 0 also in the database: rows written by COPY or plain SQL (bench/, restores) hold it.
    results_version = models.PositiveBigIntegerField(default=0, db_default=0, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=_choices_check("kind", NodeKind), name="node_kind_valid"
            ),
            models.CheckConstraint(
                condition=_choices_check("manual_state", State) | Q(manual_state=""),
                name="node_manual_state_valid",
            ),
        ]
        # Few on purpose: a recompute's update that moves `state` touches every index (0011).
        indexes = [
            # The dependencies list, worst state first; also serves `state = …`.
            models.Index(fields=["-state", "name"], name="node_state_name_idx"),
            # Capabilities by state (map tables, reports); technical nodes add nothing to it.
            models.Index(
                fields=["state"],
                condition=Q(kind="capability"),
                name="node_capability_state_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_capability(self) -> bool:
        return self.kind == NodeKind.CAPABILITY


class Edge(models.Model):
    """`source` depends on `target`.

    Edges of one source that share a `redundancy_group` are alternatives: the
    group is fine while at least `min_operational` of its members are fine.
    """

    source = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="dependency_edges")
    target = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="dependent_edges")
    criticality = models.CharField(
        max_length=10, choices=Criticality.choices, default=Criticality.HARD
    )
    redundancy_group = models.CharField(max_length=100, blank=True)
    min_operational = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["source__slug", "target__slug"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="edge_unique"),
            models.CheckConstraint(
                condition=~Q(source=F("target")),
                name="edge_no_self_loop",
                # The API's words, in the admin too (not "Constraint … is violated").
                violation_error_message="A node cannot depend on itself.",
            ),
            models.CheckConstraint(
                condition=_choices_check("criticality", Criticality), name="edge_criticality_valid"
            ),
            models.CheckConstraint(
                condition=Q(min_operational__gte=1), name="edge_min_operational_at_least_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.slug} → {self.target.slug}"


class ImpactState(Leased):
    """The one row that says how current the stored impact results are.

    `requested` grows with every change that can move a state; `computed` is the
    value of `requested` the stored results reflect. `version` grows whenever any
    stored result changes: pages poll it to know whether to redraw.
    """

    requested = models.PositiveBigIntegerField(default=0)
    computed = models.PositiveBigIntegerField(default=0)
    # Grows when nodes, edges or requirements change: an incremental update needs
    # the graph's shape to be the one its cached result was computed on.
    structure = models.PositiveBigIntegerField(default=0)
    version = models.PositiveBigIntegerField(default=0)
    computed_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    cycles = models.JSONField(default=list, blank=True)
    # The bottleneck ranking is stored a row per entry: StoredBottleneck.
    value_at_risk = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    # The `requested` value of the last change that did not say which nodes it touched
    # (link rules edited, a connector deleted): the next pass re-reads every intrinsic state.
    unscoped = models.PositiveBigIntegerField(default=0)
    # The `structure` value of the last shape change that did not say which edges or
    # requirements it touched (a node added or deleted, an import, the admin): a worker's
    # cached graph older than it is built again; newer shape changes are noted as
    # ShapeChange rows, which the incremental recompute applies to its cached graph.
    reshaped = models.PositiveBigIntegerField(default=0)
    # Its lease (cataligent/leases.py): at most one recompute runs at a time.

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="impact_state_singleton")]

    def __str__(self) -> str:
        return f"impact version {self.version} (computed {self.computed}/{self.requested})"


class StoredBottleneck(models.Model):
    """One entry of the bottleneck ranking (DESIGN §2.7) as last stored: a row per root
    cause, so that a change writes only the entries it moved (migration 0012). Read in rank
    order with `dependencies.recompute.loader.stored_ranking`."""

    node = models.CharField(max_length=200, primary_key=True)  # the root cause's slug
    capabilities = models.JSONField(default=list)
    objectives = models.JSONField(default=list)
    value_at_risk = models.DecimalField(max_digits=16, decimal_places=2)

    def __str__(self) -> str:
        return f"bottleneck {self.node}"


class TeamCounts(models.Model):
    """The whole map's counts by owning team for one stored version of the results, counted
    by the recompute in the transaction that stores them (dependencies/recompute/team_counts.py)
    so the grouped map reads a few hundred rows instead of grouping a million edges per
    request. Valid only for its `version`, `structure` and `marker` (the newest audit entry
    when counted: a node's team moves with one); the map counts in SQL otherwise."""

    version = models.PositiveBigIntegerField()
    structure = models.PositiveBigIntegerField()
    marker = models.PositiveBigIntegerField()
    # [[team id or null, state, nodes], ...]
    states = models.JSONField(default=list)
    # [[source team or null, target team or null, edges, edges with both ends affected], ...]:
    # one per pair of linked teams, tens of thousands in a large organisation, written whole
    # with each version (text, uncompressed: migration 0015).
    links = JSONText(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "structure", "marker"], name="team_counts_unique"
            )
        ]

    def __str__(self) -> str:
        return f"team counts of version {self.version}"


class IntrinsicChange(models.Model):
    """A node whose intrinsic state may have changed, noted by the change that moved it.

    The incremental recompute re-reads only these nodes instead of every node's intrinsic
    state; `requested` is the ImpactState counter value of the change, so a pass takes
    exactly the changes up to the value it computes and the writer drops them after.
    Not a foreign key: a deleted node is a structural change, which recomputes in full.
    """

    node_id = models.BigIntegerField()
    requested = models.PositiveBigIntegerField(db_index=True)

    def __str__(self) -> str:
        return f"node {self.node_id} at request {self.requested}"


class ShapeChange(models.Model):
    """A node whose edges, or an objective whose requirements, changed: the incremental
    recompute reads just their inputs again and rewires its cached graph, instead of
    building the whole graph (250,000 nodes, a million edges) for one edge.

    Keyed by `requested` like IntrinsicChange. Not foreign keys: a deleted item is a shape
    change that says nothing of its edges, which rebuilds the graph.
    """

    node_id = models.BigIntegerField(null=True, blank=True)  # its dependencies changed
    objective_id = models.BigIntegerField(null=True, blank=True)  # its requirements changed
    requested = models.PositiveBigIntegerField(db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(node_id__isnull=False, objective_id__isnull=True)
                | Q(node_id__isnull=True, objective_id__isnull=False),
                name="shape_change_one_item",
            )
        ]

    def __str__(self) -> str:
        item = f"node {self.node_id}" if self.node_id else f"objective {self.objective_id}"
        return f"{item} rewired at request {self.requested}"


class StateTransition(models.Model):
    """A node or objective changed effective state: from, to, when and why."""

    node = models.ForeignKey(
        Node, null=True, blank=True, on_delete=models.CASCADE, related_name="transitions"
    )
    objective = models.ForeignKey(
        "objectives.Objective",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="transitions",
    )
    from_state = models.CharField(max_length=20, choices=State.choices)
    to_state = models.CharField(max_length=20, choices=State.choices)
    at = models.DateTimeField(db_index=True)
    root_causes = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    version = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            exactly_one_of("node", "objective", name="transition_one_item"),
        ]
        indexes = [
            models.Index(fields=["node", "-at"]),
            models.Index(fields=["objective", "-at"]),
        ]

    def __str__(self) -> str:
        item = self.node or self.objective
        return f"{item}: {self.from_state} → {self.to_state} at {self.at:%Y-%m-%d %H:%M}"


class EscalationStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Escalation(models.Model):
    """A level of an escalation policy fired for one blockage episode of a node or objective.

    The episode is identified by the item's `blocked_since`: a constraint makes each
    level fire exactly once per episode, however often and wherever the engine runs.
    """

    node = models.ForeignKey(
        Node, null=True, blank=True, on_delete=models.CASCADE, related_name="escalations"
    )
    objective = models.ForeignKey(
        "objectives.Objective",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalations",
    )
    episode_started_at = models.DateTimeField(help_text="When this blockage began.")
    level = models.PositiveSmallIntegerField()
    policy = models.ForeignKey(
        EscalationPolicy,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalations",
        help_text="Empty: the default escalation to leadership for items without a policy.",
    )
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_team = models.ForeignKey(
        "cataligent.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_role = models.CharField(max_length=20, choices=NotifyRole.choices, blank=True)
    target_display = models.CharField(max_length=200)
    fired_at = models.DateTimeField(db_index=True)
    root_causes = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=20, choices=EscalationStatus.choices, default=EscalationStatus.OPEN
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-fired_at", "-id"]
        constraints = [
            exactly_one_of("node", "objective", name="escalation_one_item"),
            models.UniqueConstraint(
                fields=["node", "episode_started_at", "level"],
                condition=Q(node__isnull=False),
                name="escalation_once_per_node_episode_level",
            ),
            models.UniqueConstraint(
                fields=["objective", "episode_started_at", "level"],
                condition=Q(objective__isnull=False),
                name="escalation_once_per_objective_episode_level",
            ),
            models.CheckConstraint(
                condition=Q(status__in=EscalationStatus.values), name="escalation_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "-fired_at"])]

    def __str__(self) -> str:
        return f"{self.item_label} level {self.level} → {self.target_display}"

    @property
    def item(self) -> models.Model:
        return self.node or self.objective  # type: ignore[return-value]

    @property
    def item_label(self) -> str:
        return self.node.slug if self.node_id else self.objective.key  # type: ignore[union-attr]


class Notification(models.Model):
    """One message to one person about one event, recorded before it is sent.

    The unique constraint means an event is never sent twice to a person on a
    channel; `status` shows what happened to it, with the error if it failed.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        INBOX = "inbox", "In-app inbox"
        WEBHOOK = "webhook", "Outbound webhook"

    class Event(models.TextChoices):
        ESCALATION_FIRED = "escalation_fired", "Escalation"
        ESCALATION_RESOLVED = "escalation_resolved", "Blocker cleared"
        UPDATE_OVERDUE = "update_overdue", "Status update overdue"
        LEADERSHIP_DIGEST = "leadership_digest", "Weekly leadership digest"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    event = models.CharField(max_length=30, choices=Event.choices)
    # What the event is about, so that "once per event" can be a constraint.
    event_key = models.CharField(max_length=200)
    escalation = models.ForeignKey(
        Escalation, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    subject = models.CharField(max_length=300)
    body = models.TextField()
    # An e-mail's own HTML (the weekly digest's tables); empty: the body in the standard frame.
    html = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The first failed try: retries stop a day after it (dependencies/escalations/notifications.py).
    failing_since = models.DateTimeField(null=True, blank=True)
    # When the retry sweep tries a failed send again (None: not tried yet, or done).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "recipient", "channel"], name="notification_once_per_event"
            ),
            # Outbound webhooks have no recipient; NULLs are distinct in a unique index.
            models.UniqueConstraint(
                fields=["event_key", "channel"],
                condition=Q(recipient__isnull=True),
                name="notification_once_per_event_without_recipient",
            ),
        ]
        indexes = [
            # The retry sweep's question every minute: which pending ones are due?
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="notification_pending_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.recipient}: {self.subject}"
