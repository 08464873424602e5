;; The front (world `rr:log/front`): the composed handler's `wasi:http/incoming-handler`.
;; It puts the host's request in the slot, has the interposer accept it (as the
;; interposer's own resources), and hands those to the app's handler.
(module
  (import "rr:log/request-slot@0.1.0" "put" (func $put (param i32 i32)))
  (import "rr:log/guest-incoming@0.1.0" "accept-request" (func $accept_request (result i32)))
  (import "rr:log/guest-incoming@0.1.0" "accept-response-out"
    (func $accept_response_out (result i32)))
  (import "rr:log/guest-handler@0.1.0" "handle" (func $handle (param i32 i32)))
  (func (export "wasi:http/incoming-handler@0.2.12#handle")
    (param $request i32) (param $response_out i32)
    (call $put (local.get $request) (local.get $response_out))
    (call $handle (call $accept_request) (call $accept_response_out))))
