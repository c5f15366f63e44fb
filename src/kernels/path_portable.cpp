// The portable path of the kernels (versions 2 and 3): kernels_impl.hpp over simd_portable.hpp, compiled with
// baseline x86-64 (no extra flags) (CMakeLists.txt sets this file's flags alone; the library stays baseline x86-64).
// Register blocking: 4 rows x 2 vectors of outputs per microkernel call.
//
// Thread-safety: pure functions (kernels.hpp).
#include <cstdint>
#include <vector>

#include "kernels/kernels.hpp"
#include "util/stop_check.hpp"  // poll_stop() in long attention (transformer_impl.hpp)
#include "kernels/simd_portable.hpp"

namespace seedline::kernels {
namespace {

constexpr int kRows = 4;
constexpr int kColVecs = 2;

#include "kernels/kernels_impl.hpp"

}  // namespace

const Table& table_portable() { return kTable; }

}  // namespace seedline::kernels
