//===- RuntimeTest.cpp - the libtxrt C API on hand-written models ---------===//
//
// Loads the fake models of test/unit/runtime (fake_model.cpp documents what
// they compute) through the C API: descriptions, runs, thread control, and
// every error path with its status and message.
//
//===----------------------------------------------------------------------===//

#include "txc-c/txc_model_format.h"
#include "txc-c/txrt.h"
#include "txc/Support/ModelManifest.h"
#include "txc/Support/RuntimeSupport.h"
#include "txc/Support/Safetensors.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace txc;
using ::testing::HasSubstr;

namespace {

/// Weights of the fake model: w, and the i4 codes [[1, 2, 3, 4],
/// [5, 10, 15, 0]] packed low nibble first.
const float kW[6] = {0.5f, 1.0f, 1.5f, 2.0f, 2.5f, 3.0f};
const uint8_t kCodes[4] = {0x21, 0x43, 0xa5, 0x0f};

llvm::ArrayRef<char> bytes(const void *data, size_t size) {
  return llvm::ArrayRef<char>(static_cast<const char *>(data), size);
}

/// Sets an environment variable for the lifetime of the object.
class ScopedEnv {
public:
  ScopedEnv(const char *name, const std::string &value) : name(name) {
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { unsetenv(name); }

private:
  const char *name;
};

/// Releases a model at the end of a test.
struct ModelPtr {
  txrt_model *model = nullptr;
  ~ModelPtr() { txrt_model_free(model); }
};

class RuntimeTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("txrt-test", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  /// `name` inside the test's directory.
  std::string path(const llvm::Twine &name) const {
    llvm::SmallString<256> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }

  /// Copies fake model `variant` into the test directory as model.so.
  std::string copyModel(const char *variant = "fake_model") {
    std::string from = std::string(TXC_FAKE_MODEL_DIR) + "/" + variant + ".so";
    std::string to = path("model.so");
    EXPECT_FALSE(llvm::sys::fs::copy_file(from, to)) << from;
    return to;
  }

  /// Writes the fake model's weights (and one it does not use) to `file`;
  /// `skip` names a weight to leave out.
  void writeWeights(const std::string &file, llvm::StringRef skip = "") {
    SafetensorsWriter writer;
    if (skip != "w")
      ASSERT_FALSE(writer.add("w", "F32", {2, 3}, bytes(kW, sizeof(kW))));
    if (skip != "codes")
      ASSERT_FALSE(
          writer.add("codes", "U8", {2, 2}, bytes(kCodes, sizeof(kCodes))));
    ASSERT_FALSE(writer.add("unused", "I32", {1}, bytes(kCodes, 4)));
    ASSERT_FALSE(writer.write(file));
  }

  /// Writes `text` to `file`.
  void writeText(const std::string &file, llvm::StringRef text) {
    std::error_code ec;
    llvm::raw_fd_ostream out(file, ec);
    ASSERT_FALSE(ec);
    out << text;
  }

  /// Copies the fake model and its weights, then loads it.
  txrt_status loadFake(ModelPtr &model, const char *variant = "fake_model") {
    std::string so = copyModel(variant);
    writeWeights(path("fake_model.safetensors"));
    return txrt_model_load(so.c_str(), nullptr, &model.model);
  }

  /// Loads the fake model with `metadata` in place of its own and expects
  /// `status` with a message containing `message`.
  void expectMetadataError(const std::string &metadata, txrt_status status,
                           const std::string &message) {
    ScopedEnv env("TXC_FAKE_MODEL_METADATA", metadata);
    ModelPtr model;
    EXPECT_EQ(loadFake(model), status) << metadata;
    EXPECT_EQ(model.model, nullptr);
    EXPECT_THAT(txrt_last_error(), HasSubstr(message)) << metadata;
    llvm::sys::fs::remove(path("model.so"));
  }

  llvm::SmallString<128> dir;
};

/// Metadata of a model with one input `x` of `dtype` and `shape` and one f32
/// output; `extra` is appended to the document.
std::string metadataWithInput(const std::string &dtype,
                              const std::string &shape,
                              const std::string &extra = "") {
  return R"({"format": "txc-model", "version": 1, "inputs": [{"name": "x", )"
         R"("dtype": ")" +
         dtype + R"(", "shape": )" + shape +
         R"(}], "outputs": [{"name": "y", "dtype": "f32", "shape": [1]}])" +
         extra + "}";
}

