/**
 * The engine's hand-written kernel sources (OpenCL C 1.2, compilable as CUDA C through a dialect
 * preamble) and the loader that assembles them; the OpenCL and CUDA backends build on it.
 */
module dev.kengine.kernels {
    exports dev.kengine.kernels;
}
