# cython: language_level=3, wraparound=False
# Bounds are checked (an IndexError, never a read past a list); negative indexes are refused.
"""The engine's loops over every edge, compiled: the same steps as the Python code they
stand in for, which stays the reference (and the fallback where nothing was compiled).

At 250,000 nodes and 1.25 million edges each of these is a loop over every edge, and in
Python each costs about as much as one networkx topological sort of the whole graph
(issue 17's "floor A"). Compiled, they read the same lists and tuples and make the same
objects, without the interpreter's cost per edge:

- `all_within`, `edge_kinds`, `grouped`: edges checked, told apart, and sorted by one end
  into a tuple per vertex (`graph._compile`);
- `redundancy_groups`: the grouped edges into each vertex's groups (`groups.py`);
- `peel`: Kahn's algorithm from the leaves (`ordering.evaluation_order`, pass 1);
- `run_all`: every state and root-cause bitset in evaluation order
  (`propagation.Propagation.run_all` and `single_vertex_rules`).

tests/impact runs every engine test with each set of loops, against the slow reference
implementation among others; tests/impact_kernel compares the two directly.
"""

from cpython.ref cimport Py_INCREF
from cpython.tuple cimport PyTuple_Check, PyTuple_New, PyTuple_SET_ITEM
from libc.stdlib cimport free, malloc

cdef enum:
    OPERATIONAL = 0
    DEGRADED = 1
    BLOCKED = 2

cdef tuple EMPTY = ()


def all_within(list positions, Py_ssize_t count):
    """Whether every position is an int in 0..count-1."""
    cdef Py_ssize_t position
    for position in positions:
        if position < 0 or position >= count:
            return False
    return True


# The kinds of edge, as `edge_kinds` gives them.
PLAIN_HARD = 0
PLAIN_SOFT = 1
GROUPED = 2


def edge_kinds(list is_hard, list labels):
    """PLAIN_HARD, PLAIN_SOFT or GROUPED for each edge (a redundancy-group label makes it
    grouped, whatever its criticality)."""
    cdef Py_ssize_t size = len(labels), i
    if len(is_hard) != size:
        raise ValueError("is_hard and labels must have the same length")
    cdef list kinds = [PLAIN_HARD] * size
    for i in range(size):
        if labels[i]:
            kinds[i] = GROUPED
        elif not is_hard[i]:
            kinds[i] = PLAIN_SOFT
    return kinds


def grouped(Py_ssize_t count, list keys, list values, list kinds=None, Py_ssize_t kind=0):
    """[tuple of values[i] for every i with keys[i] == k (and kinds[i] == kind, if kinds are
    given)] for k < count, each tuple in input order; the empty tuple is shared."""
    cdef Py_ssize_t size = len(keys), i, key
    if len(values) != size or (kinds is not None and len(kinds) != size):
        raise ValueError("keys, values and kinds must have the same length")
    cdef Py_ssize_t *filled = <Py_ssize_t *> malloc((count + 1) * sizeof(Py_ssize_t))
    if filled == NULL:
        raise MemoryError()
    cdef list result
    cdef tuple row
    try:
        for key in range(count):
            filled[key] = 0
        for i in range(size):
            if kinds is not None and <Py_ssize_t> kinds[i] != kind:
                continue
            key = keys[i]
            if key < 0 or key >= count:
                raise IndexError(f"key {key} outside 0..{count - 1}")
            filled[key] += 1
        result = [EMPTY] * count
        for key in range(count):
            if filled[key]:
                result[key] = _new_tuple(filled[key])
                filled[key] = 0
        for i in range(size):
            if kinds is not None and <Py_ssize_t> kinds[i] != kind:
                continue
            key = keys[i]
            row = <tuple> result[key]
            _set_item(row, filled[key], values[i])
            filled[key] += 1
        return result
    finally:
        free(filled)


def redundancy_groups(
    Py_ssize_t count,
    list sources,
    list targets,
    list labels,
    list is_hard,
    list minimums,
    make_group,
):
    """`groups.redundancy_groups` after its checks: a tuple of groups per vertex, each made
    by `make_group(min_operational, hard members, soft members)`, by label within a vertex.
    """
    cdef Py_ssize_t size = len(labels), i, source, minimum
    if not (len(sources) == len(targets) == len(is_hard) == len(minimums) == size):
        raise ValueError("the edge columns must have the same length")
    # Per source vertex: label -> [hard members, soft members, minimum]
    cdef list by_source = [None] * count
    cdef list sources_seen = []
    cdef dict labelled
    cdef list entry, result, made
    cdef object label
    for i in range(size):
        label = labels[i]
        if not label:
            continue
        source = sources[i]
        if source < 0 or source >= count:
            raise IndexError(f"source {source} outside 0..{count - 1}")
        labelled = by_source[source]
        if labelled is None:
            labelled = by_source[source] = {}
            sources_seen.append(source)
        entry = labelled.get(label)
        if entry is None:
            entry = labelled[label] = [[], [], minimums[i]]
        elif minimums[i] > entry[2]:
            # Members that disagree on min_operational: the largest (the strictest) wins.
            entry[2] = minimums[i]
        (<list> (entry[0] if is_hard[i] else entry[1])).append(targets[i])
    result = [EMPTY] * count
    for source in sources_seen:
        labelled = by_source[source]
        made = []
        for label in sorted(labelled):
            entry = labelled[label]
            minimum = min(<Py_ssize_t> entry[2], len(<list> entry[0]) + len(<list> entry[1]))
            made.append(make_group(minimum, tuple(<list> entry[0]), tuple(<list> entry[1])))
        result[source] = tuple(made)
    return result


