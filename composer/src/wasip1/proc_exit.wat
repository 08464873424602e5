;; The `wasm_rr_p1_exit` adapter: `proc_exit` as `wasmtime run` does it, with WASI 0.2.12's
;; `exit-with-code`. The preview1 command adapter passes every non-zero status as
;; `exit(err)`, which hosts report as 1; `wasmtime run` gives statuses 1 to 125 as they are,
;; and ends larger ones with an error (status 1).
(module
  (import "wasi:cli/exit@0.2.12" "exit" (func $exit (param i32)))
  (import "wasi:cli/exit@0.2.12" "exit-with-code" (func $exit_with_code (param i32)))
  (func (export "proc_exit") (param $status i32)
    (if (i32.eqz (local.get $status))
      (then (call $exit (i32.const 0)) unreachable))
    (if (i32.lt_u (local.get $status) (i32.const 126))
      (then (call $exit_with_code (local.get $status)) unreachable))
    (call $exit (i32.const 1))
    unreachable))
