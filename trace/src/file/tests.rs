use super::*;
use crate::{stream, Bytes, Datetime, InputStreamRead, StreamResult, WallClockNow};
use crate::{Event, Header, Outcome, FORMAT_VERSION};

fn header() -> Header {
    Header {
        wasm_rr_trace: FORMAT_VERSION,
        wasm_rr_version: "0".into(),
        app_sha256: "ab".into(),
        request: None,
    }
}

#[test]
fn round_trip_through_a_file() -> Result<(), Box<dyn std::error::Error>> {
    for format in [Format::Json, Format::Binary] {
        round_trip(format)?;
    }
    Ok(())
}

fn round_trip(format: Format) -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("wasm-rr-trace-{format:?}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("t.json");
    let events: Vec<Event> = vec![
        WallClockNow {
            result: Datetime {
                seconds: 5,
                nanoseconds: 6,
            },
        }
        .into(),
        InputStreamRead {
            stream: stream::STDIN,
            len: 9,
            result: StreamResult::Ok(Bytes(vec![0xff, 0, 1])),
        }
        .into(),
        InputStreamRead {
            stream: stream::STDIN,
            len: 9,
            result: StreamResult::Closed,
        }
        .into(),
    ];
    let mut writer = TraceWriter::create(&path, &header(), format, Creation::Replace)?;
    for event in &events {
        writer.event(event)?;
    }
    writer.finish(Outcome::Exit(3))?;

    if format == Format::Json {
        let text = std::fs::read_to_string(&path)?;
        assert!(text.contains(r#"{"wall-clock.now":{"result":{"seconds":5,"nanoseconds":6}}}"#));
        assert!(text.contains(r#"{"base64":"/wAB"}"#));
        assert!(
            text.contains("\n{\"end\":{\"exit\":3},\"crc32c\":\""),
            "{text}"
        );
    } else {
        assert!(std::fs::read(&path)?.starts_with(BINARY_MAGIC));
    }

    let (mut reader, read_header) = TraceReader::open(&path)?;
    assert_eq!(read_header, header());
    assert_eq!(reader.format(), format);
    let mut read = Vec::new();
    while let Some(event) = reader.next_event()? {
        read.push(event);
    }
    assert_eq!(read, events);
    assert_eq!(reader.outcome(), Some(&Outcome::Exit(3)));
    std::fs::remove_dir_all(dir)?;
    Ok(())
}

#[test]
fn a_clock_reading_takes_13_bytes_in_binary() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("wasm-rr-trace-size-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("t.bin");
    let mut writer =
        TraceWriter::create(&path, &header(), Format::for_path(&path), Creation::Replace)?;
    let header_bytes = (BINARY_MAGIC.len() + serde_json::to_string(&header())?.len() + 1) as u64;
    let reading = Datetime {
        seconds: 1_795_297_085,
        nanoseconds: 999_999_999,
    };
    for _ in 0..100 {
        writer.event(&WallClockNow { result: reading }.into())?;
    }
    writer.finish(Outcome::Exit(0))?;
    let size = std::fs::metadata(&path)?.len();
    // The header, a block's head (tag, length, CRC-32C), 100 events, and the end (tag,
    // length, `{"exit":0}`).
    assert_eq!(size - header_bytes - 7 - 12, 100 * 13);
    let (mut reader, _) = TraceReader::open(&path)?;
    let mut count = 0;
    while reader.next_event_bytes()?.is_some() {
        count += 1;
    }
    assert_eq!(count, 100);
    std::fs::remove_dir_all(dir)?;
    Ok(())
}

#[test]
fn a_bad_line_is_reported_with_its_number() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("wasm-rr-trace-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("t.json");
    let header = serde_json::to_string(&header())?;
    std::fs::write(
        &path,
        format!("{header}\n{{\"wall-clock.now\":{{\"result\":1}}}}\n"),
    )?;
    let (mut reader, _) = TraceReader::open(&path)?;
    let err = reader
        .next_event()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.starts_with(&format!("{}:2: invalid event:", path.display())),
        "{err}"
    );
    std::fs::remove_dir_all(dir)?;
    Ok(())
}

/// A trace of `count` clock readings in `format`, and its bytes.
fn clock_trace(dir: &std::path::Path, format: Format, count: u64) -> std::io::Result<Vec<u8>> {
    let path = dir.join("t");
    let mut writer = TraceWriter::create(&path, &header(), format, Creation::Replace)
        .map_err(std::io::Error::other)?;
    for seconds in 0..count {
        let reading = Datetime {
            seconds,
            nanoseconds: 1,
        };
        writer
            .event(&WallClockNow { result: reading }.into())
            .map_err(std::io::Error::other)?;
    }
    writer
        .finish(Outcome::Exit(0))
        .map_err(std::io::Error::other)?;
    std::fs::read(path)
}

/// Reads the trace at `path` to its end: the error, if any.
fn read_whole(path: &std::path::Path) -> Option<String> {
    let (mut reader, _) = match TraceReader::open(path) {
        Ok(opened) => opened,
        Err(error) => return Some(error.to_string()),
    };
    loop {
        match reader.next_event_bytes() {
            Ok(Some(_)) => {}
            Ok(None) if reader.outcome().is_some() => return None,
            Ok(None) => return Some(reader.cut_short_message()),
            Err(error) => return Some(error.to_string()),
        }
    }
}

#[test]
fn every_flipped_bit_of_a_trace_is_an_error() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("wasm-rr-trace-flips-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    for format in [Format::Json, Format::Binary] {
        let good = clock_trace(&dir, format, 300)?;
        let flipped = dir.join("flipped");
        // Every byte of the events and the end, one bit each (the header's first line
        // may name another app or version, which the commands check).
        let start = good.iter().position(|&b| b == b'\n').unwrap_or(0) + 1;
        let start = match format {
            Format::Json => start,
            _ => start + good[start..].iter().position(|&b| b == b'\n').unwrap_or(0) + 1,
        };
        let mut missed = Vec::new();
        for (i, at) in (start..good.len()).enumerate() {
            let mut bytes = good.clone();
            bytes[at] ^= 1 << (i % 8);
            std::fs::write(&flipped, &bytes)?;
            if read_whole(&flipped).is_none() {
                missed.push(at);
            }
        }
        assert!(
            missed.is_empty(),
            "{format:?}: flips at {missed:?} read as whole traces"
        );
    }
    let good = clock_trace(&dir, Format::Binary, 300)?;
    let mut bytes = good.clone();
    let last = bytes.len() - 20;
    bytes[last] ^= 4;
    std::fs::write(dir.join("flipped"), &bytes)?;
    let message = read_whole(&dir.join("flipped")).unwrap_or_default();
    assert!(
        message.contains(": event 1: the trace is damaged: the block of ")
            && message.contains(" does not match its checksum (CRC-32C)"),
        "{message}"
    );
    std::fs::remove_dir_all(dir)?;
    Ok(())
}

#[test]
fn traces_of_format_4_are_read() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("wasm-rr-trace-v4-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let header = serde_json::to_string(&Header {
        wasm_rr_trace: 4,
        ..header()
    })?;
    let path = dir.join("v4.json");
    std::fs::write(
        &path,
        format!("{header}\n{{\"wall-clock.now\":{{\"result\":{{\"seconds\":5,\"nanoseconds\":6}}}}}}\n{{\"end\":{{\"exit\":0}}}}\n"),
    )?;
    assert_eq!(read_whole(&path), None);
    // Binary, format 4: records after the header, no blocks.
    let mut bytes = BINARY_MAGIC.to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.push(b'\n');
    let mut event = Vec::new();
    Event::from(WallClockNow {
        result: Datetime {
            seconds: 5,
            nanoseconds: 6,
        },
    })
    .encode(&mut event);
    bytes.push(EVENT_TAG);
    crate::length::push_with_length(&mut bytes, &event);
    bytes.push(END_TAG);
    crate::length::push_with_length(&mut bytes, br#"{"exit":0}"#);
    let path = dir.join("v4.bin");
    std::fs::write(&path, &bytes)?;
    assert_eq!(read_whole(&path), None);
    std::fs::remove_dir_all(dir)?;
    Ok(())
}

#[test]
fn an_edited_json_trace_without_its_digest_is_read() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("wasm-rr-trace-edit-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let good = String::from_utf8(clock_trace(&dir, Format::Json, 3)?)?;
    let edited = good.replace("\"seconds\":1,", "\"seconds\":7,");
    let path = dir.join("edited.json");
    std::fs::write(&path, &edited)?;
    let message = read_whole(&path).unwrap_or_default();
    assert!(
        message.contains(":5: the trace is damaged, or was edited"),
        "{message}"
    );
    let end = edited.rfind("{\"end\"").unwrap_or(0);
    let without = format!("{}{{\"end\":{{\"exit\":0}}}}\n", &edited[..end]);
    std::fs::write(&path, without)?;
    assert_eq!(read_whole(&path), None);
    std::fs::remove_dir_all(dir)?;
    Ok(())
}
