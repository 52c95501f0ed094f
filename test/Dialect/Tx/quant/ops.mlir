// RUN: tx-opt %s | tx-opt | FileCheck %s
// RUN: tx-opt %s --mlir-print-op-generic | tx-opt | FileCheck %s

// Round trip of the quantized-weight type (!tx.qweight) and of tx.qpack,
// tx.dequant and tx.qlinear, for every format, with and without zero points,
// and of tx.qblocks for every GGUF block format.

// int8 without zero points, f16 scales.
// CHECK-LABEL: func.func @qpack_int8
// CHECK-SAME: (%[[C:[^:]+]]: tensor<128x64xi8>, %[[S:[^:]+]]: tensor<128x2xf16>)
func.func @qpack_int8(%codes: tensor<128x64xi8>, %scales: tensor<128x2xf16>) -> !tx.qweight<128x64, int8, group = 32, scale = f16> {
  // CHECK: %[[W:.+]] = tx.qpack %[[C]], %[[S]] : tensor<128x64xi8>, tensor<128x2xf16> -> !tx.qweight<128x64, int8, group = 32, scale = f16>
  // CHECK-NEXT: return %[[W]]
  %w = tx.qpack %codes, %scales
      : tensor<128x64xi8>, tensor<128x2xf16> -> !tx.qweight<128x64, int8, group = 32, scale = f16>
  return %w : !tx.qweight<128x64, int8, group = 32, scale = f16>
}

// int8 with zero points (i8), f32 scales.
// CHECK-LABEL: func.func @qpack_int8_zero_point
// CHECK-SAME: (%[[C:[^:]+]]: tensor<64x256xi8>, %[[S:[^:]+]]: tensor<64x2xf32>, %[[Z:[^:]+]]: tensor<64x2xi8>)
func.func @qpack_int8_zero_point(%codes: tensor<64x256xi8>, %scales: tensor<64x2xf32>, %zp: tensor<64x2xi8>)
    -> !tx.qweight<64x256, int8, group = 128, scale = f32, zero_point> {
  // CHECK: tx.qpack %[[C]], %[[S]] zero_points(%[[Z]] : tensor<64x2xi8>) : tensor<64x256xi8>, tensor<64x2xf32> -> !tx.qweight<64x256, int8, group = 128, scale = f32, zero_point>
  %w = tx.qpack %codes, %scales zero_points(%zp : tensor<64x2xi8>)
      : tensor<64x256xi8>, tensor<64x2xf32> -> !tx.qweight<64x256, int8, group = 128, scale = f32, zero_point>
  return %w : !tx.qweight<64x256, int8, group = 128, scale = f32, zero_point>
}

// int4 without zero points, bf16 scales.
// CHECK-LABEL: func.func @qpack_int4
// CHECK-SAME: (%[[C:[^:]+]]: tensor<128x64xi4>, %[[S:[^:]+]]: tensor<128x4xbf16>)
func.func @qpack_int4(%codes: tensor<128x64xi4>, %scales: tensor<128x4xbf16>) -> !tx.qweight<128x64, int4, group = 16, scale = bf16> {
  // CHECK: tx.qpack %[[C]], %[[S]] : tensor<128x64xi4>, tensor<128x4xbf16> -> !tx.qweight<128x64, int4, group = 16, scale = bf16>
  %w = tx.qpack %codes, %scales
      : tensor<128x64xi4>, tensor<128x4xbf16> -> !tx.qweight<128x64, int4, group = 16, scale = bf16>
  return %w : !tx.qweight<128x64, int4, group = 16, scale = bf16>
}

