// RUN: tx-opt %s -split-input-file -verify-diagnostics

func.func @qpack_codes_shape(%codes: tensor<64x128xi4>, %scales: tensor<128x2xf16>) -> !tx.qweight<128x64, int4, group = 32, scale = f16> {
  // expected-error @+1 {{'tx.qpack' op 'codes' must have shape [128, 64], got [64, 128]}}
  %w = tx.qpack %codes, %scales : tensor<64x128xi4>, tensor<128x2xf16> -> !tx.qweight<128x64, int4, group = 32, scale = f16>
  return %w : !tx.qweight<128x64, int4, group = 32, scale = f16>
}

// -----

func.func @qpack_codes_rank(%codes: tensor<8192xi4>, %scales: tensor<128x2xf16>) -> !tx.qweight<128x64, int4, group = 32, scale = f16> {
  // expected-error @+1 {{'tx.qpack' op 'codes' must have shape [128, 64], got [8192]}}
  %w = tx.qpack %codes, %scales : tensor<8192xi4>, tensor<128x2xf16> -> !tx.qweight<128x64, int4, group = 32, scale = f16>
  return %w : !tx.qweight<128x64, int4, group = 32, scale = f16>
}

// -----

func.func @qpack_codes_int4(%codes: tensor<128x64xi8>, %scales: tensor<128x2xf16>) -> !tx.qweight<128x64, int4, group = 32, scale = f16> {
  // expected-error @+1 {{'tx.qpack' op codes of format int4 must have element type 'i4', got 'i8'}}
  %w = tx.qpack %codes, %scales : tensor<128x64xi8>, tensor<128x2xf16> -> !tx.qweight<128x64, int4, group = 32, scale = f16>
  return %w : !tx.qweight<128x64, int4, group = 32, scale = f16>
}

// -----

func.func @qpack_codes_int8(%codes: tensor<128x64xui8>, %scales: tensor<128x1xf32>) -> !tx.qweight<128x64, int8, group = 64, scale = f32> {
  // expected-error @+1 {{'tx.qpack' op codes of format int8 must have element type 'i8', got 'ui8'}}
  %w = tx.qpack %codes, %scales : tensor<128x64xui8>, tensor<128x1xf32> -> !tx.qweight<128x64, int8, group = 64, scale = f32>
  return %w : !tx.qweight<128x64, int8, group = 64, scale = f32>
}

// -----

func.func @qpack_codes_fp8(%codes: tensor<128x64xi8>, %scales: tensor<128x1xf32>) -> !tx.qweight<128x64, fp8_e4m3, group = 64, scale = f32> {
  // expected-error @+1 {{'tx.qpack' op codes of format fp8_e4m3 must have element type 'f8E4M3FN', got 'i8'}}
  %w = tx.qpack %codes, %scales : tensor<128x64xi8>, tensor<128x1xf32> -> !tx.qweight<128x64, fp8_e4m3, group = 64, scale = f32>
  return %w : !tx.qweight<128x64, fp8_e4m3, group = 64, scale = f32>
}

// -----

func.func @qpack_codes_fp4(%codes: tensor<128x64xf8E4M3FN>, %scales: tensor<128x4xbf16>) -> !tx.qweight<128x64, fp4_e2m1, group = 16, scale = bf16> {
  // expected-error @+1 {{'tx.qpack' op codes of format fp4_e2m1 must have element type 'f4E2M1FN', got 'f8E4M3FN'}}
  %w = tx.qpack %codes, %scales : tensor<128x64xf8E4M3FN>, tensor<128x4xbf16> -> !tx.qweight<128x64, fp4_e2m1, group = 16, scale = bf16>
  return %w : !tx.qweight<128x64, fp4_e2m1, group = 16, scale = bf16>
}

// -----

