// train.precision and train.device as the backend factory reads them (backend.h):
// parse_precision's mapping and errors, precision_name, and make_backend's errors for a
// device this build or this machine lacks. Runs everywhere; the CUDA branch asserts what
// this build and machine should give (no backend, a backend without a GPU, or a GPU).
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "backend/backend.h"
#include "core/error.h"

namespace scalelab {
namespace {

// Runs f, which must throw InputError whose message contains every one of `parts`.
template <class F>
void expect_input_error(F&& f, std::initializer_list<const char*> parts, const std::string& what) {
  try {
    f();
    ADD_FAILURE() << what << ": no InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    for (const char* part : parts) EXPECT_NE(msg.find(part), std::string::npos) << what << ": " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << what << ": one line expected: " << msg;
  }
}

TEST(Precision, ParseMapsEachNameForEachDevice) {
  EXPECT_EQ(parse_precision("auto", "cpu"), Precision::fp32);
  EXPECT_EQ(parse_precision("auto", "cuda"), Precision::bf16);
  EXPECT_EQ(parse_precision("fp32", "cpu"), Precision::fp32);
  EXPECT_EQ(parse_precision("fp32", "cuda"), Precision::fp32);
  EXPECT_EQ(parse_precision("tf32", "cuda"), Precision::tf32);
  EXPECT_EQ(parse_precision("bf16", "cuda"), Precision::bf16);
}

TEST(Precision, CpuComputesOnlyInFp32) {
  for (const char* p : {"tf32", "bf16"})
    expect_input_error([&] { parse_precision(p, "cpu"); }, {"train.precision", p}, std::string("cpu ") + p);
}

TEST(Precision, UnknownNamesAreRejected) {
  for (const char* device : {"cpu", "cuda"})
    for (const char* p : {"fp16", "", "BF16", "float32"})
      expect_input_error([&] { parse_precision(p, device); }, {"train.precision", "\"auto\""},
                         std::string(device) + " \"" + p + "\"");
  // The value itself is named, so the user sees what was read.
  expect_input_error([] { parse_precision("fp16", "cuda"); }, {"\"fp16\""}, "fp16");
}

TEST(Precision, NamesRoundTrip) {
  EXPECT_STREQ(precision_name(Precision::fp32), "fp32");
  EXPECT_STREQ(precision_name(Precision::tf32), "tf32");
  EXPECT_STREQ(precision_name(Precision::bf16), "bf16");
  for (Precision p : {Precision::fp32, Precision::tf32, Precision::bf16})
    EXPECT_EQ(parse_precision(precision_name(p), "cuda"), p) << precision_name(p);
  EXPECT_EQ(parse_precision(precision_name(Precision::fp32), "cpu"), Precision::fp32);
}

TEST(MakeBackendPrecision, CpuIsFp32) {
  EXPECT_EQ(make_backend("cpu", 1)->precision(), Precision::fp32);
  EXPECT_EQ(make_backend("cpu", 1, "auto")->precision(), Precision::fp32);
  EXPECT_EQ(make_backend("cpu", 1, "fp32")->precision(), Precision::fp32);
  expect_input_error([] { make_backend("cpu", 1, "bf16"); }, {"train.precision"}, "cpu bf16");
  expect_input_error([] { make_backend("cpu", 1, "fp16"); }, {"train.precision"}, "cpu fp16");
}

TEST(MakeBackendPrecision, UnknownDevice) {
  expect_input_error([] { make_backend("tpu", 1); }, {"train.device", "\"tpu\""}, "tpu");
  expect_input_error([] { make_backend("", 1); }, {"train.device"}, "empty device");
  expect_input_error([] { make_backend("CUDA", 1); }, {"train.device"}, "CUDA");
}

// What "cuda" gives depends on the build and the machine; each case asserts its outcome.
TEST(MakeBackendPrecision, CudaByBuildAndMachine) {
  // A bad precision is named whatever the build: it is read before the device is opened.
  expect_input_error([] { make_backend("cuda", 1, "fp16"); }, {"train.precision"}, "cuda fp16");
  if (!cuda_built()) {
    EXPECT_EQ(cuda_device_count(), 0);
    expect_input_error([] { make_backend("cuda", 1); }, {"train.device", "not available in this build"},
                       "cuda, CPU-only build");
  } else if (cuda_device_count() == 0) {
    expect_input_error([] { make_backend("cuda", 1); }, {"train.device", "no CUDA device"}, "cuda, no GPU");
    expect_input_error([] { make_backend("cuda", 1, "bf16"); }, {"train.device", "no CUDA device"},
                       "cuda bf16, no GPU");
  } else {
    auto be = make_backend("cuda", 1);
    EXPECT_EQ(be->name(), "cuda");
    EXPECT_EQ(be->precision(), Precision::bf16);
  }
}

}  // namespace
}  // namespace scalelab
