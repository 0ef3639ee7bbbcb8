package dev.kengine.cuda;

import dev.kengine.DeviceException;
import dev.kengine.DeviceOutOfMemoryException;
import dev.kengine.EngineException;
import jcuda.driver.CUresult;

/**
 * Translates CUDA driver results into the engine's exceptions, at the backend's edge. The driver
 * binding runs with exceptions disabled, so every call's {@code CUresult} is checked here and no
 * JCuda exception type escapes. Out of memory becomes {@link DeviceOutOfMemoryException}: nothing
 * was allocated and the backend stays usable.
 */
final class CudaErrors {
    private CudaErrors() {}

    static String name(int result) {
        try {
            String s = CUresult.stringFor(result);
            return s == null || s.startsWith("INVALID CUresult") ? "CUresult " + result : s;
        } catch (RuntimeException e) {
            return "CUresult " + result;
        }
    }

    /** Throws the engine's exception for a failed call; returns quietly on CUDA_SUCCESS. */
    static void check(int result, String doing) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw translate(result, doing, 0);
        }
    }

    /** Like {@link #check} for an allocation of {@code bytes}. */
    static void checkAllocation(int result, long bytes, String what) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw translate(result, "allocating " + bytes + " bytes of " + what, bytes);
        }
    }

    static EngineException translate(int result, String doing, long bytes) {
        if (result == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            return new DeviceOutOfMemoryException("cuda: out of device memory while " + doing + " (" + name(result) + ")",
                    bytes, null);
        }
        return new DeviceException("cuda: failed while " + doing, result, name(result), null);
    }
}