func.func @qpack_scales_shape(%codes: tensor<128x64xi4>, %scales: tensor<128x4xf16>) -> !tx.qweight<128x64, int4, group = 32, scale = f16> {
  // expected-error @+1 {{'tx.qpack' op 'scales' must have shape [128, 2], got [128, 4]}}
  %w = tx.qpack %codes, %scales : tensor<128x64xi4>, tensor<128x4xf16> -> !tx.qweight<128x64, int4, group = 32, scale = f16>
  return %w : !tx.qweight<128x64, int4, group = 32, scale = f16>
}

// -----

func.func @qpack_scales_element_type(%codes: tensor<128x64xi4>, %scales: tensor<128x2xf32>) -> !tx.qweight<128x64, int4, group = 32, scale = f16> {
  // expected-error @+1 {{'tx.qpack' op scales must have element type 'f16', got 'f32'}}
  %w = tx.qpack %codes, %scales : tensor<128x64xi4>, tensor<128x2xf32> -> !tx.qweight<128x64, int4, group = 32, scale = f16>
  return %w : !tx.qweight<128x64, int4, group = 32, scale = f16>
}

// -----

func.func @qpack_missing_zero_points(%codes: tensor<128x64xi4>, %scales: tensor<128x2xf16>) -> !tx.qweight<128x64, int4, group = 32, scale = f16, zero_point> {
  // expected-error @+1 {{'tx.qpack' op the weight type has zero points but no 'zero_points' operand is given}}
  %w = tx.qpack %codes, %scales : tensor<128x64xi4>, tensor<128x2xf16> -> !tx.qweight<128x64, int4, group = 32, scale = f16, zero_point>
  return %w : !tx.qweight<128x64, int4, group = 32, scale = f16, zero_point>
}

// -----

func.func @qpack_unexpected_zero_points(%codes: tensor<128x64xi4>, %scales: tensor<128x2xf16>, %zp: tensor<128x2xi4>) -> !tx.qweight<128x64, int4, group = 32, scale = f16> {
  // expected-error @+1 {{'tx.qpack' op 'zero_points' given but the weight type has no zero_point}}
  %w = tx.qpack %codes, %scales zero_points(%zp : tensor<128x2xi4>) : tensor<128x64xi4>, tensor<128x2xf16> -> !tx.qweight<128x64, int4, group = 32, scale = f16>
  return %w : !tx.qweight<128x64, int4, group = 32, scale = f16>
}

// -----

func.func @qpack_zero_points_shape(%codes: tensor<128x64xi4>, %scales: tensor<128x2xf16>, %zp: tensor<2x128xi4>) -> !tx.qweight<128x64, int4, group = 32, scale = f16, zero_point> {
  // expected-error @+1 {{'tx.qpack' op 'zero_points' must have shape [128, 2], got [2, 128]}}
  %w = tx.qpack %codes, %scales zero_points(%zp : tensor<2x128xi4>) : tensor<128x64xi4>, tensor<128x2xf16> -> !tx.qweight<128x64, int4, group = 32, scale = f16, zero_point>
  return %w : !tx.qweight<128x64, int4, group = 32, scale = f16, zero_point>
}

// -----

func.func @qpack_zero_points_element_type(%codes: tensor<128x64xi4>, %scales: tensor<128x2xf16>, %zp: tensor<128x2xi16>) -> !tx.qweight<128x64, int4, group = 32, scale = f16, zero_point> {
  // expected-error @+1 {{'tx.qpack' op zero_points must have element type 'i4' or i8, got 'i16'}}
  %w = tx.qpack %codes, %scales zero_points(%zp : tensor<128x2xi16>) : tensor<128x64xi4>, tensor<128x2xf16> -> !tx.qweight<128x64, int4, group = 32, scale = f16, zero_point>
  return %w : !tx.qweight<128x64, int4, group = 32, scale = f16, zero_point>
}

// -----

func.func @dequant_result_shape(%w: !tx.qweight<128x64, int4, group = 32, scale = f16>) -> tensor<64x128xf32> {
  // expected-error @+1 {{'tx.dequant' op 'result' must have shape [128, 64], got [64, 128]}}
  %f = tx.dequant %w : !tx.qweight<128x64, int4, group = 32, scale = f16> -> tensor<64x128xf32>
  return %f : tensor<64x128xf32>
}

