module wasm-rr.example/inputs_go

go 1.27
