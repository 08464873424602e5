// inputs_go reads every kind of input a WASI program has and prints a summary of it:
// the wall-clock time, random numbers, its arguments, its environment, stdin, and the
// files of a preopened directory (default /data; `inputs_go [-dir DIR] ARGS...`).
// Built with GOOS=wasip1 GOARCH=wasm; see build.sh.
package main

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	mrand "math/rand/v2"
	"os"
	"path"
	"sort"
	"strings"
	"time"
)

func main() {
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()

	dir := "/data"
	args := os.Args[1:]
	if len(args) >= 2 && args[0] == "-dir" {
		dir, args = args[1], args[2:]
	}

	// Clocks: the wall clock, and the monotonic clock around a short sleep.
	now := time.Now()
	fmt.Fprintf(out, "time: %s (unix %d)\n", now.UTC().Format(time.RFC3339Nano), now.Unix())
	start := time.Now()
	time.Sleep(20 * time.Millisecond)
	slept := time.Since(start)
	fmt.Fprintf(out, "slept: at least 20ms: %v\n", slept >= 20*time.Millisecond)

	// Random numbers: crypto/rand, and math/rand/v2 seeded from it.
	var buf [16]byte
	if _, err := rand.Read(buf[:]); err != nil {
		fail("random: %v", err)
	}
	fmt.Fprintf(out, "random bytes: %s\n", hex.EncodeToString(buf[:]))
	seed := binary.LittleEndian.Uint64(buf[:8])
	fmt.Fprintf(out, "random number below 1000000: %d\n", seed%1000000)
	pcg := mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	deck := pcg.Perm(8)
	fmt.Fprintf(out, "shuffled 0..7: %v\n", deck)
	// The runtime's own generator (math/rand/v2's top-level functions) is seeded by the
	// runtime at start-up from WASI random.
	fmt.Fprintf(out, "runtime dice roll: %d\n", mrand.IntN(6)+1)

	// Arguments.
	fmt.Fprintf(out, "argv[0]: %s\n", os.Args[0])
	fmt.Fprintf(out, "%d arguments:", len(args))
	for _, a := range args {
		fmt.Fprintf(out, " %q", a)
	}
	fmt.Fprintln(out)

	// Environment.
	env := os.Environ()
	sort.Strings(env)
	fmt.Fprintf(out, "%d environment variables:\n", len(env))
	for _, kv := range env {
		fmt.Fprintf(out, "  %s\n", kv)
	}
	if v, ok := os.LookupEnv("GREETING"); ok {
		fmt.Fprintf(out, "GREETING says %q\n", v)
	}

	// stdin: lines, words, bytes and a checksum.
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading stdin: %v", err)
	}
	fmt.Fprintf(out, "stdin: %d bytes, %d lines, %d words, crc32 %08x\n",
		len(input), strings.Count(string(input), "\n"), len(strings.Fields(string(input))),
		crc32.ChecksumIEEE(input))

	// Files: list the preopened directory, read each regular file, and count its words.
	entries, err := os.ReadDir(dir)
	if err != nil {
		fmt.Fprintf(out, "%s: cannot list: %v\n", dir, err)
		return
	}
	fmt.Fprintf(out, "%s: %d entries\n", dir, len(entries))
	for _, e := range entries {
		p := path.Join(dir, e.Name())
		info, err := e.Info()
		if err != nil {
			fmt.Fprintf(out, "  %s: %v\n", e.Name(), err)
			continue
		}
		if !info.Mode().IsRegular() {
			fmt.Fprintf(out, "  %s: %s\n", e.Name(), info.Mode().Type())
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			fmt.Fprintf(out, "  %s: %v\n", e.Name(), err)
			continue
		}
		words := strings.Fields(string(data))
		first := ""
		if len(words) > 0 {
			first = words[0]
		}
		fmt.Fprintf(out, "  %s: %d bytes, %d words, first word %q\n", e.Name(), len(data), len(words), first)
	}
	if _, err := os.Stat(path.Join(dir, "missing.txt")); err != nil {
		fmt.Fprintf(out, "missing.txt: not there (%v)\n", os.IsNotExist(err))
	}
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "inputs_go: "+format+"\n", a...)
	os.Exit(1)
}
