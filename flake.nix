{
  description = "wasm-rr: record and replay WebAssembly components";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    flake-utils.url = "github:numtide/flake-utils";
  };

  outputs = { self, nixpkgs, flake-utils }:
    flake-utils.lib.eachDefaultSystem (system:
      let
        pkgs = nixpkgs.legacyPackages.${system};

        # The host needs stable Rust only: the guest .wasm files it embeds are committed.
        wasm-rr = pkgs.rustPlatform.buildRustPackage {
          pname = "wasm-rr";
          version = "0.1.0";
          src = ./.;
          cargoLock.lockFile = ./Cargo.lock;
          cargoBuildFlags = [ "--package" "wasm-rr" ];
          # The tests need the source tree's examples and golden/; run them with the
          # golden-test app or `cargo test --release --workspace`.
          doCheck = false;
        };

        # An app that runs one of the repository's cargo xtask commands, in the checkout.
        xtask = name: args: {
          type = "app";
          program = toString (pkgs.writeShellScript name ''
            export PATH=${pkgs.cargo}/bin:${pkgs.rustc}/bin:${pkgs.gcc}/bin:$PATH
            exec cargo xtask ${args} "$@"
          '');
        };
      in
      {
        packages.default = wasm-rr;

        apps.default = {
          type = "app";
          program = "${wasm-rr}/bin/wasm-rr";
        };
        # nix run .#golden-fixture -- NAME [--keep-trace]
        apps.golden-fixture = xtask "golden-fixture" "golden-fixture";
        # nix run .#golden-test
        apps.golden-test = xtask "golden-test" "golden-test";

        devShells.default = pkgs.mkShell {
          packages = [ pkgs.cargo pkgs.rustc pkgs.clippy pkgs.rustfmt pkgs.mdbook ];
        };
      });
}
