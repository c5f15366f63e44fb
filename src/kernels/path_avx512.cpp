// The avx512 path of the kernels (versions 2 and 3): kernels_impl.hpp over simd_avx512.hpp, compiled with
// -mavx512f -mavx2 -mfma (CMakeLists.txt sets this file's flags alone; the library stays baseline x86-64).
// Register blocking: 8 rows x 3 vectors of outputs per microkernel call.
//
// Thread-safety: pure functions (kernels.hpp).
#include <cstdint>
#include <vector>

#include "kernels/kernels.hpp"
#include "util/stop_check.hpp"  // poll_stop() in long attention (transformer_impl.hpp)
#include "kernels/simd_avx512.hpp"

namespace seedline::kernels {
namespace {

constexpr int kRows = 8;
constexpr int kColVecs = 3;

#include "kernels/kernels_impl.hpp"

}  // namespace

const Table& table_avx512() { return kTable; }

}  // namespace seedline::kernels
