package dev.kengine.opencl;

import dev.kengine.DeviceException;
import dev.kengine.DeviceOutOfMemoryException;
import dev.kengine.EngineException;
import org.jocl.CL;
import org.jocl.CLException;

/** Translates JOCL's exceptions into the engine's at the backend's edge. */
final class ClErrors {
    private ClErrors() {}

    static boolean isOutOfMemory(int status) {
        return status == CL.CL_MEM_OBJECT_ALLOCATION_FAILURE || status == CL.CL_OUT_OF_RESOURCES
                || status == CL.CL_OUT_OF_HOST_MEMORY || status == CL.CL_INVALID_BUFFER_SIZE;
    }

    static String name(int status) {
        try {
            return CL.stringFor_errorCode(status);
        } catch (RuntimeException e) {
            return "CL error " + status;
        }
    }

    /** A DeviceException for {@code e}, saying what was being done. */
    static EngineException translate(String doing, CLException e) {
        return new DeviceException("OpenCL failed while " + doing + ": " + e.getMessage(), e.getStatus(), name(e.getStatus()), e);
    }

    /** For an allocation: out-of-memory statuses become DeviceOutOfMemoryException. */
    static EngineException translateAllocation(long bytes, CLException e) {
        if (isOutOfMemory(e.getStatus())) {
            return new DeviceOutOfMemoryException("OpenCL could not allocate " + bytes + " bytes (" + name(e.getStatus()) + ")",
                    bytes, e);
        }
        return translate("allocating " + bytes + " bytes", e);
    }
}
