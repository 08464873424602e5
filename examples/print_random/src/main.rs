//! Prints random numbers from the host: 16 bytes in hex and a u64.

fn main() {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("random bytes");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    println!("random bytes: {hex}");
    println!("random u64: {}", getrandom::u64().expect("random u64"));
}