TEST_F(RuntimeTest, DescribesInputsAndOutputs) {
  ModelPtr model;
  ASSERT_EQ(loadFake(model), TXRT_OK) << txrt_last_error();
  ASSERT_EQ(txrt_model_num_inputs(model.model), 2u);
  ASSERT_EQ(txrt_model_num_outputs(model.model), 3u);

  txrt_tensor_info info;
  ASSERT_EQ(txrt_model_input_info(model.model, 0, &info), TXRT_OK);
  EXPECT_STREQ(info.name, "x");
  EXPECT_EQ(info.dtype, TXRT_DTYPE_F32);
  ASSERT_EQ(info.rank, 2u);
  EXPECT_EQ(info.dims[0], 2);
  EXPECT_EQ(info.dims[1], 3);
  EXPECT_EQ(info.byte_size, 24u);

  ASSERT_EQ(txrt_model_input_info(model.model, 1, &info), TXRT_OK);
  EXPECT_STREQ(info.name, "offset");
  EXPECT_EQ(info.dtype, TXRT_DTYPE_I64);
  EXPECT_EQ(info.rank, 0u);
  EXPECT_EQ(info.byte_size, 8u);

  ASSERT_EQ(txrt_model_output_info(model.model, 1, &info), TXRT_OK);
  EXPECT_STREQ(info.name, "aux/codes");
  EXPECT_EQ(info.dtype, TXRT_DTYPE_I64);
  EXPECT_EQ(info.byte_size, 64u);
  ASSERT_EQ(txrt_model_output_info(model.model, 2, &info), TXRT_OK);
  EXPECT_STREQ(info.name, "threads");
  EXPECT_EQ(info.dtype, TXRT_DTYPE_I32);

  EXPECT_EQ(txrt_model_input_info(model.model, 2, &info), TXRT_ERROR_ARGUMENT);
  EXPECT_THAT(txrt_last_error(),
              HasSubstr("txrt_model_input_info: input index 2 is out of "
                        "range; model '"));
  EXPECT_THAT(txrt_last_error(), HasSubstr("model.so' has 2 inputs"));
  EXPECT_EQ(txrt_model_output_info(model.model, 3, &info), TXRT_ERROR_ARGUMENT);
  EXPECT_THAT(txrt_last_error(), HasSubstr("output index 3 is out of range"));
  EXPECT_EQ(txrt_model_output_info(model.model, 0, nullptr),
            TXRT_ERROR_ARGUMENT);
  EXPECT_STREQ(txrt_last_error(), "txrt_model_output_info: out is NULL");
  EXPECT_EQ(txrt_model_input_info(nullptr, 0, &info), TXRT_ERROR_ARGUMENT);
  EXPECT_STREQ(txrt_last_error(), "txrt_model_input_info: model is NULL");
  EXPECT_EQ(txrt_model_num_inputs(nullptr), 0u);
  EXPECT_EQ(txrt_model_num_outputs(nullptr), 0u);
}

TEST_F(RuntimeTest, RunsAndPassesThreadCount) {
  ModelPtr model;
  ASSERT_EQ(loadFake(model), TXRT_OK) << txrt_last_error();
  float x[6] = {1, 2, 3, 4, 5, 6};
  int64_t offset = 10;
  float y[6] = {};
  int64_t aux[8] = {};
  int32_t threads = -1;
  const void *inputs[] = {x, &offset};
  void *outputs[] = {y, aux, &threads};

  ASSERT_EQ(txrt_model_run(model.model, inputs, outputs), TXRT_OK);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(y[i], x[i] * kW[i] + 1.0f) << i;
  const int64_t codes[8] = {1, 2, 3, 4, 5, 10, 15, 0};
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(aux[i], codes[i] + 10) << i;
  EXPECT_EQ(threads, 0);

  ASSERT_EQ(txrt_set_num_threads(model.model, 4), TXRT_OK);
  ASSERT_EQ(txrt_model_run(model.model, inputs, outputs), TXRT_OK);
  EXPECT_EQ(threads, 4);
}

TEST_F(RuntimeTest, ModelWithoutThreadControl) {
  ModelPtr model;
  ASSERT_EQ(loadFake(model, "fake_model_no_threads"), TXRT_OK)
      << txrt_last_error();
  EXPECT_EQ(txrt_set_num_threads(model.model, 8), TXRT_OK);
  float x[6] = {}, y[6];
  int64_t offset = 0, aux[8];
  int32_t threads = -1;
  const void *inputs[] = {x, &offset};
  void *outputs[] = {y, aux, &threads};
  ASSERT_EQ(txrt_model_run(model.model, inputs, outputs), TXRT_OK);
  EXPECT_EQ(threads, 0);
}

