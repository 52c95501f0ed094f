// RUN: tx-opt %s --tx-approximate-math | FileCheck %s

// exp, tanh and erf (scalars or vectors) become polynomial arithmetic, f16
// computes in f32, small constant powers become products, sinh expands
// through exp; a general power keeps its libm function and sqrt (an LLVM
// intrinsic) stays.
// CHECK-LABEL: func.func @functions
// CHECK-SAME: (%[[X:.+]]: f32, %[[V:.+]]: vector<8xf32>, %[[H:.+]]: f16, %[[Y:.+]]: f32)
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK: math.fma {{.+}} : vector<8xf32>
// CHECK: arith.extf %[[H]] : f16 to f32
// CHECK: arith.truncf {{.+}} : f32 to f16
// CHECK: %[[SQ:.+]] = arith.mulf %[[X]], %[[X]]
// CHECK: %[[POW:.+]] = math.powf %[[X]], %[[Y]]
// CHECK-NOT: math.sinh
// CHECK: %[[ROOT:.+]] = math.sqrt %[[X]]
// CHECK: return %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[SQ]], %[[POW]], %{{.+}}, %[[ROOT]]
func.func @functions(%x: f32, %v: vector<8xf32>, %h: f16, %y: f32)
    -> (f32, vector<8xf32>, f32, f16, f32, f32, f32, f32) {
  %0 = math.exp %x : f32
  %1 = math.tanh %v : vector<8xf32>
  %2 = math.erf %x : f32
  %3 = math.exp %h : f16
  %c2 = arith.constant 2.0 : f32
  %4 = math.powf %x, %c2 : f32
  %5 = math.powf %x, %y : f32
  %6 = math.sinh %x : f32
  %7 = math.sqrt %x : f32
  return %0, %1, %2, %3, %4, %5, %6, %7
      : f32, vector<8xf32>, f32, f16, f32, f32, f32, f32
}
