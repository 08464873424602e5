//! A visit counter on `wasi:keyvalue` (store, atomics, batch) configured by `wasi:config`:
//!
//! ```text
//! wasm-rr record kv_app.wasm -S keyvalue -S keyvalue-in-memory-data=count=41 \
//!     -S config -S config-var=greeting=hello -t run.json
//! wasm-rr replay kv_app.wasm run.json     # no keyvalue, no config needed
//! ```

wit_bindgen::generate!({
    path: ["../wit/deps/keyvalue", "../wit/deps/config", "wit"],
    world: "wasm-rr-examples:kv-app/kv-app",
    generate_all,
});

use wasi::config::store as config;
use wasi::keyvalue::{atomics, batch, store};

fn main() {
    let greeting = config::get("greeting")
        .expect("wasi:config")
        .unwrap_or_else(|| "hi".into());
    let variables = config::get_all().expect("wasi:config");
    println!(
        "config: {} variables, greeting {greeting:?}",
        variables.len()
    );

    match store::open("nope") {
        Ok(_) => println!("open(\"nope\"): a bucket"),
        Err(error) => println!("open(\"nope\"): {error:?}"),
    }
    let bucket = store::open("").expect("the default bucket");
    let count = bucket.get("count").expect("get");
    let count: u64 = count
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.parse().ok())
        .unwrap_or(0);
    println!("count before: {count}");
    bucket
        .set("count", (count + 1).to_string().as_bytes())
        .expect("set");
    let visits = atomics::increment(&bucket, "visits", 2).expect("increment");
    println!("visits: {visits}");

    batch::set_many(
        &bucket,
        &[("a".into(), b"1".to_vec()), ("b".into(), vec![0xff, 0x00])],
    )
    .expect("set-many");
    let many = batch::get_many(&bucket, &["a".into(), "b".into(), "c".into()]).expect("get-many");
    println!("get-many: {many:?}");
    batch::delete_many(&bucket, &["a".into()]).expect("delete-many");
    println!("exists a: {}", bucket.exists("a").expect("exists"));

    let mut keys = bucket.list_keys(None).expect("list-keys").keys;
    keys.sort();
    println!("keys: {keys:?}");
    println!("{greeting}, visitor {}!", count + 1);
}