TEST_F(RuntimeTest, ExplicitWeightsPath) {
  std::string so = copyModel();
  std::string weights = path("elsewhere.safetensors");
  writeWeights(weights);
  ModelPtr model;
  EXPECT_EQ(txrt_model_load(so.c_str(), weights.c_str(), &model.model), TXRT_OK)
      << txrt_last_error();

  // Without the path, the file named by the metadata is missing.
  ModelPtr missing;
  EXPECT_EQ(txrt_model_load(so.c_str(), nullptr, &missing.model),
            TXRT_ERROR_WEIGHTS);
  EXPECT_THAT(txrt_last_error(), HasSubstr("fake_model.safetensors"));
}

TEST_F(RuntimeTest, LoadsFromRelativePath) {
  std::string so = copyModel();
  writeWeights(path("fake_model.safetensors"));
  llvm::SmallString<256> cwd;
  ASSERT_FALSE(llvm::sys::fs::current_path(cwd));
  ASSERT_FALSE(llvm::sys::fs::set_current_path(dir));
  ModelPtr model;
  // A bare file name is opened in the current directory, not searched for in
  // the library path; the weights are found next to it.
  txrt_status status = txrt_model_load("model.so", nullptr, &model.model);
  ASSERT_FALSE(llvm::sys::fs::set_current_path(cwd));
  EXPECT_EQ(status, TXRT_OK) << txrt_last_error();
}

TEST_F(RuntimeTest, CopiesMisalignedWeights) {
  // A hand-written safetensors file whose f32 weight starts at an odd
  // offset of the mapped file.
  std::string header =
      R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[1,25]},)"
      R"("codes":{"dtype":"U8","shape":[2,2],"data_offsets":[25,29]}})";
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i)
    file[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  file += header;
  file += '\0';
  file.append(reinterpret_cast<const char *>(kW), sizeof(kW));
  file.append(reinterpret_cast<const char *>(kCodes), sizeof(kCodes));
  ASSERT_NE((8 + header.size() + 1) % 4, 0u);

  std::string so = copyModel();
  writeText(path("fake_model.safetensors"), file);
  ModelPtr model;
  ASSERT_EQ(txrt_model_load(so.c_str(), nullptr, &model.model), TXRT_OK)
      << txrt_last_error();
  float x[6] = {1, 1, 1, 1, 1, 1}, y[6];
  int64_t offset = 0, aux[8];
  int32_t threads;
  const void *inputs[] = {x, &offset};
  void *outputs[] = {y, aux, &threads};
  ASSERT_EQ(txrt_model_run(model.model, inputs, outputs), TXRT_OK);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(y[i], kW[i] + 1.0f);
}

TEST_F(RuntimeTest, RunRejectsBadArguments) {
  ModelPtr model;
  ASSERT_EQ(loadFake(model), TXRT_OK) << txrt_last_error();
  alignas(8) char storage[128] = {};
  const void *inputs[] = {storage, storage};
  void *outputs[] = {storage, storage, storage};

  EXPECT_EQ(txrt_model_run(nullptr, inputs, outputs), TXRT_ERROR_ARGUMENT);
  EXPECT_STREQ(txrt_last_error(), "txrt_model_run: model is NULL");
  EXPECT_EQ(txrt_model_run(model.model, nullptr, outputs), TXRT_ERROR_ARGUMENT);
  EXPECT_THAT(txrt_last_error(),
              HasSubstr("the input array is NULL but model '"));
  EXPECT_EQ(txrt_model_run(model.model, inputs, nullptr), TXRT_ERROR_ARGUMENT);
  EXPECT_THAT(txrt_last_error(), HasSubstr("has 3 outputs"));

  const void *nullInput[] = {storage, nullptr};
  EXPECT_EQ(txrt_model_run(model.model, nullInput, outputs),
            TXRT_ERROR_ARGUMENT);
  EXPECT_STREQ(txrt_last_error(), "txrt_model_run: input 1 ('offset') is NULL");
  void *nullOutput[] = {storage, nullptr, storage};
  EXPECT_EQ(txrt_model_run(model.model, inputs, nullOutput),
            TXRT_ERROR_ARGUMENT);
  EXPECT_STREQ(txrt_last_error(),
               "txrt_model_run: output 1 ('aux/codes') is NULL");

  const void *misaligned[] = {storage + 2, storage};
  EXPECT_EQ(txrt_model_run(model.model, misaligned, outputs),
            TXRT_ERROR_ARGUMENT);
  EXPECT_STREQ(txrt_last_error(), "txrt_model_run: input 0 ('x', f32) is not "
                                  "aligned to 4 bytes");

  EXPECT_EQ(txrt_set_num_threads(model.model, 0), TXRT_ERROR_ARGUMENT);
  EXPECT_STREQ(txrt_last_error(), "txrt_set_num_threads: 0 threads "
                                  "requested; at least 1 is needed");
  EXPECT_EQ(txrt_set_num_threads(nullptr, 1), TXRT_ERROR_ARGUMENT);
  EXPECT_STREQ(txrt_last_error(), "txrt_set_num_threads: model is NULL");
  txrt_model_free(nullptr);
}

