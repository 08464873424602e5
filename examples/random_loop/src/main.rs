//! Reads 32 random bytes N times (default 100,000) and prints their XOR. `random_loop [N]`.

fn main() {
    let count: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let mut folded = [0u8; 32];
    for _ in 0..count {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("random bytes");
        for (fold, byte) in folded.iter_mut().zip(bytes) {
            *fold ^= byte;
        }
    }
    let hex: String = folded.iter().map(|b| format!("{b:02x}")).collect();
    println!("{count} random reads, xor {hex}");
}
