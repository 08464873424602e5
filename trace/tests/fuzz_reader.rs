//! Fuzzing the trace reader, on stable Rust: traces of both formats, mutated by a seeded
//! generator (bit flips, bytes inserted and removed, cuts, splices, lengths and numbers
//! made huge), read to their end. Every input must give events or a one-line error: no
//! panic, and no read larger than the format allows. `tests/corpus/` holds the hostile
//! cases found so far; they are read first.
//!
//! `WASM_RR_FUZZ_CASES=N` runs N generated cases instead of the default (CI's bounded run).

use std::io::Write;
use std::path::Path;
use wasm_rr_trace::file::{Creation, Format, TraceReader, TraceWriter};
use wasm_rr_trace::{
    stream, Bytes, Datetime, Event, GetRandomBytes, Header, InputStreamRead, Outcome, Poll,
    StreamResult, WallClockNow, FORMAT_VERSION,
};

const DEFAULT_CASES: u64 = 20_000;

/// xorshift64*: small, seeded, the same cases on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn seed_trace(dir: &Path, format: Format) -> Vec<u8> {
    let path = dir.join(match format {
        Format::Json => "seed.json",
        Format::Binary => "seed.bin",
        Format::Zstd => "seed.bin.zst",
    });
    let header = Header {
        wasm_rr_trace: FORMAT_VERSION,
        wasm_rr_version: "0.1.0".into(),
        app_sha256: "ab".repeat(32),
        request: None,
    };
    let mut writer = TraceWriter::create(&path, &header, format, Creation::Replace).unwrap();
    let events: Vec<Event> = vec![
        WallClockNow {
            result: Datetime {
                seconds: 1_795_297_085,
                nanoseconds: 7,
            },
        }
        .into(),
        GetRandomBytes {
            len: 4,
            result: Bytes(vec![1, 2, 3, 4]),
        }
        .into(),
        InputStreamRead {
            stream: stream::STDIN,
            len: 4096,
            result: StreamResult::Ok(Bytes(b"hello\n\xff".to_vec())),
        }
        .into(),
        Poll {
            pollables: vec![0, 1],
            result: vec![1],
        }
        .into(),
    ];
    for event in &events {
        writer.event(event).unwrap();
    }
    writer.finish(Outcome::Exit(3)).unwrap();
    std::fs::read(&path).unwrap()
}

/// One mutation of `input`.
fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut bytes = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(9) {
            0 if !bytes.is_empty() => {
                let at = at.min(bytes.len() - 1);
                bytes[at] ^= 1 << rng.below(8);
            }
            1 => bytes.insert(at, rng.next() as u8),
            2 if at < bytes.len() => {
                bytes.remove(at);
            }
            3 => bytes.truncate(at),
            // A varint or a JSON number made huge.
            4 => bytes
                .splice(at..at, [0xff, 0xff, 0xff, 0xff, 0x0f])
                .for_each(drop),
            5 => bytes
                .splice(at..at, b"99999999999999999999".iter().copied())
                .for_each(drop),
            // A splice of the other format, or of this one, elsewhere.
            6 => {
                let from = rng.below(other.len());
                let len = rng.below(other.len() - from);
                bytes
                    .splice(at..at, other[from..from + len].iter().copied())
                    .for_each(drop);
            }
            7 => {
                let from = rng.below(input.len());
                let len = rng.below(64).min(input.len() - from);
                bytes
                    .splice(at..at, input[from..from + len].iter().copied())
                    .for_each(drop);
            }
            _ => bytes
                .splice(
                    at..at,
                    [b'\n', b'{', b'"', b'}', b'\\', 0, 0x80][rng.below(7)..]
                        .iter()
                        .copied()
                        .take(1),
                )
                .for_each(drop),
        }
    }
    bytes
}

/// Reads `path` to its end: events, then the end or an error. Panics only if the reader
/// does, which is what the fuzzing looks for.
fn read_all(path: &Path) -> Result<u64, String> {
    let (mut reader, _) = TraceReader::open(path).map_err(|e| e.to_string())?;
    let mut events = 0u64;
    while let Some(event) = reader.next_event_bytes().map_err(|e| e.to_string())? {
        assert!(event.len() <= wasm_rr_trace::file::MAX_EVENT_BYTES);
        events += 1;
        // What the reader hands out decodes, or is a one-line error: never a panic.
        Event::decode(&event)
            .map(|event| event.describe())
            .map_err(|e| format!("event {events}: {e}"))?;
    }
    if reader.cut_short() {
        return Err(reader.cut_short_message());
    }
    Ok(events)
}

fn check(path: &Path, what: &str) {
    let result = std::panic::catch_unwind(|| read_all(path));
    match result {
        Ok(Ok(_)) => {}
        Ok(Err(message)) => {
            assert_eq!(message.lines().count(), 1, "{what}: {message}");
            assert!(!message.is_empty(), "{what}: an empty error");
        }
        Err(_) => {
            let kept = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/corpus")
                .join(format!("panic-{}", std::process::id()));
            let _ = std::fs::copy(path, &kept);
            panic!(
                "{what}: the reader panicked; the input is kept as {}",
                kept.display()
            );
        }
    }
}

#[test]
fn the_corpus_of_hostile_traces_reads_without_panic() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut read = 0;
    for entry in std::fs::read_dir(&corpus).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "md") {
            continue;
        }
        let result = std::panic::catch_unwind(|| read_all(&path));
        let name = path.display().to_string();
        match result {
            Ok(Err(message)) => assert_eq!(message.lines().count(), 1, "{name}: {message}"),
            Ok(Ok(_)) => panic!("{name}: read as a good trace"),
            Err(_) => panic!("{name}: the reader panicked"),
        }
        read += 1;
    }
    assert!(read >= 8, "the corpus has {read} files");
}

#[test]
fn mutated_traces_read_without_panic() {
    let cases: u64 = std::env::var("WASM_RR_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let dir = tempfile_dir();
    let json = seed_trace(&dir, Format::Json);
    let binary = seed_trace(&dir, Format::Binary);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let path = dir.join("case");
    for case in 0..cases {
        let (seed, other) = if case % 2 == 0 {
            (&json, &binary)
        } else {
            (&binary, &json)
        };
        let input = if case % 97 == 0 {
            (0..rng.below(300)).map(|_| rng.next() as u8).collect()
        } else {
            mutate(&mut rng, seed, other)
        };
        std::fs::File::create(&path)
            .and_then(|mut file| file.write_all(&input))
            .unwrap();
        check(&path, &format!("case {case}"));
    }
    std::fs::remove_dir_all(dir).unwrap();
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wasm-rr-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
