;; The request slot (world `rr:log/slot`): keeps the host's incoming-request and
;; response-outparam, which the front puts, until the interposer takes them. Each handler
;; instance serves one request, so one place each suffices.
(module
  (global $request (mut i32) (i32.const 0))
  (global $response_out (mut i32) (i32.const 0))
  (func (export "rr:log/request-slot@0.1.0#put") (param $request i32) (param $response_out i32)
    (global.set $request (local.get $request))
    (global.set $response_out (local.get $response_out)))
  (func (export "rr:log/request-slot@0.1.0#take-request") (result i32)
    (global.get $request))
  (func (export "rr:log/request-slot@0.1.0#take-response-out") (result i32)
    (global.get $response_out)))
