//! Works in a directory: reads `config.txt`, lists the directory, appends a line to
//! `log.txt`, and prints a summary. `fs_tool [DIR]` (default: `.`).

use std::io::Write;
use std::path::Path;

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let dir = Path::new(&dir);
    let config = match std::fs::read_to_string(dir.join("config.txt")) {
        Ok(text) => text,
        Err(error) => {
            eprintln!(
                "fs_tool: cannot read {}: {error}",
                dir.join("config.txt").display()
            );
            std::process::exit(2);
        }
    };
    let settings = config.lines().filter(|line| line.contains('=')).count();
    println!("config.txt: {} bytes, {settings} settings", config.len());

    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("listing the directory")
        .filter_map(|entry| {
            entry
                .ok()
                .map(|e| e.file_name().to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    println!("{} entries: {}", names.len(), names.join(", "));

    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("log.txt"))
        .expect("opening log.txt");
    writeln!(log, "fs_tool ran with {settings} settings").expect("appending to log.txt");
    let size = std::fs::metadata(dir.join("log.txt"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!("log.txt is now {size} bytes");
}
