"""The graph (functional) form of a stack file: named inputs, layers that name the tensors they read and
make, layers called again by name (shared weights), and named outputs.

`read_graph` turns it into what the engine walks for any stack: the inputs' shapes and the calls in an
order where every tensor is made before it is read (Kahn's topological order, ties kept in file order —
the order of Keras' `model.layers`). Every fault is located: an unknown tensor (with a did-you-mean),
a tensor made twice, a cycle, an input no layer reads, an output no layer makes.
"""

from __future__ import annotations

import re

from .errors import describe_value, did_you_mean, unreadable
from .layers import Context, Layer
from .shapes import Shape
from .stackfile import Item, StackFile

DISCARD = "_"  # `out: [outputs, _, _]`: a tensor not needed


def snake_case(name: str) -> str:
    """Keras' default layer names: LSTM → lstm, GlobalAveragePooling1D → global_average_pooling1d."""
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def names_in(item: Item | None, what: str) -> list[tuple[str, Item]]:
    """`name` or `[name, …]` → [(name, its item)]."""
    if item is None:
        return []
    entries = item.value if isinstance(item.value, list) else [item]
    for entry in entries:
        if not isinstance(entry.value, str):
            raise unreadable(f"`{what}` names tensors", entry.mark, expected="a tensor's name, or a list of names",
                             found=describe_value(entry.value))
    return [(entry.value, entry) for entry in entries]


def graph_shape_item(name: str, item: Item) -> Item:
    if not isinstance(item.value, list) or not item.value:
        raise unreadable(f"input '{name}' needs its shape", item.mark,
                         expected="a list of sizes without the batch axis, e.g. [null, 71]",
                         found=describe_value(item.plain()))
    return item


def read_graph(stack: StackFile, ctx: Context) -> tuple[dict[str, Shape], list, list[str]]:
    from .engine import Call, build_layer, read_shape

    inputs = {name: read_shape(graph_shape_item(name, item), stack.symbols) for name, item in stack.inputs.value.items()}
    layers: dict[str, Layer] = {}  # by name
    calls: list[Call] = []
    for entry in stack.layers:
        if entry.reuses is not None:
            if entry.reuses not in layers:
                guess = did_you_mean(entry.reuses, layers)
                raise unreadable(f"no layer called '{entry.reuses}' is made above", entry.mark,
                                 expected="the name of a layer made earlier in `layers:`" +
                                          (f" ({', '.join(layers)})" if layers else ""),
                                 found=entry.reuses, fix=f"did you mean '{guess}'?" if guess else
                                 "give the layer a name (`name: …` among its arguments) and reuse that")
            layer, first = layers[entry.reuses], False
        else:
            layer, first = build_layer(entry, ctx), True
            if layer.name is None:
                layer.name = unique(snake_case(layer.keras_name), layers)
            elif layer.name in layers:
                raise unreadable(f"two layers are called '{layer.name}'", entry.mark, expected="a name of its own",
                                 found=layer.name, fix=f"rename one, or call the first again with `reuse: {layer.name}`")
            layers[layer.name] = layer
        ins = names_in(entry.wiring.get("in"), "in")
        if not ins:  # the one tensor the entry above makes (or the only input, for the first layer)
            ins = [(calls[-1].outputs[0], None)] if calls and len(calls[-1].outputs) == 1 else \
                [(next(iter(inputs)), None)] if not calls and len(inputs) == 1 else []
        if not ins:
            raise unreadable(f"{layer.keras_name}: which tensor does it read?", entry.mark,
                             expected="`in: NAME` beside the layer (an input's name or a tensor made above)",
                             found="no `in:`", fix="add `in: " + next(iter(inputs)) + "`")
        if len(ins) > 1 and not layer.takes_list:
            raise unreadable(f"{layer.keras_name} reads one tensor, but `in:` names {len(ins)}",
                             entry.wiring["in"].mark, expected="one tensor's name",
                             found=", ".join(name for name, _ in ins),
                             fix="join them first (Concatenate, Add, …), or give each its own layer")
        outs = [name for name, _ in names_in(entry.wiring.get("out"), "out")]
        states = names_in(entry.wiring.get("initial_state"), "initial_state")
        if states and "initial_state" not in layer.call_arguments:
            covered = layer.keras_name == "Bidirectional"  # Keras splits the states between the directions
            raise unreadable(
                f"{layer.keras_name} {'is not covered with' if covered else 'takes no'} initial_state"
                + (" by shapecli yet" if covered else ""), entry.wiring["initial_state"].mark,
                expected="initial_state on SimpleRNN, LSTM or GRU: the states they start from",
                found=f"initial_state on {layer.keras_name}",
                fix="give the states to the recurrent layer inside it" if covered else "remove initial_state")
        if not outs:  # one output, named after the layer (a layer giving several must name them)
            outs = [layer.name if first else f"{layer.name}_{len(calls) + 1}"]
        calls.append(Call(entry, layer, [name for name, _ in ins], outs, [name for name, _ in states],
                          {name: item for name, item in ins + states}))
    outputs = names_in(stack.outputs, "outputs")
    ordered = in_order(stack, inputs, calls, outputs)
    return inputs, ordered, [name for name, _ in outputs]


