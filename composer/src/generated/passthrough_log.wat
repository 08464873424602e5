;; An rr:log in passthrough mode (world `rr:log/passthrough-log`): the interposer then calls
;; the real imports and records nothing, and asks only `get-mode` and `http-redaction`.
;; Everything else is for recording or replaying, which this log never asks for: it traps.
(module
  ;; Offset 0 holds zeros: an empty redaction (no headers, an empty key).
  (memory (export "memory") 1)
  (func (export "rr:log/log@0.1.0#get-mode") (result i32)
    (i32.const 0))
  (func (export "rr:log/log@0.1.0#http-redaction") (result i32)
    (i32.const 0))
  (func (export "rr:log/log@0.1.0#append") (param i32 i32)
    unreachable)
  (func (export "rr:log/log@0.1.0#next-batch") (result i32)
    unreachable)
  (func (export "rr:log/log@0.1.0#give-back") (param i32)
    unreachable)
  (func (export "rr:log/log@0.1.0#diverged") (param i32 i32)
    unreachable)
  (func (export "rr:log/log@0.1.0#output-differs") (param i32 i32)
    unreachable)
  ;; Lists reach only the functions that trap: none is ever allocated.
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    unreachable))