// int4 with zero points (i4), f16 scales.
// CHECK-LABEL: func.func @qpack_int4_zero_point
// CHECK-SAME: (%[[C:[^:]+]]: tensor<128x64xi4>, %[[S:[^:]+]]: tensor<128x2xf16>, %[[Z:[^:]+]]: tensor<128x2xi4>)
func.func @qpack_int4_zero_point(%codes: tensor<128x64xi4>, %scales: tensor<128x2xf16>, %zp: tensor<128x2xi4>)
    -> !tx.qweight<128x64, int4, group = 32, scale = f16, zero_point> {
  // CHECK: tx.qpack %[[C]], %[[S]] zero_points(%[[Z]] : tensor<128x2xi4>) : tensor<128x64xi4>, tensor<128x2xf16> -> !tx.qweight<128x64, int4, group = 32, scale = f16, zero_point>
  %w = tx.qpack %codes, %scales zero_points(%zp : tensor<128x2xi4>)
      : tensor<128x64xi4>, tensor<128x2xf16> -> !tx.qweight<128x64, int4, group = 32, scale = f16, zero_point>
  return %w : !tx.qweight<128x64, int4, group = 32, scale = f16, zero_point>
}

// fp8_e4m3 (f8E4M3FN codes), one group per row, f32 scales.
// CHECK-LABEL: func.func @qpack_fp8_e4m3
// CHECK-SAME: (%[[C:[^:]+]]: tensor<1024x1024xf8E4M3FN>, %[[S:[^:]+]]: tensor<1024x1xf32>)
func.func @qpack_fp8_e4m3(%codes: tensor<1024x1024xf8E4M3FN>, %scales: tensor<1024x1xf32>)
    -> !tx.qweight<1024x1024, fp8_e4m3, group = 1024, scale = f32> {
  // CHECK: tx.qpack %[[C]], %[[S]] : tensor<1024x1024xf8E4M3FN>, tensor<1024x1xf32> -> !tx.qweight<1024x1024, fp8_e4m3, group = 1024, scale = f32>
  %w = tx.qpack %codes, %scales
      : tensor<1024x1024xf8E4M3FN>, tensor<1024x1xf32> -> !tx.qweight<1024x1024, fp8_e4m3, group = 1024, scale = f32>
  return %w : !tx.qweight<1024x1024, fp8_e4m3, group = 1024, scale = f32>
}

// fp4_e2m1 (f4E2M1FN codes), MX-style group of 32 with f8E8M0FNU scales.
// CHECK-LABEL: func.func @qpack_fp4_e2m1
// CHECK-SAME: (%[[C:[^:]+]]: tensor<64x128xf4E2M1FN>, %[[S:[^:]+]]: tensor<64x4xf8E8M0FNU>, %[[S2:[^:]+]]: tensor<64x8xf16>)
func.func @qpack_fp4_e2m1(%codes: tensor<64x128xf4E2M1FN>, %scales: tensor<64x4xf8E8M0FNU>, %scales2: tensor<64x8xf16>)
    -> (!tx.qweight<64x128, fp4_e2m1, group = 32, scale = f8E8M0FNU>, !tx.qweight<64x128, fp4_e2m1, group = 16, scale = f16>) {
  // CHECK: tx.qpack %[[C]], %[[S]] : tensor<64x128xf4E2M1FN>, tensor<64x4xf8E8M0FNU> -> !tx.qweight<64x128, fp4_e2m1, group = 32, scale = f8E8M0FNU>
  %w = tx.qpack %codes, %scales
      : tensor<64x128xf4E2M1FN>, tensor<64x4xf8E8M0FNU> -> !tx.qweight<64x128, fp4_e2m1, group = 32, scale = f8E8M0FNU>
  // CHECK: tx.qpack %[[C]], %[[S2]] : tensor<64x128xf4E2M1FN>, tensor<64x8xf16> -> !tx.qweight<64x128, fp4_e2m1, group = 16, scale = f16>
  %w2 = tx.qpack %codes, %scales2
      : tensor<64x128xf4E2M1FN>, tensor<64x8xf16> -> !tx.qweight<64x128, fp4_e2m1, group = 16, scale = f16>
  return %w, %w2 : !tx.qweight<64x128, fp4_e2m1, group = 32, scale = f8E8M0FNU>, !tx.qweight<64x128, fp4_e2m1, group = 16, scale = f16>
}

