"""inputs_python: reads every kind of input a WASI command has, and prints a summary.

The wall-clock time, random numbers, the arguments, the environment, stdin and the files
of the preopened directory /data (or the directory given as the first argument).

componentize-py runs this module's top level at build time (it snapshots the initialized
interpreter), so everything that reads an input is inside `Run.run`, which runs when the
component does.
"""

import datetime
import hashlib
import os
import random
import sys
import time

from wit_world import exports


def summary_of_text(text):
    words = text.split()
    counts = {}
    for word in words:
        word = word.strip(".,;:!?\"'()").lower()
        if word:
            counts[word] = counts.get(word, 0) + 1
    top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:3]
    return len(text.splitlines()), len(words), top


def read_settings(text):
    settings = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        settings[key.strip()] = value.strip()
    return settings


class Run(exports.Run):
    def run(self) -> None:
        out = []
        print_ = out.append

        now = time.time_ns()
        stamp = datetime.datetime.fromtimestamp(now // 10**9, datetime.timezone.utc)
        print_(f"time: {stamp.isoformat()} ({now // 10**9}.{now % 10**9:09d} s since the epoch)")
        start = time.monotonic()

        dice = [random.randint(1, 6) for _ in range(5)]
        token = os.urandom(8).hex()
        print_(f"random: dice {dice}, token {token}, sum {sum(dice)}")

        print_(f"args: {len(sys.argv)}: {sys.argv[1:]}")

        names = sorted(os.environ)
        print_(f"env: {len(names)} variables")
        for name in names:
            print_(f"  {name}={os.environ[name]}")

        stdin = sys.stdin.read()
        lines, words, top = summary_of_text(stdin)
        digest = hashlib.sha256(stdin.encode()).hexdigest()[:16]
        top_words = ", ".join(f"{word} x{count}" for word, count in top)
        print_(f"stdin: {len(stdin)} bytes, {lines} lines, {words} words, sha256 {digest}")
        print_(f"  top words: {top_words or '-'}")

        data = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1].startswith("/") else "/data"
        try:
            entries = sorted(os.listdir(data))
        except OSError as error:
            print_(f"{data}: cannot list: {error.strerror}")
            entries = []
        else:
            print_(f"{data}: {len(entries)} entries")
        for name in entries:
            path = os.path.join(data, name)
            with open(path, "rb") as file:
                content = file.read()
            digest = hashlib.sha256(content).hexdigest()[:16]
            print_(f"  {name}: {len(content)} bytes, sha256 {digest}")
            if name.endswith(".txt") or name.endswith(".toml"):
                settings = read_settings(content.decode("utf-8", "replace"))
                for key in sorted(settings):
                    print_(f"    {key} = {settings[key]}")

        elapsed = time.monotonic() - start
        print_(f"done in {elapsed * 1000:.3f} ms (monotonic clock)")
        sys.stdout.write("\n".join(out) + "\n")
        sys.stdout.flush()
