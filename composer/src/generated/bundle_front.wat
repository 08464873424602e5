;; A bundle's `wasi:cli/run` (world `rr:log/bundle-front`): runs the app's, then hands the
;; status it returned to the bundle's rr:log, which checks it against the trace's end (and
;; exits with 125 if they differ).
(module
  (import "wasi:cli/run@0.2.12" "run" (func $app-run (result i32)))
  (import "rr:log/bundled-end@0.1.0" "returned" (func $returned (param i32)))
  (func (export "wasi:cli/run@0.2.12#run") (result i32)
    (local $status i32)
    (local.set $status (call $app-run))
    (call $returned (local.get $status))
    (local.get $status)))
