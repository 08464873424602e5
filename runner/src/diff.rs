//! `wasm-rr diff`: where two runs of one app part ways. Exits 0 when the traces hold the
//! same events and ending of the same app, 1 when they differ (as `diff` does: traces of
//! two apps differ), 125 on an error.

use crate::cli::DiffArgs;
use crate::inspect::Shown;
use anyhow::Result;
use std::collections::{BTreeMap, VecDeque};
use std::process::ExitCode;
use wasm_rr_trace::file::TraceReader;
use wasm_rr_trace::Event;

/// Events shown before and after the first difference.
const CONTEXT: usize = 3;

pub fn diff(args: &DiffArgs) -> Result<ExitCode> {
    let (mut a, header_a) = TraceReader::open(&args.a)?;
    let (mut b, header_b) = TraceReader::open(&args.b)?;
    let mut out = String::new();
    if header_a.app_sha256 != header_b.app_sha256 {
        out.push_str(&format!(
            "note: recorded from different apps (SHA-256 {} and {})\n",
            header_a.app_sha256, header_b.app_sha256
        ));
    }
    let mut before: VecDeque<Event> = VecDeque::new();
    let mut common = 0u64;
    let (first_a, first_b) = loop {
        match (a.next_event()?, b.next_event()?) {
            (Some(event_a), Some(event_b)) if event_a == event_b => {
                common += 1;
                before.push_back(event_a);
                if before.len() > CONTEXT {
                    before.pop_front();
                }
            }
            (None, None) => {
                let (end_a, end_b) = (ending(&a), ending(&b));
                if end_a != end_b {
                    out.push_str(&format!(
                        "the traces hold the same {common} events, and end differently:\n  A {end_a}\n  B {end_b}\n"
                    ));
                } else if out.is_empty() {
                    return Ok(ExitCode::SUCCESS);
                } else {
                    // Runs of two apps differ, even where their events do not.
                    out.push_str(&format!(
                        "the traces hold the same {common} events and end the same way ({end_a})\n"
                    ));
                }
                print!("{out}");
                return Ok(ExitCode::from(1));
            }
            (event_a, event_b) => break (event_a, event_b),
        }
    };

    let first = common + 1;
    out.push_str(&format!(
        "the traces part ways at event {first}:\n  A {}\n  B {}\n\n",
        args.a.display(),
        args.b.display()
    ));
    for (offset, event) in before.iter().enumerate() {
        let number = first - before.len() as u64 + offset as u64;
        out.push_str(&format!("  {number:>8}    {}\n", line(event, &a)));
    }
    // The differing event and the ones after it, from both traces.
    let mut after_a = Vec::new();
    let mut after_b = Vec::new();
    let mut counts: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut count = |event: &Event, reader: &TraceReader, side: usize| {
        let entry = counts
            .entry(Shown::of(event, reader.calls()).interface)
            .or_default();
        if side == 0 {
            entry.0 += 1
        } else {
            entry.1 += 1
        }
    };
    let (mut rest_a, mut rest_b) = (0u64, 0u64);
    let mut next_a = first_a;
    while let Some(event) = next_a {
        count(&event, &a, 0);
        rest_a += 1;
        if after_a.len() <= CONTEXT {
            after_a.push(event);
        }
        next_a = a.next_event()?;
    }
    let mut next_b = first_b;
    while let Some(event) = next_b {
        count(&event, &b, 1);
        rest_b += 1;
        if after_b.len() <= CONTEXT {
            after_b.push(event);
        }
        next_b = b.next_event()?;
    }
    for offset in 0..=CONTEXT {
        let number = first + offset as u64;
        let shown = |events: &[Event], reader: &TraceReader, rest: u64| match events.get(offset) {
            Some(event) => line(event, reader),
            None if offset as u64 == rest => format!("(end: {})", ending(reader)),
            None => String::new(),
        };
        let (left, right) = (shown(&after_a, &a, rest_a), shown(&after_b, &b, rest_b));
        if left.is_empty() && right.is_empty() {
            break;
        }
        let mark = if left == right { ' ' } else { '>' };
        out.push_str(&format!("{mark} {number:>8} A  {left}\n"));
        out.push_str(&format!("{mark} {:>8} B  {right}\n", ""));
    }
    out.push_str(&format!(
        "\nfrom event {first} on: A has {rest_a} events and ends with {}, B has {rest_b} and ends with {}\n",
        ending(&a),
        ending(&b)
    ));
    out.push_str("events by interface from there (A / B, and how many more one side has):\n");
    let width = counts.keys().map(|name| name.len()).max().unwrap_or(0);
    for (interface, (in_a, in_b)) in &counts {
        let more = match in_a.cmp(in_b) {
            std::cmp::Ordering::Greater => format!("{} only in A", in_a - in_b),
            std::cmp::Ordering::Less => format!("{} only in B", in_b - in_a),
            std::cmp::Ordering::Equal => String::new(),
        };
        out.push_str(&format!(
            "  {interface:<width$}  {in_a:>8} / {in_b:<8}  {more}\n"
        ));
    }
    print!("{out}");
    Ok(ExitCode::from(1))
}

fn line(event: &Event, reader: &TraceReader) -> String {
    Shown::of(event, reader.calls()).line()
}

fn ending(reader: &TraceReader) -> String {
    match reader.outcome() {
        Some(outcome) => outcome.to_string(),
        None => "no end (cut short)".into(),
    }
}