// -----

func.func @dequant_result_rank(%w: !tx.qweight<128x64, int4, group = 32, scale = f16>) -> tensor<1x128x64xf32> {
  // expected-error @+1 {{'tx.dequant' op 'result' must have shape [128, 64], got [1, 128, 64]}}
  %f = tx.dequant %w : !tx.qweight<128x64, int4, group = 32, scale = f16> -> tensor<1x128x64xf32>
  return %f : tensor<1x128x64xf32>
}

// -----

func.func @dequant_int_result(%w: !tx.qweight<128x64, int4, group = 32, scale = f16>) -> tensor<128x64xi32> {
  // expected-error @+1 {{'tx.dequant' op result #0 must be ranked tensor of floating-point values, but got 'tensor<128x64xi32>'}}
  %f = tx.dequant %w : !tx.qweight<128x64, int4, group = 32, scale = f16> -> tensor<128x64xi32>
  return %f : tensor<128x64xi32>
}

// -----

func.func @qlinear_input_rank0(%x: tensor<f32>, %w: !tx.qweight<128x64, int4, group = 32, scale = f16>) -> tensor<128xf32> {
  // expected-error @+1 {{'tx.qlinear' op 'input' must have rank >= 1}}
  %y = tx.qlinear %x, %w : tensor<f32>, !tx.qweight<128x64, int4, group = 32, scale = f16> -> tensor<128xf32>
  return %y : tensor<128xf32>
}

// -----

func.func @qlinear_in_features(%x: tensor<1x16x32xf32>, %w: !tx.qweight<128x64, int4, group = 32, scale = f16>) -> tensor<1x16x128xf32> {
  // expected-error @+1 {{'tx.qlinear' op in_features mismatch: input's last dimension is 32 but weight's in_features is 64}}
  %y = tx.qlinear %x, %w : tensor<1x16x32xf32>, !tx.qweight<128x64, int4, group = 32, scale = f16> -> tensor<1x16x128xf32>
  return %y : tensor<1x16x128xf32>
}

// -----

func.func @qlinear_bias_shape(%x: tensor<1x16x64xf32>, %w: !tx.qweight<128x64, int4, group = 32, scale = f16>, %b: tensor<64xf32>) -> tensor<1x16x128xf32> {
  // expected-error @+1 {{'tx.qlinear' op 'bias' must have shape [128], got [64]}}
  %y = tx.qlinear %x, %w bias(%b : tensor<64xf32>) : tensor<1x16x64xf32>, !tx.qweight<128x64, int4, group = 32, scale = f16> -> tensor<1x16x128xf32>
  return %y : tensor<1x16x128xf32>
}

// -----

func.func @qlinear_bias_element_type(%x: tensor<1x16x64xf32>, %w: !tx.qweight<128x64, int4, group = 32, scale = f16>, %b: tensor<128xf16>) -> tensor<1x16x128xf32> {
  // expected-error @+1 {{'tx.qlinear' op element type mismatch: 'bias' has 'f16' but 'input' has 'f32'}}
  %y = tx.qlinear %x, %w bias(%b : tensor<128xf16>) : tensor<1x16x64xf32>, !tx.qweight<128x64, int4, group = 32, scale = f16> -> tensor<1x16x128xf32>
  return %y : tensor<1x16x128xf32>
}

// -----

func.func @qlinear_result_shape(%x: tensor<1x16x64xf32>, %w: !tx.qweight<128x64, int4, group = 32, scale = f16>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.qlinear' op 'result' must have shape [1, 16, 128], got [1, 16, 64]}}
  %y = tx.qlinear %x, %w : tensor<1x16x64xf32>, !tx.qweight<128x64, int4, group = 32, scale = f16> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}

// -----

