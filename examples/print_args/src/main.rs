//! Prints the arguments, the environment (sorted) and the working directory.
//! An argument `panic` makes it panic after printing: a crashing run to record.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    for (i, arg) in args.iter().enumerate() {
        println!("arg[{i}] = {arg}");
    }
    let mut vars: Vec<(String, String)> = std::env::vars().collect();
    vars.sort();
    for (name, value) in vars {
        println!("env {name} = {value}");
    }
    match std::env::current_dir() {
        Ok(dir) => println!("cwd = {}", dir.display()),
        Err(error) => println!("cwd unknown: {error}"),
    }
    if args.iter().skip(1).any(|arg| arg == "panic") {
        panic!("asked to panic");
    }
}