def unique(name: str, taken) -> str:
    """Keras' way: dense, dense_1, dense_2 …"""
    if name not in taken:
        return name
    k = 1
    while f"{name}_{k}" in taken:
        k += 1
    return f"{name}_{k}"


def in_order(stack: StackFile, inputs: dict, calls: list, outputs: list[tuple[str, Item]]) -> list:
    """The calls ordered so that each reads only tensors made before it; every name checked."""
    made: dict[str, object] = {name: "input" for name in inputs}
    for call in calls:
        for name in call.outputs:
            if name == DISCARD:
                continue
            if name in made:
                where = "an input" if made[name] == "input" else f"the layer at line {made[name].entry.mark.line}" \
                    if made[name].entry.mark else "another layer"
                raise unreadable(f"the tensor '{name}' is made twice", call.entry.wiring.get("out", call.entry.name_item).mark,
                                 expected="each tensor name once", found=f"'{name}', already made by {where}",
                                 fix="give this output another name")
            made[name] = call
    for call in calls:
        for name in call.inputs + call.states:
            if name not in made:
                guess = did_you_mean(name, [n for n in made if n != DISCARD])
                raise unreadable(f"no input or layer makes a tensor called '{name}'", call.marks[name].mark,
                                 expected="an input's name or a tensor named in an `out:` above",
                                 found=name, fix=f"did you mean '{guess}'?" if guess else "name it in the `out:` of "
                                 "the layer that makes it")
    for name, item in outputs:
        if name not in made or name == DISCARD:
            guess = did_you_mean(name, [n for n in made if n != DISCARD])
            raise unreadable(f"the output '{name}' is not a tensor of the graph", item.mark,
                             expected="a tensor named in an `out:`", found=name,
                             fix=f"did you mean '{guess}'?" if guess else None)
    read = {name for call in calls for name in call.inputs + call.states}
    for name, item in stack.inputs.value.items():
        if name not in read:
            raise unreadable(f"the input '{name}' is not read by any layer", stack.inputs.key_mark(name),
                             expected="every input read by a layer (`in: " + name + "`)", found=f"'{name}' unused",
                             fix="remove it, or give it to the layer that should read it")
    ready, ordered, waiting = set(inputs), [], list(calls)
    while waiting:
        for call in waiting:
            if all(name in ready for name in call.inputs + call.states):
                break
        else:
            cycle = " → ".join(f"{c.layer.name} (line {c.entry.mark.line})" if c.entry.mark else c.layer.name
                               for c in waiting)
            raise unreadable("these layers read each other's outputs in a circle", waiting[0].entry.mark,
                             expected="a graph without cycles: each tensor made before it is read",
                             found=cycle, fix="a layer cannot read a tensor that depends on its own output")
        waiting.remove(call)
        ordered.append(call)
        ready.update(call.outputs)
    return ordered


def keras_layer_order(explanation) -> list:
    """The order of Keras' `model.layers` for this graph (keras/src/ops/function.py `map_graph`): a depth-
    first walk back from each output gives each layer its first-visit index; a layer's depth is the most
    calls between it and an output; the layers go deepest first, ties by first visit. Each item is an input's
    name or the Step of a layer's first call."""
    producer = {name: ("input", name) for name in explanation.inputs}
    for step in explanation.steps:
        producer.update({name: step.index for name in step.outputs})
    steps = {step.index: step for step in explanation.steps}

    def parents(node) -> list:
        return [] if isinstance(node, tuple) else [producer[n] for n in steps[node].inputs + steps[node].states]

    def operation(node):
        return node if isinstance(node, tuple) else id(steps[node].layer)

    visited, finished, post = {}, set(), []  # operation → first-visit index; the nodes after their parents
    for output in explanation.outputs:
        stack = [(producer[output], False)]
        while stack:
            node, done = stack.pop()
            if done:
                finished.add(node)
                post.append(node)
                continue
            if node in finished:
                continue
            visited.setdefault(operation(node), len(visited))
            stack.append((node, True))
            stack.extend((parent, False) for parent in reversed(parents(node)) if parent not in finished)
    node_depth, operation_depth = {}, {}
    for node in reversed(post):
        depth = max(node_depth.setdefault(node, 0), operation_depth.get(operation(node), 0))
        operation_depth[operation(node)] = node_depth[node] = depth
        for parent in parents(node):
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    first_step = {}
    for step in explanation.steps:
        first_step.setdefault(id(step.layer), step)
    ordered = sorted(operation_depth, key=lambda op: (-operation_depth[op], visited[op]))
    return [op[1] if isinstance(op, tuple) else first_step[op] for op in ordered]
