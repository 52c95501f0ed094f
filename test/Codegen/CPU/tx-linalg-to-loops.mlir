// RUN: tx-opt %s --tx-linalg-to-loops --split-input-file | FileCheck %s
// RUN: tx-opt %s --tx-linalg-to-loops=parallel=false --split-input-file | FileCheck %s --check-prefix=SERIAL
// RUN: tx-opt %s --tx-linalg-to-loops=min-parallel-work=0 --split-input-file | FileCheck %s --check-prefix=ALL

// An RMSNorm: the sum of squares accumulates in a register (loaded before
// and stored after the reduction loop, combined with `reassoc`), the
// per-row scale is computed once per row, and both nests are large enough
// for a parallel outer loop over the 128 rows (the unit batch dimension
// gets no loop).
// CHECK-LABEL: func.func @rms_norm
// CHECK-SAME: (%[[X:.+]]: memref<1x128x768xf32>, %[[W:.+]]: memref<768xf32>, %[[OUT:.+]]: memref<1x128x768xf32>, %[[ACC:.+]]: memref<1x128xf32>)
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG: %[[C128:.+]] = arith.constant 128 : index
// CHECK-DAG: %[[C768:.+]] = arith.constant 768 : index
// CHECK: scf.parallel (%[[R:.+]]) = (%[[C0]]) to (%[[C128]]) step (%[[C1]]) {
// CHECK:   %[[INIT:.+]] = memref.load %[[ACC]][%[[C0]], %[[R]]]
// CHECK:   %[[SUM:.+]] = scf.for %[[K:.+]] = %[[C0]] to %[[C768]] step %[[C1]] iter_args(%[[A:.+]] = %[[INIT]]) -> (f32) {
// CHECK:     %[[V:.+]] = memref.load %[[X]][%[[C0]], %[[R]], %[[K]]]
// CHECK:     %[[SQ:.+]] = arith.mulf %[[V]], %[[V]] fastmath<contract>
// CHECK:     %[[NEW:.+]] = arith.addf %[[A]], %[[SQ]] fastmath<reassoc,contract>
// CHECK:     scf.yield %[[NEW]]
// CHECK:   memref.store %[[SUM]], %[[ACC]][%[[C0]], %[[R]]]
// CHECK:   scf.reduce
// CHECK: scf.parallel (%[[R2:.+]]) =
// CHECK:   %[[S:.+]] = memref.load %[[ACC]][%{{.+}}, %[[R2]]]
// CHECK:   %[[MEAN:.+]] = arith.divf %[[S]]
// CHECK:   %[[ROOT:.+]] = math.sqrt
// CHECK:   scf.for %[[J:.+]] =
// CHECK:     memref.load %[[X]][%{{.+}}, %[[R2]], %[[J]]]
// CHECK:     memref.load %[[W]][%[[J]]]
// CHECK:     arith.divf %{{.+}}, %[[ROOT]]
// CHECK:     memref.store %{{.+}}, %[[OUT]][%{{.+}}, %[[R2]], %[[J]]]
// SERIAL-LABEL: func.func @rms_norm
// SERIAL-NOT: scf.parallel
// SERIAL: return
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row = affine_map<(d0, d1, d2) -> (d0, d1)>
#col = affine_map<(d0, d1, d2) -> (d2)>
func.func @rms_norm(%x: memref<1x128x768xf32>, %w: memref<768xf32>,
                    %out: memref<1x128x768xf32>, %acc: memref<1x128xf32>) {
  %n = arith.constant 7.680000e+02 : f32
  %eps = arith.constant 9.99999997E-7 : f32
  linalg.generic {indexing_maps = [#id3, #row], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : memref<1x128x768xf32>) outs(%acc : memref<1x128xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.mulf %in, %in : f32
    %a = arith.addf %o, %m : f32
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [#id3, #row, #col, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %acc, %w : memref<1x128x768xf32>, memref<1x128xf32>, memref<768xf32>) outs(%out : memref<1x128x768xf32>) {
  ^bb0(%in: f32, %s: f32, %g: f32, %o: f32):
    %0 = arith.divf %s, %n : f32
    %1 = arith.addf %0, %eps : f32
    %2 = math.sqrt %1 : f32
    %3 = arith.divf %in, %2 : f32
    %4 = arith.mulf %3, %g : f32
    linalg.yield %4 : f32
  }
  return
}

// -----

// Small nests stay serial unless the threshold is lowered.
// CHECK-LABEL: func.func @small
// CHECK-NOT: scf.parallel
// CHECK: scf.for
// CHECK: scf.for
// CHECK: math.exp
// ALL-LABEL: func.func @small
// ALL: scf.parallel
func.func @small(%a: memref<4x8xf32>, %b: memref<4x8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<4x8xf32>) outs(%b : memref<4x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  }
  return
}

// -----

// A reduction over the outer dimension updates the output in memory, and
// its nest is never parallel (the leading dimension is a reduction).
// ALL-LABEL: func.func @column_sum
// ALL-NOT: scf.parallel
// ALL: scf.for %[[I:.+]] =
// ALL:   scf.for %[[J:.+]] =
// ALL:     %[[X:.+]] = memref.load %{{.+}}[%[[I]], %[[J]]]
// ALL:     %[[O:.+]] = memref.load %{{.+}}[%[[J]]]
// ALL:     %[[S:.+]] = arith.addf %[[O]], %[[X]]
// ALL:     memref.store %[[S]], %{{.+}}[%[[J]]]
func.func @column_sum(%a: memref<64x32xf32>, %b: memref<32xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>], iterator_types = ["reduction", "parallel"]}
      ins(%a : memref<64x32xf32>) outs(%b : memref<32xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %o, %x : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Several leading parallel dimensions make one linearized parallel loop;
// the innermost dimension stays a serial loop. linalg.index becomes the
// induction variables (and what only depends on them is computed outside
// the inner loop); a non-trivial index expression becomes affine.apply.
// ALL-LABEL: func.func @linearized
// ALL-DAG: %[[C4:.+]] = arith.constant 4 : index
// ALL-DAG: %[[C12:.+]] = arith.constant 12 : index
// ALL: scf.parallel (%[[L:.+]]) = (%{{.+}}) to (%[[C12]])
// ALL:   %[[I1:.+]] = arith.remui %[[L]], %[[C4]]
// ALL:   %[[I0:.+]] = arith.divui %[[L]], %[[C4]]
// ALL:   %[[JI:.+]] = arith.index_cast %[[I1]]
// ALL:   %[[JF:.+]] = arith.sitofp %[[JI]]
// ALL:   scf.for %[[K:.+]] =
// ALL:     %[[FLIP:.+]] = affine.apply #{{.+}}(%[[I0]], %[[I1]], %[[K]])
// ALL:     %[[X:.+]] = memref.load %{{.+}}[%[[I0]], %[[FLIP]], %[[K]]]
// ALL:     arith.addf %[[X]], %[[JF]]
func.func @linearized(%a: memref<3x4x8xf32>, %b: memref<3x4x8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, -j + 3, k)>, affine_map<(i, j, k) -> (i, j, k)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%a : memref<3x4x8xf32>) outs(%b : memref<3x4x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %j = linalg.index 1 : index
    %ji = arith.index_cast %j : index to i32
    %jf = arith.sitofp %ji : i32 to f32
    %s = arith.addf %x, %jf : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Named ops lower the same way; a fill stores its scalar, and an op with
// an empty iteration space disappears.
// CHECK-LABEL: func.func @fill
// CHECK-SAME: (%[[B:.+]]: memref<2x1x8xf32>, %{{.+}}: memref<0x8xf32>)
// CHECK-DAG: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK: scf.for %[[I:.+]] =
// CHECK:   scf.for %[[J:.+]] =
// CHECK:     memref.store %[[ONE]], %[[B]][%[[I]], %[[C0]], %[[J]]]
// CHECK-NOT: linalg
// CHECK: return
func.func @fill(%b: memref<2x1x8xf32>, %e: memref<0x8xf32>) {
  %c = arith.constant 1.0 : f32
  linalg.fill ins(%c : f32) outs(%b : memref<2x1x8xf32>)
  linalg.fill ins(%c : f32) outs(%e : memref<0x8xf32>)
  return
}

// -----

// A reduction whose output is also read as an input keeps the output in
// memory (no register accumulation across an alias).
// CHECK-LABEL: func.func @aliased
// CHECK-NOT: iter_args
// CHECK: return
func.func @aliased(%a: memref<4x8xf32>) {
  %row = memref.subview %a[0, 0] [4, 1] [1, 1] : memref<4x8xf32> to memref<4xf32, strided<[8]>>
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<4x8xf32>) outs(%row : memref<4xf32, strided<[8]>>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %o, %x : f32
    linalg.yield %s : f32
  }
  return
}