// tx.dequant to several float element types.
// CHECK-LABEL: func.func @dequant
// CHECK-SAME: (%[[A:[^:]+]]: !tx.qweight<128x64, int4, group = 32, scale = f16, zero_point>, %[[B:[^:]+]]: !tx.qweight<128x64, fp4_e2m1, group = 32, scale = f16>, %[[C:[^:]+]]: !tx.qweight<128x64, int8, group = 64, scale = bf16>, %[[D:[^:]+]]: !tx.qweight<128x64, fp8_e4m3, group = 64, scale = f32>)
func.func @dequant(%a: !tx.qweight<128x64, int4, group = 32, scale = f16, zero_point>,
                   %b: !tx.qweight<128x64, fp4_e2m1, group = 32, scale = f16>,
                   %c: !tx.qweight<128x64, int8, group = 64, scale = bf16>,
                   %d: !tx.qweight<128x64, fp8_e4m3, group = 64, scale = f32>)
    -> (tensor<128x64xf32>, tensor<128x64xbf16>, tensor<128x64xf16>, tensor<128x64xf32>) {
  // CHECK: tx.dequant %[[A]] : !tx.qweight<128x64, int4, group = 32, scale = f16, zero_point> -> tensor<128x64xf32>
  %0 = tx.dequant %a : !tx.qweight<128x64, int4, group = 32, scale = f16, zero_point> -> tensor<128x64xf32>
  // CHECK: tx.dequant %[[B]] : !tx.qweight<128x64, fp4_e2m1, group = 32, scale = f16> -> tensor<128x64xbf16>
  %1 = tx.dequant %b : !tx.qweight<128x64, fp4_e2m1, group = 32, scale = f16> -> tensor<128x64xbf16>
  // CHECK: tx.dequant %[[C]] : !tx.qweight<128x64, int8, group = 64, scale = bf16> -> tensor<128x64xf16>
  %2 = tx.dequant %c : !tx.qweight<128x64, int8, group = 64, scale = bf16> -> tensor<128x64xf16>
  // CHECK: tx.dequant %[[D]] : !tx.qweight<128x64, fp8_e4m3, group = 64, scale = f32> -> tensor<128x64xf32>
  %3 = tx.dequant %d : !tx.qweight<128x64, fp8_e4m3, group = 64, scale = f32> -> tensor<128x64xf32>
  return %0, %1, %2, %3 : tensor<128x64xf32>, tensor<128x64xbf16>, tensor<128x64xf16>, tensor<128x64xf32>
}