func.func @qlinear_result_element_type(%x: tensor<1x16x64xf32>, %w: !tx.qweight<128x64, int4, group = 32, scale = f16>) -> tensor<1x16x128xbf16> {
  // expected-error @+1 {{'tx.qlinear' op element type mismatch: 'result' has 'bf16' but 'input' has 'f32'}}
  %y = tx.qlinear %x, %w : tensor<1x16x64xf32>, !tx.qweight<128x64, int4, group = 32, scale = f16> -> tensor<1x16x128xbf16>
  return %y : tensor<1x16x128xbf16>
}

// -----

// expected-error @+1 {{unknown quantized format 'int3' (expected int8, int4, int2, fp8_e4m3, fp4_e2m1 or a GGUF block format: f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, q4_k, q5_k, q6_k)}}
func.func @qweight_unknown_format(%w: !tx.qweight<128x64, int3, group = 32, scale = f16>) {
  return
}

// -----

// expected-error @+1 {{qweight shape must be [out_features, in_features], got 1 dimensions}}
func.func @qweight_rank1(%w: !tx.qweight<128, int4, group = 32, scale = f16>) {
  return
}

// -----

// expected-error @+1 {{qweight shape must be [out_features, in_features], got 3 dimensions}}
func.func @qweight_rank3(%w: !tx.qweight<2x128x64, int4, group = 32, scale = f16>) {
  return
}

// -----

// expected-error @+1 {{qweight dimensions must be positive}}
func.func @qweight_zero_out_features(%w: !tx.qweight<0x64, int8, group = 32, scale = f16>) {
  return
}

// -----

// expected-error @+1 {{qweight dimensions must be positive}}
func.func @qweight_zero_in_features(%w: !tx.qweight<128x0, int8, group = 32, scale = f16>) {
  return
}

// -----

// expected-error @+1 {{qweight group size must be positive, got 0}}
func.func @qweight_group_zero(%w: !tx.qweight<128x64, int4, group = 0, scale = f16>) {
  return
}

// -----

// expected-error @+1 {{qweight group size must be positive, got -32}}
func.func @qweight_group_negative(%w: !tx.qweight<128x64, int4, group = -32, scale = f16>) {
  return
}

// -----

// A block format's rows are whole blocks.
// expected-error @+1 {{qweight of block format q4_0 needs in_features 48 to be a multiple of its block of 32}}
func.func @qweight_block_rows(%w: !tx.qweight<128x48, q4_0, group = 32, scale = f16>) {
  return
}

// -----

// NVFP4's tensor scale must be a positive finite number.
func.func @qpack_tensor_scale(%codes: tensor<8x32xf4E2M1FN>, %scales: tensor<8x2xf8E4M3FN>) -> !tx.qweight<8x32, fp4_e2m1, group = 16, scale = f8E4M3FN> {
  // expected-error @+1 {{'tx.qpack' op tensor_scale must be finite and positive}}
  %w = tx.qpack %codes, %scales {tensor_scale = -1.0 : f32} : tensor<8x32xf4E2M1FN>, tensor<8x2xf8E4M3FN> -> !tx.qweight<8x32, fp4_e2m1, group = 16, scale = f8E4M3FN>
  return %w : !tx.qweight<8x32, fp4_e2m1, group = 16, scale = f8E4M3FN>
}

// -----

// expected-error @+1 {{qweight scale type must be a float type, got 'i16'}}
func.func @qweight_scale_type(%w: !tx.qweight<128x64, int4, group = 32, scale = i16>) {
  return
}

// -----

// expected-error @+1 {{zero points are only valid for integer formats, not fp8_e4m3}}
func.func @qweight_zero_point_fp8(%w: !tx.qweight<128x64, fp8_e4m3, group = 64, scale = f32, zero_point>) {
  return
}

// -----

// expected-error @+1 {{zero points are only valid for integer formats, not fp4_e2m1}}
func.func @qweight_zero_point_fp4(%w: !tx.qweight<128x64, fp4_e2m1, group = 16, scale = f16, zero_point>) {
  return
}

// -----

// GGUF block formats: the group is the format's block size ...
// expected-error @+1 {{qweight of block format q4_0 must have group = 32, got 16}}
func.func @qweight_block_group(%w: !tx.qweight<128x64, q4_0, group = 16, scale = f16>) {
  return
}

