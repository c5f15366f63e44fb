// Kernel versions: the evaluation arithmetic (forward passes and losses) is versioned like the
// noise (docs/kernels.md). Every run records the kernel version it was created with and is
// evaluated with that version's code for its whole life, so a run resumes to the same bits
// after an upgrade. Version 1 is the arithmetic of the first releases (Eigen, compiled for
// baseline x86-64): runs and databases made before kernel versions existed read as 1 and keep
// it. Version 2 is the fixed-order kernels of src/kernels/ for the transformer (the same bits on
// every path and x86-64 machine). Version 3 is version 2 plus the dense (MLP) and conv policy
// forwards on the kernels; new runs record it. A version's arithmetic never changes: a change is
// a new version.
//
// Thread-safety: pure functions. Failure: require_supported throws seedline::Error(kUnimplemented)
// naming the version.
#pragma once

namespace seedline::kernels {

// The newest kernel version this binary knows; new runs record it.
inline constexpr int kNewestVersion = 3;

bool supports(int version);
// Throws kUnimplemented "kernel version N is not known to this seedline (it knows 1..3)".
void require_supported(int version);

}  // namespace seedline::kernels