// tx.qlinear with and without bias, static and dynamic leading dimensions.
// CHECK-LABEL: func.func @qlinear
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x16x64xf32>, %[[W4:[^:]+]]: !tx.qweight<128x64, int4, group = 32, scale = f16>, %[[W8:[^:]+]]: !tx.qweight<128x64, fp8_e4m3, group = 64, scale = f32>, %[[B:[^:]+]]: tensor<128xf32>, %[[XD:[^:]+]]: tensor<?x?x64xf16>, %[[WZ:[^:]+]]: !tx.qweight<128x64, int8, group = 32, scale = f16, zero_point>)
func.func @qlinear(%x: tensor<1x16x64xf32>,
                   %w4: !tx.qweight<128x64, int4, group = 32, scale = f16>,
                   %w8: !tx.qweight<128x64, fp8_e4m3, group = 64, scale = f32>,
                   %b: tensor<128xf32>, %xd: tensor<?x?x64xf16>,
                   %wz: !tx.qweight<128x64, int8, group = 32, scale = f16, zero_point>)
    -> (tensor<1x16x128xf32>, tensor<1x16x128xf32>, tensor<?x?x128xf16>) {
  // CHECK: tx.qlinear %[[X]], %[[W4]] : tensor<1x16x64xf32>, !tx.qweight<128x64, int4, group = 32, scale = f16> -> tensor<1x16x128xf32>
  %0 = tx.qlinear %x, %w4
      : tensor<1x16x64xf32>, !tx.qweight<128x64, int4, group = 32, scale = f16> -> tensor<1x16x128xf32>
  // CHECK: tx.qlinear %[[X]], %[[W8]] bias(%[[B]] : tensor<128xf32>) : tensor<1x16x64xf32>, !tx.qweight<128x64, fp8_e4m3, group = 64, scale = f32> -> tensor<1x16x128xf32>
  %1 = tx.qlinear %x, %w8 bias(%b : tensor<128xf32>)
      : tensor<1x16x64xf32>, !tx.qweight<128x64, fp8_e4m3, group = 64, scale = f32> -> tensor<1x16x128xf32>
  // CHECK: tx.qlinear %[[XD]], %[[WZ]] : tensor<?x?x64xf16>, !tx.qweight<128x64, int8, group = 32, scale = f16, zero_point> -> tensor<?x?x128xf16>
  %2 = tx.qlinear %xd, %wz
      : tensor<?x?x64xf16>, !tx.qweight<128x64, int8, group = 32, scale = f16, zero_point> -> tensor<?x?x128xf16>
  return %0, %1, %2 : tensor<1x16x128xf32>, tensor<1x16x128xf32>, tensor<?x?x128xf16>
}

// Pack then use: qpack feeding qlinear and dequant feeding linear.
// CHECK-LABEL: func.func @pack_and_use
// CHECK-SAME: (%[[X:[^:]+]]: tensor<4x64xf32>, %[[C:[^:]+]]: tensor<32x64xi4>, %[[S:[^:]+]]: tensor<32x2xf16>, %[[Z:[^:]+]]: tensor<32x2xi4>)
func.func @pack_and_use(%x: tensor<4x64xf32>, %codes: tensor<32x64xi4>, %scales: tensor<32x2xf16>, %zp: tensor<32x2xi4>)
    -> (tensor<4x32xf32>, tensor<4x32xf32>) {
  // CHECK: %[[W:.+]] = tx.qpack %[[C]], %[[S]] zero_points(%[[Z]] : tensor<32x2xi4>) : tensor<32x64xi4>, tensor<32x2xf16> -> !tx.qweight<32x64, int4, group = 32, scale = f16, zero_point>
  %w = tx.qpack %codes, %scales zero_points(%zp : tensor<32x2xi4>)
      : tensor<32x64xi4>, tensor<32x2xf16> -> !tx.qweight<32x64, int4, group = 32, scale = f16, zero_point>
  // CHECK-NEXT: %[[Y:.+]] = tx.qlinear %[[X]], %[[W]] : tensor<4x64xf32>, !tx.qweight<32x64, int4, group = 32, scale = f16, zero_point> -> tensor<4x32xf32>
  %y = tx.qlinear %x, %w
      : tensor<4x64xf32>, !tx.qweight<32x64, int4, group = 32, scale = f16, zero_point> -> tensor<4x32xf32>
  // CHECK-NEXT: %[[F:.+]] = tx.dequant %[[W]] : !tx.qweight<32x64, int4, group = 32, scale = f16, zero_point> -> tensor<32x64xf32>
  %f = tx.dequant %w : !tx.qweight<32x64, int4, group = 32, scale = f16, zero_point> -> tensor<32x64xf32>
  // CHECK-NEXT: %[[Y2:.+]] = tx.linear %[[X]], %[[F]] : tensor<4x64xf32>, tensor<32x64xf32> -> tensor<4x32xf32>
  %y2 = tx.linear %x, %f : tensor<4x64xf32>, tensor<32x64xf32> -> tensor<4x32xf32>
  // CHECK-NEXT: return %[[Y]], %[[Y2]]
  return %y, %y2 : tensor<4x32xf32>, tensor<4x32xf32>
}