TEST_F(RuntimeTest, LoadRejectsBadArguments) {
  txrt_model *model = reinterpret_cast<txrt_model *>(0x1);
  EXPECT_EQ(txrt_model_load(nullptr, nullptr, &model), TXRT_ERROR_ARGUMENT);
  EXPECT_EQ(model, nullptr);
  EXPECT_STREQ(txrt_last_error(), "txrt_model_load: so_path is NULL");
  EXPECT_EQ(txrt_model_load("model.so", nullptr, nullptr), TXRT_ERROR_ARGUMENT);
  EXPECT_STREQ(txrt_last_error(), "txrt_model_load: out is NULL");
}

TEST_F(RuntimeTest, RejectsFilesThatAreNotModels) {
  txrt_model *model = nullptr;
  std::string missing = path("missing.so");
  EXPECT_EQ(txrt_model_load(missing.c_str(), nullptr, &model), TXRT_ERROR_IO);
  EXPECT_EQ(txrt_last_error(), "cannot open model library '" + missing +
                                   "': No such file or directory");

  EXPECT_EQ(txrt_model_load(dir.c_str(), nullptr, &model), TXRT_ERROR_IO);
  EXPECT_THAT(txrt_last_error(), HasSubstr("': it is a directory"));

  std::string text = path("text.so");
  writeText(text, "not an ELF file\n");
  EXPECT_EQ(txrt_model_load(text.c_str(), nullptr, &model),
            TXRT_ERROR_NOT_A_MODEL);
  // Checked before dlopen, from the file.
  EXPECT_EQ(txrt_last_error(),
            "'" + text +
                "' is not a usable model library: truncated (16 bytes, "
                "shorter than an ELF header)");

  // A library cut short (half-written): its headers lie past its end. The
  // loader would fault on it (SIGBUS); the runtime reads the file first.
  {
    std::string whole = copyModel("fake_model");
    auto bytes = llvm::MemoryBuffer::getFile(whole);
    ASSERT_TRUE(bool(bytes));
    std::string cut = path("cut.so");
    writeText(cut, (*bytes)->getBuffer().take_front(
                       (*bytes)->getBufferSize() / 2));
    EXPECT_EQ(txrt_model_load(cut.c_str(), nullptr, &model),
              TXRT_ERROR_NOT_A_MODEL);
    EXPECT_THAT(txrt_last_error(), HasSubstr("is not a usable model library: "
                                             "truncated"));
    llvm::sys::fs::remove(whole);
  }

  // A shared library that txc did not write: no manifest.
  std::string plain = copyModel("fake_model_no_manifest");
  EXPECT_EQ(txrt_model_load(plain.c_str(), nullptr, &model),
            TXRT_ERROR_NOT_A_MODEL);
  EXPECT_THAT(txrt_last_error(), HasSubstr("it has no .txc_manifest section"));
  llvm::sys::fs::remove(plain);

  // Shared libraries without the entry points.
  std::string so = copyModel("fake_model_no_metadata");
  EXPECT_EQ(txrt_model_load(so.c_str(), nullptr, &model),
            TXRT_ERROR_NOT_A_MODEL);
  EXPECT_EQ(txrt_last_error(), "'" + so +
                                   "' is not a txc model: it does not export "
                                   "txc_model_metadata");
  llvm::sys::fs::remove(so);

  so = copyModel("fake_model_no_run");
  EXPECT_EQ(txrt_model_load(so.c_str(), nullptr, &model),
            TXRT_ERROR_NOT_A_MODEL);
  EXPECT_EQ(txrt_last_error(), "'" + so +
                                   "' is not a txc model: it does not export "
                                   "txc_model_run");
  EXPECT_EQ(model, nullptr);
}

