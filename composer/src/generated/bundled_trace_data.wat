;; A bundle's trace (world `rr:log/bundled-trace-data`): its bytes are a data segment at
;; offset 16, appended to this module with the trace's size and memory's page count filled
;; in (`SIZE`, `PAGES`). `read` lends the guest a slice of them, which the canonical ABI
;; copies out: a (pointer, length) pair at offset 0.
;; No names: a `name` section would come before the appended data section.
(module
  (memory (export "memory") PAGES)
  ;; size
  (func (export "rr:log/bundled-trace@0.1.0#size") (result i64)
    (i64.const SIZE))
  ;; read(offset: u64, len: u32) -> list<u8>: from min(offset, SIZE), min(len, what is left)
  (func (export "rr:log/bundled-trace@0.1.0#read") (param i64 i32) (result i32)
    (local i64 i64)
    ;; 2: the start
    (local.set 2
      (select (local.get 0) (i64.const SIZE) (i64.le_u (local.get 0) (i64.const SIZE))))
    ;; 3: what is left from there, then the length lent
    (local.set 3 (i64.sub (i64.const SIZE) (local.get 2)))
    (local.set 3
      (select
        (i64.extend_i32_u (local.get 1))
        (local.get 3)
        (i64.le_u (i64.extend_i32_u (local.get 1)) (local.get 3))))
    (i32.store (i32.const 0) (i32.add (i32.const 16) (i32.wrap_i64 (local.get 2))))
    (i32.store (i32.const 4) (i32.wrap_i64 (local.get 3)))
    (i32.const 0))
  ;; No list is ever lowered into this component.
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    unreachable))