// GGUF block formats: tx.qblocks views the row bytes [N, K / group * block
// bytes] of every kind (group = the block size, f16 scales).
// CHECK-LABEL: func.func @qblocks_formats
func.func @qblocks_formats(%b128: tensor<8x128xi8>, %b36: tensor<8x36xi8>, %b40: tensor<8x40xi8>,
                           %b44: tensor<8x44xi8>, %b48: tensor<8x48xi8>, %b68: tensor<8x68xi8>,
                           %b144: tensor<8x144xi8>, %b176: tensor<8x176xi8>, %b210: tensor<8x210xi8>) {
  // CHECK: tx.qblocks %{{.+}} : tensor<8x128xi8> -> !tx.qweight<8x64, f16, group = 1, scale = f16>
  %f16 = tx.qblocks %b128 : tensor<8x128xi8> -> !tx.qweight<8x64, f16, group = 1, scale = f16>
  // CHECK: tx.qblocks %{{.+}} : tensor<8x128xi8> -> !tx.qweight<8x64, bf16, group = 1, scale = f16>
  %bf16 = tx.qblocks %b128 : tensor<8x128xi8> -> !tx.qweight<8x64, bf16, group = 1, scale = f16>
  // CHECK: tx.qblocks %{{.+}} : tensor<8x36xi8> -> !tx.qweight<8x64, q4_0, group = 32, scale = f16>
  %q4_0 = tx.qblocks %b36 : tensor<8x36xi8> -> !tx.qweight<8x64, q4_0, group = 32, scale = f16>
  // CHECK: tx.qblocks %{{.+}} : tensor<8x40xi8> -> !tx.qweight<8x64, q4_1, group = 32, scale = f16>
  %q4_1 = tx.qblocks %b40 : tensor<8x40xi8> -> !tx.qweight<8x64, q4_1, group = 32, scale = f16>
  // CHECK: tx.qblocks %{{.+}} : tensor<8x44xi8> -> !tx.qweight<8x64, q5_0, group = 32, scale = f16>
  %q5_0 = tx.qblocks %b44 : tensor<8x44xi8> -> !tx.qweight<8x64, q5_0, group = 32, scale = f16>
  // CHECK: tx.qblocks %{{.+}} : tensor<8x48xi8> -> !tx.qweight<8x64, q5_1, group = 32, scale = f16>
  %q5_1 = tx.qblocks %b48 : tensor<8x48xi8> -> !tx.qweight<8x64, q5_1, group = 32, scale = f16>
  // CHECK: tx.qblocks %{{.+}} : tensor<8x68xi8> -> !tx.qweight<8x64, q8_0, group = 32, scale = f16>
  %q8_0 = tx.qblocks %b68 : tensor<8x68xi8> -> !tx.qweight<8x64, q8_0, group = 32, scale = f16>
  // CHECK: tx.qblocks %{{.+}} : tensor<8x144xi8> -> !tx.qweight<8x256, q4_k, group = 256, scale = f16>
  %q4_k = tx.qblocks %b144 : tensor<8x144xi8> -> !tx.qweight<8x256, q4_k, group = 256, scale = f16>
  // CHECK: tx.qblocks %{{.+}} : tensor<8x176xi8> -> !tx.qweight<8x256, q5_k, group = 256, scale = f16>
  %q5_k = tx.qblocks %b176 : tensor<8x176xi8> -> !tx.qweight<8x256, q5_k, group = 256, scale = f16>
  // CHECK: tx.qblocks %{{.+}} : tensor<8x210xi8> -> !tx.qweight<8x256, q6_k, group = 256, scale = f16>
  %q6_k = tx.qblocks %b210 : tensor<8x210xi8> -> !tx.qweight<8x256, q6_k, group = 256, scale = f16>
  return
}

