// RUN: tx-opt %s --tx-emit-entry-points | FileCheck %s

// The runtime entry points unpack the buffer array in order and return the
// signature.
// CHECK-LABEL: module attributes
// CHECK: llvm.func internal @txc_main(%{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr)
// CHECK: llvm.func @txc_model_run(%[[BUFS:.+]]: !llvm.ptr)
// CHECK:   %[[P0:.+]] = llvm.getelementptr %[[BUFS]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK:   %[[A0:.+]] = llvm.load %[[P0]] : !llvm.ptr -> !llvm.ptr
// CHECK:   %[[P2:.+]] = llvm.getelementptr %[[BUFS]][2]
// CHECK:   %[[A2:.+]] = llvm.load %[[P2]]
// CHECK:   llvm.call @txc_main(%[[A0]], %{{.+}}, %[[A2]])
// CHECK: llvm.mlir.global internal constant @txc_metadata_json("{\22format\22:\22txc-model\22}\00")
// CHECK: llvm.func @txc_model_metadata() -> !llvm.ptr
// CHECK:   llvm.mlir.addressof @txc_metadata_json
module attributes {tx.signature = "{\22format\22:\22txc-model\22}"} {
  llvm.func @txc_main(%a: !llvm.ptr, %b: !llvm.ptr, %c: !llvm.ptr) {
    llvm.return
  }
}
