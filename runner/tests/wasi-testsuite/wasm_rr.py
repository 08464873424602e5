"""wasm-rr as a runtime of WebAssembly/wasi-testsuite's official runner (run-tests -r).

Modeled on the runner's adapters/wasmtime.py. Environment:
  WASM_RR         the wasm-rr binary (default: wasm-rr on PATH)
  WASM_RR_MODE    run (default): run each test as `wasmtime run` would;
                  record: record each test into a trace in WASM_RR_TRACES
                  (a command's run, or a service's requests);
                  replay: replay each command test from its trace in WASM_RR_TRACES,
                  with none of its arguments, environment or directories
  WASM_RR_TRACES  where the traces go (record) or come from (replay)
"""

import os
import shlex
from pathlib import Path
from typing import Dict, List, Optional, Tuple

WASM_RR = shlex.split(os.getenv("WASM_RR", "wasm-rr"))
MODE = os.getenv("WASM_RR_MODE", "run")
TRACES = os.getenv("WASM_RR_TRACES", "")


def get_name() -> str:
    return "wasm-rr" if MODE == "run" else f"wasm-rr {MODE}"


def get_version() -> str:
    import subprocess
    # `wasm-rr 0.1.0 (wasmtime 48.0.8, trace format 5)`
    result = subprocess.run(WASM_RR[0:1] + ["--version"], encoding="UTF-8",
                            capture_output=True, check=True)
    return result.stdout.split(" ", 1)[1].strip()


def get_wasi_versions() -> List[str]:
    return ["wasm32-wasip1", "wasm32-wasip3"]


def get_wasi_worlds() -> List[str]:
    return ["wasi:cli/command", "wasi:http/service"]


def get_timeout_seconds() -> float:
    # A first run compiles the test; wasm-rr caches it for the next.
    return float(os.getenv("WASM_RR_TIMEOUT", "20"))


def trace_name(test_path: str) -> str:
    """`rust-wasm32-wasip3-cli-env`: the suite's language and target, then the test."""
    path = Path(test_path)
    return f"{path.parent.parent.parent.name}-{path.parent.name}-{path.stem}"


def compute_argv(test_path: str,
                 args_env_root: Tuple[List[str], Dict[str, str], Optional[str]],
                 proposals: List[str],
                 wasi_world: str,
                 wasi_version: str) -> List[str]:
    args, env, root = args_env_root
    service = wasi_world == "wasi:http/service"
    trace = os.path.join(TRACES, trace_name(test_path))
    if MODE == "replay":
        return WASM_RR + ["replay", test_path, trace + ".json"]
    argv = WASM_RR + (["serve", "--addr=127.0.0.1:0"] if service else
                      ["record", "-t", trace + ".json"] if MODE == "record" else
                      ["run"])
    if service and MODE == "record":
        argv += ["--trace-dir", trace]
    for key, value in env.items():
        argv += ["--env", f"{key}={value}"]
    if root:
        argv += ["--dir", f"{root}::/"]
    if wasi_version == "wasm32-wasip3":
        argv += ["-W", "component-model-async", "-S", "p3"]
    if "sockets" in proposals:
        argv += ["-S", "inherit-network"]
    argv.append(test_path)
    if args:
        argv += ["--"] + args
    return argv
