// defines: cpu::add, cpu::add_into, cpu::add_rows_into
//
// The vector additions several kernels share (the encoder, the residual stream, bias
// gradients, per-thread partial sums), in Highway vectors. Single-threaded: callers split
// the work.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/vector_ops.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "backend/cpu/kernels.h"
#include "backend/cpu/simd-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace scalelab::cpu::HWY_NAMESPACE {

void Add(float* out, const float* a, const float* b, size_t n) {
  const DF d;
  ForVectors(d, n, [&]<bool kFull>(size_t i, size_t len) {
    StoreN<kFull>(d, hn::Add(LoadN<kFull>(d, a + i, len), LoadN<kFull>(d, b + i, len)), out + i, len);
  });
}

// dst[0..len) += src row 0 + src row 1 + ... (rows of stride ld), added in row order.
void AddRowsInto(float* dst, const float* src, size_t ld, size_t rows, size_t len) {
  const DF d;
  ForVectors(d, len, [&]<bool kFull>(size_t i, size_t n) {
    VF acc = LoadN<kFull>(d, dst + i, n);
    for (size_t r = 0; r < rows; ++r) acc = hn::Add(acc, LoadN<kFull>(d, src + r * ld + i, n));
    StoreN<kFull>(d, acc, dst + i, n);
  });
}

}  // namespace scalelab::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace scalelab::cpu {

HWY_EXPORT(Add);
HWY_EXPORT(AddRowsInto);

void add(float* out, const float* a, const float* b, size_t n) { HWY_DYNAMIC_DISPATCH(Add)(out, a, b, n); }
void add_into(float* dst, const float* src, size_t n) { HWY_DYNAMIC_DISPATCH(AddRowsInto)(dst, src, n, 1, n); }
void add_rows_into(float* dst, const float* src, size_t ld, size_t rows, size_t len) {
  HWY_DYNAMIC_DISPATCH(AddRowsInto)(dst, src, ld, rows, len);
}

}  // namespace scalelab::cpu
#endif  // HWY_ONCE
