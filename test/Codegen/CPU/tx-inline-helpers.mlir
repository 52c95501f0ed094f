// tx-inline-helpers: calls to private functions with dynamically shaped
// memref arguments (the deallocation helper) are inlined and the helper
// erased; other calls stay.
// RUN: tx-opt %s --split-input-file --tx-inline-helpers --verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @caller
// CHECK-NOT: call @helper
// CHECK: memref.load
// CHECK: call @static_callee
// CHECK-NOT: func.func private @helper
// CHECK: func.func private @static_callee
func.func @caller(%m: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %d = memref.cast %m : memref<4xf32> to memref<?xf32>
  %x = call @helper(%d, %c0) : (memref<?xf32>, index) -> f32
  call @static_callee(%m) : (memref<4xf32>) -> ()
  return %x : f32
}
func.func private @helper(%m: memref<?xf32>, %i: index) -> f32 {
  %x = memref.load %m[%i] : memref<?xf32>
  return %x : f32
}
func.func private @static_callee(%m: memref<4xf32>) {
  return
}

// -----

// A helper that cannot be inlined (tx ops have no inliner interface).
func.func @stuck(%m: memref<?xf32>) {
  // expected-error @below {{tx-inline-helpers: cannot inline the call to @opaque}}
  call @opaque(%m) : (memref<?xf32>) -> ()
  return
}
func.func private @opaque(%m: memref<?xf32>) {
  %w = tx.weight "w" : tensor<4xf32>
  return
}
