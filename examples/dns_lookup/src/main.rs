//! Resolves a host name and prints its addresses: `dns_lookup NAME`.
//! Uses `wasi:sockets/ip-name-lookup` directly: std's `wasm32-wasip1` has no sockets.

use wasip2::sockets::instance_network::instance_network;
use wasip2::sockets::ip_name_lookup::resolve_addresses;
use wasip2::sockets::network::{ErrorCode, IpAddress};

fn main() {
    let Some(name) = std::env::args().nth(1) else {
        eprintln!("usage: dns_lookup NAME");
        std::process::exit(2);
    };
    let network = instance_network();
    let addresses = match resolve_addresses(&network, &name) {
        Ok(addresses) => addresses,
        Err(error) => fail(&name, error),
    };
    let ready = addresses.subscribe();
    let mut found = Vec::new();
    loop {
        match addresses.resolve_next_address() {
            Ok(Some(address)) => found.push(show(address)),
            Ok(None) => break,
            Err(ErrorCode::WouldBlock) => ready.block(),
            Err(error) => fail(&name, error),
        }
    }
    println!("{name}: {} addresses", found.len());
    for address in found {
        println!("  {address}");
    }
}

fn show(address: IpAddress) -> String {
    match address {
        IpAddress::Ipv4((a, b, c, d)) => std::net::Ipv4Addr::new(a, b, c, d).to_string(),
        IpAddress::Ipv6((a, b, c, d, e, f, g, h)) => {
            std::net::Ipv6Addr::new(a, b, c, d, e, f, g, h).to_string()
        }
    }
}

fn fail(name: &str, error: ErrorCode) -> ! {
    eprintln!("dns_lookup: {name}: {}", error.name());
    std::process::exit(1);
}
