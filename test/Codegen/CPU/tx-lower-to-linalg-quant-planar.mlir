// RUN: tx-opt %s --split-input-file --tx-lower-to-linalg | FileCheck %s
// RUN: tx-opt %s --split-input-file --tx-lower-to-linalg --tx-weights-to-arguments | FileCheck %s --check-prefix=ARGS

// tx.qlinear on a tx.qpack of stored weights (what tx-quantize writes)
// becomes txcpu.qmatmul_planar (the runtime's txc_qmatmul_planar). Sub-byte
// codes are read as the weight's packed bytes: a second tx.weight of the
// same name, [N, K * bits / 8] x i8, marked with its logical type;
// tx-weights-to-arguments passes the bytes and describes the weight by that
// type. Zero points of the code type (MatMulNBits) are widened to i8.
// CHECK-LABEL: func.func @int4
// CHECK-DAG: %[[C:.+]] = tx.weight "c" {tx.packed = tensor<8x64xi4>} : tensor<8x32xi8>
// CHECK-DAG: %[[S:.+]] = tx.weight "s" : tensor<8x2xf16>
// CHECK-DAG: %[[Z:.+]] = tx.weight "z" : tensor<8x2xi4>
// CHECK: %[[Z8:.+]] = linalg.generic {{.*}} ins(%[[Z]] : tensor<8x2xi4>) outs(%{{.+}} : tensor<8x2xi8>)
// CHECK: arith.extui %{{.+}} : i4 to i8
// CHECK: txcpu.qmatmul_planar ins(%{{.+}}, %[[C]], %[[S]] zeros %[[Z8]] : tensor<2x64xf32>, tensor<8x32xi8>, tensor<8x2xf16>, tensor<8x2xi8>)
// CHECK-SAME: {code_kind = 1 : i32, group = 32 : i64, in_features = 64 : i64, scale_kind = 1 : i32, tensor_scale = 1.000000e+00 : f32}
// ARGS-LABEL: module attributes
// ARGS-SAME: {\22dtype\22:\22i4\22,\22name\22:\22c\22,\22shape\22:[8,64]}
// ARGS: func.func private @txc_main(%{{.+}}: tensor<2x64xf32>, %{{.+}}: tensor<8x32xi8>,
func.func @int4(%x: tensor<2x64xf32>) -> tensor<2x8xf32> {
  %c = tx.weight "c" : tensor<8x64xi4>
  %s = tx.weight "s" : tensor<8x2xf16>
  %z = tx.weight "z" : tensor<8x2xi4>
  %w = tx.qpack %c, %s zero_points(%z : tensor<8x2xi4>)
      : tensor<8x64xi4>, tensor<8x2xf16> -> !tx.qweight<8x64, int4, group = 32, scale = f16, zero_point>
  %y = tx.qlinear %x, %w : tensor<2x64xf32>, !tx.qweight<8x64, int4, group = 32, scale = f16, zero_point> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// NVFP4: fp4 codes packed, e4m3 scales per 16 values, the tensor scale.
// CHECK-LABEL: func.func @nvfp4
// CHECK: %[[C:.+]] = tx.weight "c" {tx.packed = tensor<8x64xf4E2M1FN>} : tensor<8x32xi8>
// CHECK: txcpu.qmatmul_planar ins(%{{.+}}, %[[C]], %{{.+}} : tensor<2x64xf32>, tensor<8x32xi8>, tensor<8x4xf8E4M3FN>)
// CHECK-SAME: {code_kind = 4 : i32, group = 16 : i64, in_features = 64 : i64, scale_kind = 3 : i32, tensor_scale = 5.000000e-01 : f32}
func.func @nvfp4(%x: tensor<2x64xf32>) -> tensor<2x8xf32> {
  %c = tx.weight "c" : tensor<8x64xf4E2M1FN>
  %s = tx.weight "s" : tensor<8x4xf8E4M3FN>
  %w = tx.qpack %c, %s {tensor_scale = 0.5 : f32} : tensor<8x64xf4E2M1FN>, tensor<8x4xf8E4M3FN> -> !tx.qweight<8x64, fp4_e2m1, group = 16, scale = f8E4M3FN>
  %y = tx.qlinear %x, %w : tensor<2x64xf32>, !tx.qweight<8x64, fp4_e2m1, group = 16, scale = f8E4M3FN> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Byte codes need no view; a ragged last group (80 = 32 + 32 + 16) and int2
// codes (four per byte), with a bias.
// CHECK-LABEL: func.func @int2_ragged
// CHECK: %[[C:.+]] = tx.weight "c" {tx.packed = tensor<8x80xi2>} : tensor<8x20xi8>
// CHECK: %[[Y:.+]] = txcpu.qmatmul_planar ins(%{{.+}}, %[[C]], %{{.+}} : tensor<2x80xf32>, tensor<8x20xi8>, tensor<8x3xf16>)
// CHECK-SAME: code_kind = 2 : i32, group = 32 : i64, in_features = 80 : i64
// CHECK: linalg.generic {{.*}} ins(%[[Y]], %{{.+}} : tensor<2x8xf32>, tensor<8xf32>)
func.func @int2_ragged(%x: tensor<2x80xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %c = tx.weight "c" : tensor<8x80xi2>
  %s = tx.weight "s" : tensor<8x3xf16>
  %w = tx.qpack %c, %s : tensor<8x80xi2>, tensor<8x3xf16> -> !tx.qweight<8x80, int2, group = 32, scale = f16>
  %y = tx.qlinear %x, %w bias(%b : tensor<8xf32>) : tensor<2x80xf32>, !tx.qweight<8x80, int2, group = 32, scale = f16> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Integer codes with 8-bit float scales are valid IR the kernels do not
// read: the weight is dequantized (scales through their code table) and
// multiplied with linalg.matmul instead.
// CHECK-LABEL: func.func @int8_e4m3_scales
// CHECK-NOT: txcpu.qmatmul_planar
// CHECK: linalg.matmul
func.func @int8_e4m3_scales(%x: tensor<2x64xf32>) -> tensor<2x8xf32> {
  %c = tx.weight "c" : tensor<8x64xi8>
  %s = tx.weight "s" : tensor<8x2xf8E4M3FN>
  %w = tx.qpack %c, %s : tensor<8x64xi8>, tensor<8x2xf8E4M3FN> -> !tx.qweight<8x64, int8, group = 32, scale = f8E4M3FN>
  %y = tx.qlinear %x, %w : tensor<2x64xf32>, !tx.qweight<8x64, int8, group = 32, scale = f8E4M3FN> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}