TEST_F(RuntimeTest, RejectsBadMetadata) {
  expectMetadataError("<null>", TXRT_ERROR_NOT_A_MODEL,
                      "is not a txc model: txc_model_metadata() returned "
                      "NULL");
  expectMetadataError("{", TXRT_ERROR_NOT_A_MODEL,
                      "model.so' is not valid JSON: ");
  expectMetadataError("[1]", TXRT_ERROR_NOT_A_MODEL, "is not a JSON object");
  expectMetadataError(R"({"format": "onnx", "version": 1})",
                      TXRT_ERROR_NOT_A_MODEL,
                      "has \"format\" 'onnx', expected 'txc-model'");
  expectMetadataError(R"({"version": 1})", TXRT_ERROR_NOT_A_MODEL,
                      "has \"format\" missing, expected 'txc-model'");
  expectMetadataError(R"({"format": "txc-model"})", TXRT_ERROR_NOT_A_MODEL,
                      "has no integer \"version\"");
  expectMetadataError(R"({"format": "txc-model", "version": 3})",
                      TXRT_ERROR_VERSION,
                      "has model format 3, but this runtime reads formats "
                      "1..2 (txc " TXC_VERSION_STRING ")");
  expectMetadataError(R"({"format": "txc-model", "version": 1})",
                      TXRT_ERROR_NOT_A_MODEL, "has no \"inputs\" array");
  expectMetadataError(
      R"({"format": "txc-model", "version": 1, "inputs": {}, "outputs": []})",
      TXRT_ERROR_NOT_A_MODEL, "\"inputs\" is not an array");
  expectMetadataError(
      R"({"format": "txc-model", "version": 1, "inputs": [], "outputs": [3]})",
      TXRT_ERROR_NOT_A_MODEL, "outputs[0] is not an object");
  expectMetadataError(R"({"format": "txc-model", "version": 1, "inputs": [],)"
                      R"( "outputs": [{"dtype": "f32", "shape": []}]})",
                      TXRT_ERROR_NOT_A_MODEL,
                      "outputs[0] has no \"name\" (a non-empty string)");
  expectMetadataError(metadataWithInput("f8", "[1]"), TXRT_ERROR_NOT_A_MODEL,
                      "inputs[0] ('x') has unknown dtype 'f8' (expected one "
                      "of f32, f16, bf16, f64, i64, i32, i16, i8, u8, bool, "
                      "i4, i2, f8e4m3, f8e8m0, f4e2m1)");
  expectMetadataError(metadataWithInput("i4", "[2]"), TXRT_ERROR_NOT_A_MODEL,
                      "inputs[0] ('x') has dtype i4, which only weights may "
                      "have");
  expectMetadataError(metadataWithInput("f32", "[1, -1]"),
                      TXRT_ERROR_NOT_A_MODEL,
                      "inputs[0] ('x') has dimension -1 in its shape; "
                      "dimensions must be non-negative integers (shapes are "
                      "static)");
  expectMetadataError(metadataWithInput("f32", "[\"?\"]"),
                      TXRT_ERROR_NOT_A_MODEL, "has dimension \"?\" in its");
  expectMetadataError(metadataWithInput("f32", "3"), TXRT_ERROR_NOT_A_MODEL,
                      "inputs[0] ('x') has no \"shape\" array");
  expectMetadataError(
      metadataWithInput("f32", "[1099511627776, 1099511627776]"),
      TXRT_ERROR_NOT_A_MODEL, "too large to address");
  expectMetadataError(
      metadataWithInput(
          "f32", "[1]",
          R"(, "weights": [{"name": "q", "dtype": "i4", "shape": [3, 5]}])"),
      TXRT_ERROR_NOT_A_MODEL,
      "weights[0] ('q') has dtype i4 and shape [3, 5]; packing 2 codes per "
      "byte needs a last dimension that is a multiple of 2");
  expectMetadataError(
      metadataWithInput(
          "f32", "[1]",
          R"(, "weights": [{"name": "q", "dtype": "i2", "shape": [3, 6]}])"),
      TXRT_ERROR_NOT_A_MODEL,
      "weights[0] ('q') has dtype i2 and shape [3, 6]; packing 4 codes per "
      "byte needs a last dimension that is a multiple of 4");
  expectMetadataError(metadataWithInput("f4e2m1", "[2]"),
                      TXRT_ERROR_NOT_A_MODEL,
                      "inputs[0] ('x') has dtype f4e2m1, which only weights "
                      "may have");
  expectMetadataError(R"({"format": "txc-model", "version": 1, "inputs": [)"
                      R"({"name": "a", "dtype": "f32", "shape": []},)"
                      R"({"name": "a", "dtype": "f32", "shape": []}],)"
                      R"( "outputs": []})",
                      TXRT_ERROR_NOT_A_MODEL,
                      "inputs[1]: name 'a' appears twice in \"inputs\"");
  expectMetadataError(
      metadataWithInput("f32", "[1]",
                        R"(, "weights": [{"name": "w", "dtype": "f32", )"
                        R"("shape": [2, 3], "layout": "nchw"}])"),
      TXRT_ERROR_NOT_A_MODEL,
      "weights[0] ('w') has layout 'nchw'; only weights may have a layout, "
      "and the only one is 'gemm-b-panels32'");
  expectMetadataError(
      metadataWithInput("f32", "[1]",
                        R"(, "weights": [{"name": "w", "dtype": "f16", )"
                        R"("shape": [2, 3], "layout": "gemm-b-panels32"}])"),
      TXRT_ERROR_NOT_A_MODEL,
      "weights[0] ('w') has layout 'gemm-b-panels32', which needs a 2-D f32 "
      "weight");
  expectMetadataError(metadataWithInput("f32", "[1]", R"(, "weights_file": 3)"),
                      TXRT_ERROR_NOT_A_MODEL,
                      "has a \"weights_file\" that is not a non-empty string");
  expectMetadataError(
      metadataWithInput("f32", "[1]", R"(, "tokenizer_file": 3)"),
      TXRT_ERROR_NOT_A_MODEL,
      "has a \"tokenizer_file\" that is not a non-empty string");
  expectMetadataError(
      metadataWithInput("f32", "[1]", R"(, "tokenizer_file": "")"),
      TXRT_ERROR_NOT_A_MODEL,
      "has a \"tokenizer_file\" that is not a non-empty string");
}

