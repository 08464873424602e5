"""kv_python: examples/kv_app in Python, a visit counter on wasi:keyvalue (store, atomics,
batch) configured by wasi:config, printing the same lines as kv_app.

    wasm-rr record kv_python.wasm -S keyvalue -S keyvalue-in-memory-data=count=41 \\
        -S config -S config-var=greeting=hello -t run.json
    wasm-rr replay kv_python.wasm run.json     # no keyvalue, no config needed

componentize-py runs this module's top level at build time (it snapshots the initialized
interpreter), so every call to an import is inside `Run.run`. An import's error result is
raised as `componentize_py_types.Err`.
"""

import json
import sys

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import atomics, batch
from wit_world.imports import wasi_config_store as config
from wit_world.imports import wasi_keyvalue_store as store


def variant(case):
    """A variant case as Rust's `{:?}` shows it (kv_app prints `Error::NoSuchStore`)."""
    name = type(case).__name__.replace("_", "::", 1)
    payload = getattr(case, "value", None)
    return name if payload is None else f"{name}({json.dumps(payload)})"


def options(pairs):
    """A `list<option<tuple<string, list<u8>>>>` as Rust's `{:?}` shows it."""
    shown = [
        "None" if pair is None else f"Some(({json.dumps(pair[0])}, {list(pair[1])}))"
        for pair in pairs
    ]
    return "[" + ", ".join(shown) + "]"


class Run(exports.Run):
    def run(self) -> None:
        out = []  # written to stdout at once at the end (print makes two writes a line)
        print_ = out.append

        greeting = config.get("greeting")
        if greeting is None:
            greeting = "hi"
        variables = config.get_all()
        print_(f"config: {len(variables)} variables, greeting {json.dumps(greeting)}")

        try:
            with store.open("nope"):
                print_('open("nope"): a bucket')
        except Err as error:
            print_(f'open("nope"): {variant(error.value)}')

        with store.open("") as bucket:
            value = bucket.get("count")
            count = int(value) if value and value.isdigit() else 0
            print_(f"count before: {count}")
            bucket.set("count", str(count + 1).encode())
            visits = atomics.increment(bucket, "visits", 2)
            print_(f"visits: {visits}")

            batch.set_many(bucket, [("a", b"1"), ("b", b"\xff\x00")])
            many = batch.get_many(bucket, ["a", "b", "c"])
            print_(f"get-many: {options(many)}")
            batch.delete_many(bucket, ["a"])
            print_(f"exists a: {str(bucket.exists('a')).lower()}")

            keys = sorted(bucket.list_keys(None).keys)
            print_(f"keys: {json.dumps(keys)}")
        print_(f"{greeting}, visitor {count + 1}!")
        sys.stdout.write("\n".join(out) + "\n")
        sys.stdout.flush()
