package dev.kengine.kernels;

/** The language a kernel text is assembled for: the same body behind a different preamble. */
public enum Dialect {
    /** OpenCL C 1.2. */
    OPENCL("dialect_opencl.h"),
    /** CUDA C++ for nvcc or NVRTC: the preamble maps OpenCL's qualifiers and built-ins to CUDA's. */
    CUDA("dialect_cuda.h");

    private final String preamble;

    Dialect(String preamble) {
        this.preamble = preamble;
    }

    /** The resource name of this dialect's preamble. */
    public String preambleResource() {
        return preamble;
    }
}