TEST_F(RuntimeTest, TokenizerPath) {
  EXPECT_EQ(txrt_model_tokenizer_path(nullptr), nullptr);
  {
    // No tokenizer_file: NULL.
    ScopedEnv env("TXC_FAKE_MODEL_METADATA", metadataWithInput("f32", "[1]"));
    std::string so = copyModel();
    ModelPtr model;
    ASSERT_EQ(txrt_model_load(so.c_str(), nullptr, &model.model), TXRT_OK)
        << txrt_last_error();
    EXPECT_EQ(txrt_model_tokenizer_path(model.model), nullptr);
    llvm::sys::fs::remove(so);
  }
  {
    // A relative name is resolved against the library's folder; the file
    // need not exist for loading.
    ScopedEnv env(
        "TXC_FAKE_MODEL_METADATA",
        metadataWithInput("f32", "[1]",
                          R"(, "tokenizer_file": "m.tokenizer.json")"));
    std::string so = copyModel();
    ModelPtr model;
    ASSERT_EQ(txrt_model_load(so.c_str(), nullptr, &model.model), TXRT_OK)
        << txrt_last_error();
    const char *tokenizer = txrt_model_tokenizer_path(model.model);
    ASSERT_NE(tokenizer, nullptr);
    EXPECT_EQ(std::string(tokenizer), path("m.tokenizer.json"));
    llvm::sys::fs::remove(so);
  }
  {
    // An absolute path is kept.
    ScopedEnv env("TXC_FAKE_MODEL_METADATA",
                  metadataWithInput("f32", "[1]",
                                    R"(, "tokenizer_file": "/t/tok.json")"));
    std::string so = copyModel();
    ModelPtr model;
    ASSERT_EQ(txrt_model_load(so.c_str(), nullptr, &model.model), TXRT_OK)
        << txrt_last_error();
    const char *tokenizer = txrt_model_tokenizer_path(model.model);
    ASSERT_NE(tokenizer, nullptr);
    EXPECT_EQ(std::string(tokenizer), "/t/tok.json");
  }
}

TEST_F(RuntimeTest, ModelWithoutWeightsNeedsNoFile) {
  ScopedEnv env("TXC_FAKE_MODEL_METADATA", metadataWithInput("f32", "[1]"));
  std::string so = copyModel();
  ModelPtr model;
  EXPECT_EQ(txrt_model_load(so.c_str(), nullptr, &model.model), TXRT_OK)
      << txrt_last_error();
}