// -----

// expected-error @+1 {{qweight of block format f16 must have group = 1, got 64}}
func.func @qweight_block_group_f16(%w: !tx.qweight<128x64, f16, group = 64, scale = f16>) {
  return
}

// -----

// ... and the scale type f16 (the blocks hold their own scales).
// expected-error @+1 {{qweight of block format q4_k must have scale = f16, got 'f32'}}
func.func @qweight_block_scale(%w: !tx.qweight<128x256, q4_k, group = 256, scale = f32>) {
  return
}

// -----

// expected-error @+1 {{zero points are only valid for integer formats, not q8_0}}
func.func @qweight_block_zero_point(%w: !tx.qweight<128x64, q8_0, group = 32, scale = f16, zero_point>) {
  return
}

// -----

// A GGUF format that txc has no kind for.
// expected-error @+1 {{unknown quantized format 'q2_k'}}
func.func @qweight_unknown_block_format(%w: !tx.qweight<128x256, q2_k, group = 256, scale = f16>) {
  return
}

// -----

func.func @qpack_block_format(%codes: tensor<128x64xi8>, %scales: tensor<128x2xf16>) -> !tx.qweight<128x64, q8_0, group = 32, scale = f16> {
  // expected-error @+1 {{'tx.qpack' op cannot pack codes into the block format q8_0 (use tx.qblocks with the blocks' bytes)}}
  %w = tx.qpack %codes, %scales : tensor<128x64xi8>, tensor<128x2xf16> -> !tx.qweight<128x64, q8_0, group = 32, scale = f16>
  return %w : !tx.qweight<128x64, q8_0, group = 32, scale = f16>
}

// -----

func.func @qblocks_not_block_format(%bytes: tensor<128x64xi8>) -> !tx.qweight<128x64, int8, group = 32, scale = f16> {
  // expected-error @+1 {{'tx.qblocks' op result format int8 is not a GGUF block format (use tx.qpack)}}
  %w = tx.qblocks %bytes : tensor<128x64xi8> -> !tx.qweight<128x64, int8, group = 32, scale = f16>
  return %w : !tx.qweight<128x64, int8, group = 32, scale = f16>
}

// -----

// Rows of q4_0 with 64 values: 2 blocks of 18 bytes.
func.func @qblocks_row_bytes(%bytes: tensor<128x32xi8>) -> !tx.qweight<128x64, q4_0, group = 32, scale = f16> {
  // expected-error @+1 {{'tx.qblocks' op 'bytes' must have shape [128, 36], got [128, 32]}}
  %w = tx.qblocks %bytes : tensor<128x32xi8> -> !tx.qweight<128x64, q4_0, group = 32, scale = f16>
  return %w : !tx.qweight<128x64, q4_0, group = 32, scale = f16>
}

// -----

func.func @qblocks_rows(%bytes: tensor<64x272xi8>) -> !tx.qweight<128x256, q6_k, group = 256, scale = f16> {
  // expected-error @+1 {{'tx.qblocks' op 'bytes' must have shape [128, 210], got [64, 272]}}
  %w = tx.qblocks %bytes : tensor<64x272xi8> -> !tx.qweight<128x256, q6_k, group = 256, scale = f16>
  return %w : !tx.qweight<128x256, q6_k, group = 256, scale = f16>
}

// -----

func.func @qblocks_bytes_type(%bytes: tensor<128x36xui8>) -> !tx.qweight<128x64, q4_0, group = 32, scale = f16> {
  // expected-error @+1 {{'tx.qblocks' op operand #0 must be ranked tensor of 8-bit signless integer values, but got 'tensor<128x36xui8>'}}
  %w = tx.qblocks %bytes : tensor<128x36xui8> -> !tx.qweight<128x64, q4_0, group = 32, scale = f16>
  return %w : !tx.qweight<128x64, q4_0, group = 32, scale = f16>
}
