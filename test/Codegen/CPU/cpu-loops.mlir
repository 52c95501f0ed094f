// RUN: txc %s --emit=llvm -q -o %t.ll
// RUN: FileCheck %s < %t.ll

// The CPU pipeline end to end: the norm and the SiLU become vectorized
// loops (explicit 16 x f32 vectors, the sigmoid's exp a polynomial, no
// libm call) whose rows OpenMP splits across threads (outlined bodies,
// static schedule: kmp_sch_static = 34).
// CHECK-NOT: @expf
// CHECK: define internal void @txc_main..omp_par
// CHECK: call void @__kmpc_for_static_init_8u(ptr {{.+}}, i32 {{.+}}, i32 34,
// CHECK: <16 x float>
// CHECK: call {{.+}} @__kmpc_fork_call
// CHECK-NOT: @expf
func.func @main(%x: tensor<1x64x256xf32>, %g: tensor<256xf32>) -> tensor<1x64x256xf32> {
  %n = tx.rms_norm %x, %g : tensor<1x64x256xf32>, tensor<256xf32> -> tensor<1x64x256xf32>
  %s = tosa.sigmoid %n : (tensor<1x64x256xf32>) -> tensor<1x64x256xf32>
  %y = arith.mulf %n, %s : tensor<1x64x256xf32>
  return %y : tensor<1x64x256xf32>
}