TEST_F(RuntimeTest, WeightsWithoutWeightsFile) {
  ScopedEnv env("TXC_FAKE_MODEL_METADATA",
                metadataWithInput("f32", "[1]",
                                  R"(, "weights": [{"name": "w", "dtype": )"
                                  R"("f32", "shape": [2, 3]}])"));
  std::string so = copyModel();
  ModelPtr model;
  EXPECT_EQ(txrt_model_load(so.c_str(), nullptr, &model.model),
            TXRT_ERROR_WEIGHTS);
  EXPECT_THAT(txrt_last_error(),
              HasSubstr("model.so' has 1 weights but its metadata names no "
                        "weights_file; give the weights file explicitly"));
  std::string weights = path("given.safetensors");
  writeWeights(weights);
  EXPECT_EQ(txrt_model_load(so.c_str(), weights.c_str(), &model.model), TXRT_OK)
      << txrt_last_error();
}

TEST_F(RuntimeTest, RejectsBadWeights) {
  std::string so = copyModel();
  std::string weights = path("fake_model.safetensors");
  txrt_model *model = nullptr;
  auto expectError = [&](const std::string &message) {
    EXPECT_EQ(txrt_model_load(so.c_str(), nullptr, &model), TXRT_ERROR_WEIGHTS);
    EXPECT_EQ(model, nullptr);
    EXPECT_THAT(txrt_last_error(), HasSubstr(message));
  };

  expectError("cannot open '" + weights + "': No such file or directory");

  writeText(weights, "garbage");
  expectError("'" + weights +
              "' is not a valid safetensors file: shorter than its 8-byte "
              "header length");

  writeWeights(weights, "codes");
  expectError("weights file '" + weights + "': weight 'codes' is missing");

  SafetensorsWriter wrongDType;
  double w64[6] = {};
  ASSERT_FALSE(wrongDType.add("w", "F64", {2, 3}, bytes(w64, sizeof(w64))));
  ASSERT_FALSE(wrongDType.write(weights));
  expectError("weight 'w' has F64 [2, 3], expected F32 [2, 3]");

  SafetensorsWriter wrongShape;
  ASSERT_FALSE(wrongShape.add("w", "F32", {3, 2}, bytes(kW, sizeof(kW))));
  ASSERT_FALSE(wrongShape.write(weights));
  expectError("weight 'w' has F32 [3, 2], expected F32 [2, 3]");

  // An i4 weight stored unpacked, one code per byte.
  SafetensorsWriter unpacked;
  uint8_t codes[8] = {};
  ASSERT_FALSE(unpacked.add("w", "F32", {2, 3}, bytes(kW, sizeof(kW))));
  ASSERT_FALSE(unpacked.add("codes", "U8", {2, 4}, bytes(codes, 8)));
  ASSERT_FALSE(unpacked.write(weights));
  expectError("weight 'codes' has U8 [2, 4], expected U8 [2, 2] (i4 [2, 4], "
              "packed along the last dimension)");

  llvm::sys::fs::remove(weights);
  ASSERT_FALSE(llvm::sys::fs::create_directory(weights));
  expectError("cannot open weights file '" + weights + "': it is a directory");
}

TEST_F(RuntimeTest, LastErrorIsPerThread) {
  txrt_model *model = nullptr;
  EXPECT_EQ(txrt_model_load(nullptr, nullptr, &model), TXRT_ERROR_ARGUMENT);
  std::string other;
  std::thread thread([&] {
    other = txrt_last_error();
    txrt_set_num_threads(nullptr, 1);
  });
  thread.join();
  EXPECT_EQ(other, "");
  EXPECT_STREQ(txrt_last_error(), "txrt_model_load: so_path is NULL");
}

/// A model library whose manifest records another format version is refused
/// before it is loaded, naming both versions.
TEST_F(RuntimeTest, RefusesOtherModelFormats) {
  for (uint32_t version :
       {uint32_t(TXC_MODEL_FORMAT_VERSION + 1), uint32_t(0), uint32_t(1000)}) {
    std::string so = copyModel();
    writeWeights(path("fake_model.safetensors"));
    std::string bytes;
    {
      auto buffer = llvm::MemoryBuffer::getFile(so);
      ASSERT_TRUE(bool(buffer));
      bytes = (*buffer)->getBuffer().str();
    }
    llvm::Expected<uint64_t> at = findManifest(bytes, so);
    ASSERT_TRUE(bool(at)) << llvm::toString(at.takeError());
    for (int i = 0; i < 4; ++i)
      bytes[*at + TXC_MANIFEST_OFFSET_VERSION + i] = char(version >> (8 * i));
    writeText(so, bytes);

    txrt_model *model = nullptr;
    EXPECT_EQ(txrt_model_load(so.c_str(), nullptr, &model), TXRT_ERROR_VERSION);
    EXPECT_EQ(model, nullptr);
    EXPECT_EQ(txrt_last_error(),
              "'" + so + "' was compiled by txc with model format " +
                  std::to_string(version) +
                  "; this runtime reads formats 1.." +
                  std::to_string(TXC_MODEL_FORMAT_VERSION) +
                  " (txc " TXC_VERSION_STRING
                  "): recompile the model with this txc, or load it with the "
                  "runtime of the txc that compiled it");
    // The compiler's reader (txc, the fuzzers) refuses it the same way.
    llvm::Expected<ModelManifest> manifest = readManifest(so);
    ASSERT_FALSE(bool(manifest));
    EXPECT_THAT(llvm::toString(manifest.takeError()),
                HasSubstr("with model format " + std::to_string(version)));
  }
}