def peel(list dependents):
    """Kahn's algorithm from the leaves: (the vertices in an order where every dependency
    comes first, as far as that goes; what is left: on or above a cycle, ascending)."""
    cdef Py_ssize_t count = len(dependents), vertex, dependent, head
    cdef tuple vertex_dependents
    cdef Py_ssize_t *missing = <Py_ssize_t *> malloc((count + 1) * sizeof(Py_ssize_t))
    if missing == NULL:
        raise MemoryError()
    cdef list first = []
    try:
        for vertex in range(count):
            missing[vertex] = 0
        for vertex in range(count):
            vertex_dependents = dependents[vertex]
            for dependent in vertex_dependents:
                if dependent < 0 or dependent >= count:
                    raise IndexError(f"dependent {dependent} outside 0..{count - 1}")
                missing[dependent] += 1
        for vertex in range(count):
            if missing[vertex] == 0:
                first.append(vertex)
        head = 0
        while head < len(first):  # grows while we walk it
            vertex = first[head]
            head += 1
            vertex_dependents = dependents[vertex]
            for dependent in vertex_dependents:
                missing[dependent] -= 1
                if missing[dependent] == 0:
                    first.append(dependent)
        return first, [vertex for vertex in range(count) if missing[vertex] > 0]
    finally:
        free(missing)


def run_all(
    list components,
    cycle_components,
    evaluate_cycle,
    list hard,
    list soft,
    list groups,
    list intrinsic,
    dict forced,
    list bit_of,
    list states,
    list causes,
):
    """Evaluate every component in order into `states` and `causes`; cycles go to
    `evaluate_cycle(members)` (Python: rare, and their rules are longer)."""
    cdef Py_ssize_t position, vertex, target, state, own, s
    cdef tuple members, targets, soft_targets, vertex_groups, group
    cdef object item
    cdef object found
    for position in range(len(components)):
        members = components[position]
        if len(members) > 1 or position in cycle_components:
            for vertex, state, found in evaluate_cycle(members):
                states[vertex] = state
                causes[vertex] = found
            continue
        vertex = members[0]
        if forced and vertex in forced:
            state = forced[vertex]
            states[vertex] = state
            causes[vertex] = bit_of[vertex] if state else 0
            continue

        # The state: the worst of the vertex's own and its inputs' contributions.
        own = intrinsic[vertex]
        state = own
        targets = hard[vertex]
        for target in targets:
            s = states[target]
            if s > state:
                state = s
        soft_targets = soft[vertex]
        if state == OPERATIONAL:
            for target in soft_targets:
                if <Py_ssize_t> states[target] != OPERATIONAL:
                    state = DEGRADED  # a soft edge passes at most degraded
                    break
        vertex_groups = groups[vertex]
        for item in vertex_groups:
            s = _group_state(_as_group(item), states)
            if s > state:
                state = s
        states[vertex] = state
        if state == OPERATIONAL:
            causes[vertex] = 0
            continue

        # The root causes: itself if intrinsically at that state, and what carries it.
        found = bit_of[vertex] if own == state else 0
        for target in targets:
            if <Py_ssize_t> states[target] == state:
                found = _union(found, causes[target])
        if state == DEGRADED:
            for target in soft_targets:
                if <Py_ssize_t> states[target] != OPERATIONAL:
                    found = _union(found, causes[target])
        for item in vertex_groups:
            group = _as_group(item)
            if _group_state(group, states) != state:
                continue
            for target in <tuple?> group[1]:  # the members at least as bad as the group
                if <Py_ssize_t> states[target] >= state:
                    found = _union(found, causes[target])
            for target in <tuple?> group[2]:
                s = states[target]
                if (s if s < DEGRADED else DEGRADED) >= state:
                    found = _union(found, causes[target])
        causes[vertex] = found


cdef inline object _union(object found, object more):
    # Most vertices have one carrying input: no new int for x | 0 or 0 | x.
    if not more:
        return found
    if not found:
        return more
    return found | more


cdef inline tuple _as_group(object item):
    # A RedundancyGroup is a named tuple: a subclass of tuple, read here as a plain one.
    if not PyTuple_Check(item) or len(<tuple> item) != 3:
        raise TypeError(f"not a redundancy group: {item!r}")
    return <tuple> item


cdef Py_ssize_t _group_state(tuple group, list states) except -1:
    """The m-th best of the members' contributions (m = min_operational): `_group_state`
    of propagation.py, counting contributions by value instead of sorting them."""
    cdef Py_ssize_t minimum = group[0], target, s
    cdef Py_ssize_t by_state[3]
    by_state[0] = 0
    by_state[1] = 0
    by_state[2] = 0
    for target in <tuple?> group[1]:
        s = states[target]
        if s < OPERATIONAL or s > BLOCKED:
            raise ValueError(f"state {s} of vertex {target}")
        by_state[s] += 1
    for target in <tuple?> group[2]:
        s = states[target]
        if s < OPERATIONAL or s > BLOCKED:
            raise ValueError(f"state {s} of vertex {target}")
        by_state[s if s < DEGRADED else DEGRADED] += 1
    if minimum <= by_state[0]:
        return OPERATIONAL
    if minimum <= by_state[0] + by_state[1]:
        return DEGRADED
    return BLOCKED


cdef inline tuple _new_tuple(Py_ssize_t size):
    return PyTuple_New(size)


cdef inline void _set_item(tuple row, Py_ssize_t position, object value):
    # PyTuple_SET_ITEM steals a reference: the list keeps its own.
    Py_INCREF(value)
    PyTuple_SET_ITEM(row, position, value)
