//! CPU-bound work with a handful of host calls: computes 2^N in decimal with schoolbook
//! big-number arithmetic, N rounds (default 4), and prints the digit sums. `compute [ROUNDS]`.

fn main() {
    let rounds: u32 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(4);
    for round in 0..rounds {
        let exponent = 60_000 + round;
        let digits = power_of_two(exponent);
        let sum: u64 = digits.iter().map(|&d| u64::from(d)).sum();
        println!("2^{exponent}: {} digits, digit sum {sum}", digits.len());
    }
}

/// The decimal digits of 2^exponent, least significant first.
fn power_of_two(exponent: u32) -> Vec<u8> {
    let mut digits = vec![1u8];
    for _ in 0..exponent {
        let mut carry = 0;
        for digit in digits.iter_mut() {
            let doubled = *digit * 2 + carry;
            *digit = doubled % 10;
            carry = doubled / 10;
        }
        if carry > 0 {
            digits.push(carry);
        }
    }
    digits
}