// A block-format weight used by tx.qlinear (with bias) and, as a tied
// table, by tx.embedding.
// CHECK-LABEL: func.func @qblocks_use
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x4x64xf32>, %[[B:[^:]+]]: tensor<8x68xi8>, %[[BIAS:[^:]+]]: tensor<8xf32>, %[[IDS:[^:]+]]: tensor<1x4xi64>)
func.func @qblocks_use(%x: tensor<1x4x64xf32>, %bytes: tensor<8x68xi8>, %bias: tensor<8xf32>, %ids: tensor<1x4xi64>)
    -> (tensor<1x4x8xf32>, tensor<1x4x64xf32>) {
  // CHECK: %[[W:.+]] = tx.qblocks %[[B]] : tensor<8x68xi8> -> !tx.qweight<8x64, q8_0, group = 32, scale = f16>
  %w = tx.qblocks %bytes : tensor<8x68xi8> -> !tx.qweight<8x64, q8_0, group = 32, scale = f16>
  // CHECK-NEXT: %[[Y:.+]] = tx.qlinear %[[X]], %[[W]] bias(%[[BIAS]] : tensor<8xf32>) : tensor<1x4x64xf32>, !tx.qweight<8x64, q8_0, group = 32, scale = f16> -> tensor<1x4x8xf32>
  %y = tx.qlinear %x, %w bias(%bias : tensor<8xf32>)
      : tensor<1x4x64xf32>, !tx.qweight<8x64, q8_0, group = 32, scale = f16> -> tensor<1x4x8xf32>
  // CHECK-NEXT: %[[E:.+]] = tx.embedding %[[W]], %[[IDS]] : !tx.qweight<8x64, q8_0, group = 32, scale = f16>, tensor<1x4xi64> -> tensor<1x4x64xf32>
  %e = tx.embedding %w, %ids
      : !tx.qweight<8x64, q8_0, group = 32, scale = f16>, tensor<1x4xi64> -> tensor<1x4x64xf32>
  // CHECK-NEXT: return %[[Y]], %[[E]]
  return %y, %e : tensor<1x4x8xf32>, tensor<1x4x64xf32>
}

// -----

// A ragged last group (group 48 does not divide 80: ceil(80 / 48) = 2
// groups), int2 codes with i8 zero points, MXFP4 and NVFP4 (tensor scale).
// CHECK-LABEL: func.func @planar_formats
// CHECK: tx.qpack {{.*}} -> !tx.qweight<16x80, int2, group = 48, scale = f16, zero_point>
// CHECK: tx.qpack {{.*}} -> !tx.qweight<16x64, fp4_e2m1, group = 32, scale = f8E8M0FNU>
// CHECK: tx.qpack {{.*}} {tensor_scale = 2.500000e-01 : f32} {{.*}} -> !tx.qweight<16x64, fp4_e2m1, group = 16, scale = f8E4M3FN>
func.func @planar_formats(%c2: tensor<16x80xi2>, %s2: tensor<16x2xf16>, %z2: tensor<16x2xi8>,
                          %c4: tensor<16x64xf4E2M1FN>, %e8: tensor<16x2xf8E8M0FNU>, %e4: tensor<16x4xf8E4M3FN>) {
  %a = tx.qpack %c2, %s2 zero_points(%z2 : tensor<16x2xi8>) : tensor<16x80xi2>, tensor<16x2xf16> -> !tx.qweight<16x80, int2, group = 48, scale = f16, zero_point>
  %b = tx.qpack %c4, %e8 : tensor<16x64xf4E2M1FN>, tensor<16x2xf8E8M0FNU> -> !tx.qweight<16x64, fp4_e2m1, group = 32, scale = f8E8M0FNU>
  %c = tx.qpack %c4, %e4 {tensor_scale = 0.25 : f32} : tensor<16x64xf4E2M1FN>, tensor<16x4xf8E4M3FN> -> !tx.qweight<16x64, fp4_e2m1, group = 16, scale = f8E4M3FN>
  return
}
