//! Prints a greeting: the smallest whole program, for measuring start-up.

fn main() {
    println!("hello, world");
}