TEST(RuntimeNames, Version) {
  int abi = -1, lo = -1, hi = -1;
  EXPECT_STREQ(txrt_version(&abi, &lo, &hi), TXC_VERSION_STRING);
  EXPECT_EQ(abi, TXRT_API_VERSION);
  EXPECT_EQ(lo, TXC_MODEL_FORMAT_MIN_VERSION);
  EXPECT_EQ(hi, TXC_MODEL_FORMAT_VERSION);
  EXPECT_STREQ(txrt_version(nullptr, nullptr, nullptr), TXC_VERSION_STRING);
}

/// The contract's dtype table is the C API's enum, the runtime's names and
/// the safetensors sizes.
TEST(RuntimeNames, DTypeTable) {
  for (const format::DTypeInfo &info : format::kDTypes) {
    EXPECT_STREQ(txrt_dtype_name(static_cast<txrt_dtype>(info.value)),
                 info.name);
    EXPECT_EQ(format::dtypeByName(info.name), &info);
    if (info.bytes())
      EXPECT_EQ(safetensorsDTypeSize(info.safetensors), info.bytes())
          << info.safetensors;
  }
  EXPECT_EQ(safetensorsDTypeSize("F8_E4M3"), 1u);
  EXPECT_EQ(safetensorsDTypeSize("U64"), 8u);
  EXPECT_EQ(safetensorsDTypeSize("Q4"), 0u);
  EXPECT_EQ(format::dtypeByName("float32"), nullptr);
}

/// The runtime hashes weights with xxhash's XXH3-64; manifests written by
/// txc before the runtime left LLVM hold llvm::xxh3_64bits values, so the
/// two must be the same function. Lengths cover each of XXH3's code paths
/// (0, 1-3, 4-8, 9-16, 17-128, 129-240, and the long-input loop over one
/// and several stripes and blocks).
TEST(RuntimeNames, WeightsHashIsLLVMsXXH3) {
  // The published XXH3-64 of the empty input (seed 0).
  EXPECT_EQ(rt::xxh3(""), 0x2D06800538D394C2ull);
  EXPECT_EQ(llvm::xxh3_64bits(llvm::ArrayRef<uint8_t>()),
            0x2D06800538D394C2ull);
  std::string data(70000, '\0');
  uint64_t state = 0x9E3779B97F4A7C15ull;
  for (char &c : data) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    c = char(state >> 56);
  }
  for (size_t n : {size_t(1), size_t(3), size_t(4), size_t(8), size_t(9),
                   size_t(16), size_t(17), size_t(128), size_t(129),
                   size_t(240), size_t(241), size_t(1024), size_t(1025),
                   size_t(4096), size_t(65536), size_t(70000)}) {
    llvm::StringRef bytes(data.data(), n);
    EXPECT_EQ(rt::xxh3({data.data(), n}), llvm::xxh3_64bits(bytes)) << n;
  }
  EXPECT_EQ(weightsHash(data, /*full=*/true), llvm::xxh3_64bits(data));
}

TEST(RuntimeNames, StatusAndDTypeNames) {
  EXPECT_STREQ(txrt_status_name(TXRT_OK), "TXRT_OK");
  EXPECT_STREQ(txrt_status_name(TXRT_ERROR_WEIGHTS), "TXRT_ERROR_WEIGHTS");
  EXPECT_STREQ(txrt_status_name(static_cast<txrt_status>(99)), "unknown");
  EXPECT_STREQ(txrt_dtype_name(TXRT_DTYPE_BF16), "bf16");
  EXPECT_STREQ(txrt_dtype_name(TXRT_DTYPE_BOOL), "bool");
  EXPECT_STREQ(txrt_dtype_name(TXRT_DTYPE_I4), "i4");
  EXPECT_STREQ(txrt_dtype_name(static_cast<txrt_dtype>(99)), "unknown");
}

} // namespace
