//! A provider of the plugin world (`examples/wit/plugin.wit`): every answer has some
//! randomness in it (from `wasi:random`), so that a replay that printed the same without
//! calling it shows that the trace answered.

wit_bindgen::generate!({
    path: "../wit/plugin.wit",
    world: "provider",
});

use exports::acme::plugin::host;
use exports::acme::plugin::tally::{self, Counter, CounterBorrow, Labeled};
use exports::acme::plugin::zoo::{self, Color, Permissions, Sample, Shape};
use std::cell::Cell;
use wasip2::random::random::{get_random_bytes, get_random_u64};

struct Provider;

export!(Provider);

fn below(n: u64) -> u64 {
    get_random_u64() % n.max(1)
}

impl Guest for Provider {
    /// The distance, and up to a tenth of noise.
    fn distance(x: i32, y: i32) -> f64 {
        let exact = (f64::from(x).powi(2) + f64::from(y).powi(2)).sqrt();
        exact + below(100) as f64 / 1000.0
    }
}

impl host::Guest for Provider {
    fn roll(sides: u32) -> u32 {
        1 + below(sides as u64) as u32
    }

    fn greet(name: String) -> String {
        let greetings = ["hello", "hi", "good day", "welcome"];
        format!("{}, {name}!", greetings[below(4) as usize])
    }
}

impl zoo::Guest for Provider {
    fn jitter(s: Sample) -> Sample {
        let shift = below(100) as i64 - 50;
        Sample {
            name: format!("{}+{shift}", s.name),
            at: zoo::Point {
                x: s.at.x.wrapping_add(shift as i32),
                y: s.at.y.wrapping_sub(shift as i32),
            },
            tags: s.tags.into_iter().chain([format!("t{shift}")]).collect(),
            weight: s.weight * shift as f64,
            ratio: s.ratio + shift as f32,
            id: s.id.wrapping_add(shift as u64),
            tiny: s.tiny.wrapping_add(shift as i8),
            small: s.small.wrapping_add(shift as i16),
            medium: s.medium.wrapping_add(shift as i32),
            large: s.large.wrapping_add(shift.abs()),
            unsigned: s.unsigned.wrapping_add(shift as u16),
            byte: s.byte.wrapping_add(shift as u8),
            letter: char::from_u32(s.letter as u32 + shift.unsigned_abs() as u32).unwrap_or('?'),
            on: shift % 2 == 0,
        }
    }

    fn noise(len: u32) -> Vec<u8> {
        get_random_bytes(len as u64)
    }

    fn shapes(n: u32) -> Vec<Shape> {
        (0..n)
            .map(|i| match below(4) {
                0 => Shape::Circle(below(1000) as f32 / 8.0),
                1 => Shape::Square(below(1000) as u32),
                2 => Shape::Named(format!("shape-{i}-{}", below(100))),
                _ => Shape::Nothing,
            })
            .collect()
    }

    fn maybe(x: Option<u32>) -> Option<Option<String>> {
        x.map(|x| (below(2) == 0).then(|| format!("{x}:{}", below(1000))))
    }

    fn split(x: i64) -> Result<(u8, i16, u64), String> {
        if x < 0 {
            return Err(format!("{x} is negative ({})", below(10)));
        }
        Ok((x as u8, (x >> 8) as i16, (x as u64) ^ below(16)))
    }

    fn flip(p: Permissions) -> Permissions {
        let all = [Permissions::READ, Permissions::WRITE, Permissions::EXEC];
        p ^ all[below(3) as usize]
    }

    fn repaint(c: Color) -> Color {
        let others: Vec<Color> = [Color::Red, Color::Green, Color::Blue]
            .into_iter()
            .filter(|other| *other != c)
            .collect();
        others[below(2) as usize]
    }

    fn tick() {}

    fn upper((check, c): (bool, char)) -> Result<(), ()> {
        if check && c.is_uppercase() {
            Ok(())
        } else {
            Err(())
        }
    }

    fn floats(a: f32, b: f64) -> Vec<f64> {
        let noise = below(1000) as f64 / 1000.0;
        vec![
            a as f64 + noise,
            b - noise,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
        ]
    }
}

/// A provider's counter.
pub struct Tally(Cell<u64>);

impl tally::GuestCounter for Tally {
    fn new(start: u64) -> Self {
        Tally(Cell::new(start))
    }

    fn add(&self, n: u64) -> u64 {
        self.0.set(self.0.get() + n + below(10));
        self.0.get()
    }

    fn fork(&self) -> Counter {
        Counter::new(Tally(Cell::new(self.0.get())))
    }

    fn same(a: CounterBorrow<'_>, b: CounterBorrow<'_>) -> bool {
        a.get::<Tally>().0.get() == b.get::<Tally>().0.get()
    }

    fn finish(c: Counter) -> u64 {
        c.get::<Tally>().0.get()
    }
}

impl tally::Guest for Provider {
    type Counter = Tally;

    fn many(starts: Vec<u64>) -> Vec<Counter> {
        starts
            .into_iter()
            .map(|start| Counter::new(Tally(Cell::new(start + below(3)))))
            .collect()
    }

    fn make_labeled(label: String, start: u64) -> Option<Labeled> {
        (!label.is_empty()).then(|| Labeled {
            label: format!("{label}#{}", below(100)),
            counter: Counter::new(Tally(Cell::new(start))),
        })
    }

    fn totals(counters: Vec<CounterBorrow<'_>>) -> Vec<u64> {
        counters
            .iter()
            .map(|counter| counter.get::<Tally>().0.get())
            .collect()
    }
}
