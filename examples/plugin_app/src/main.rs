//! A plugin that calls everything its host offers (`examples/wit/plugin.wit`), and prints
//! what it got: under `wasm-rr record --link plugin_host.wasm`, every call is recorded;
//! `wasm-rr replay` prints the same with no provider at all.

wit_bindgen::generate!({
    path: "../wit/plugin.wit",
    world: "plugin",
});

use acme::plugin::host;
use acme::plugin::tally::{self, Counter};
use acme::plugin::zoo::{self, Color, Permissions, Point, Sample};

fn main() {
    let rolls: Vec<u32> = (0..5).map(|_| host::roll(6)).collect();
    println!("rolls: {rolls:?}");
    println!("greeting: {}", host::greet("plugin"));

    let sample = Sample {
        name: "sample".into(),
        at: Point { x: -3, y: 4 },
        tags: vec!["a".into(), "b".into()],
        weight: 2.5,
        ratio: 0.25,
        id: u64::MAX - 1,
        tiny: -8,
        small: -16,
        medium: -32,
        large: i64::MIN,
        unsigned: 65535,
        byte: 255,
        letter: 'ß',
        on: true,
    };
    println!("jitter: {:?}", zoo::jitter(&sample));
    println!("noise: {:?}", zoo::noise(16));
    println!("shapes: {:?}", zoo::shapes(4));
    println!("maybe: {:?} {:?}", zoo::maybe(Some(7)), zoo::maybe(None));
    println!("split: {:?} {:?}", zoo::split(1 << 40), zoo::split(-1));
    println!(
        "flip: {:?}",
        zoo::flip(Permissions::READ | Permissions::EXEC)
    );
    println!("repaint: {:?}", zoo::repaint(Color::Green));
    zoo::tick();
    println!(
        "upper: {:?} {:?}",
        zoo::upper((true, 'Q')),
        zoo::upper((false, 'q'))
    );
    println!("floats: {:?}", zoo::floats(1.5, -0.0));

    let counter = Counter::new(10);
    println!("add: {} {}", counter.add(1), counter.add(2));
    let fork = counter.fork();
    println!("same: {}", Counter::same(&counter, &fork));
    println!("fork add: {}", fork.add(5));
    println!("same: {}", Counter::same(&counter, &fork));
    let many = tally::many(&[1, 2, 3]);
    let borrowed: Vec<&Counter> = many.iter().chain([&counter, &fork]).collect();
    println!("totals: {:?}", tally::totals(&borrowed));
    drop(many);
    match tally::make_labeled("label", 7) {
        Some(labeled) => println!("labeled: {} {}", labeled.label, labeled.counter.add(1)),
        None => println!("labeled: none"),
    }
    println!("labeled empty: {}", tally::make_labeled("", 1).is_none());
    println!("finish: {}", Counter::finish(fork));
    println!("counter: {}", counter.add(0));
    println!("distance: {}", distance(3, 4));
}
