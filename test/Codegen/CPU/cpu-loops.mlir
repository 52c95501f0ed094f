// RUN: txc %s --emit=llvm -q -o %t.ll
// RUN: FileCheck %s < %t.ll
// RUN: txc %s --emit=llvm -q --loop-threads=false --vector-bits=128 --approximate-math=false -o %t.serial.ll
// RUN: FileCheck %s --check-prefix=SERIAL < %t.serial.ll
// RUN: txc %s --emit=llvm -q --parallel-work=100000000 -o %t.small.ll
// RUN: FileCheck %s --check-prefix=SERIAL-ONLY < %t.small.ll

// The CPU pipeline end to end: the norm and the SiLU become vectorized
// loops (explicit 16 x f32 vectors, the sigmoid's exp a polynomial, no
// libm call) whose rows OpenMP splits across threads (outlined bodies,
// static schedule: kmp_sch_static = 34).
// CHECK-NOT: @llvm.exp
// CHECK: define internal void @txc_main..omp_par
// CHECK: call void @__kmpc_for_static_init_8u(ptr {{.+}}, i32 {{.+}}, i32 34,
// CHECK: <16 x float>
// CHECK: call {{.+}} @__kmpc_fork_call
// CHECK-NOT: @llvm.exp

// Without threads, with 128-bit vectors (4 x f32) and libm's exp (the
// intrinsic becomes expf calls):
// SERIAL-NOT: __kmpc
// SERIAL: <4 x float>
// SERIAL: @llvm.exp.v4f32
// The nests' work (64 x 256 x a few ops) is below a threshold of 10^8:
// SERIAL-ONLY-NOT: __kmpc
func.func @main(%x: tensor<1x64x256xf32>, %g: tensor<256xf32>) -> tensor<1x64x256xf32> {
  %n = tx.rms_norm %x, %g : tensor<1x64x256xf32>, tensor<256xf32> -> tensor<1x64x256xf32>
  %s = tosa.sigmoid %n : (tensor<1x64x256xf32>) -> tensor<1x64x256xf32>
  %y = arith.mulf %n, %s : tensor<1x64x256xf32>
  return %y : tensor<1x64x256xf32>
}
