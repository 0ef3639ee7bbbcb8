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

    /**
     * A DeviceException for {@code e}, saying what was being done; a DeviceOutOfMemoryException where the status says
     * the device's or the host's memory ran out. Drivers that allocate a buffer's memory lazily (at its first write,
     * launch or wait, as NVIDIA's do) report running out there, not at clCreateBuffer: the facade's collect-and-retry
     * must see it as out of memory wherever it surfaces. (CL_OUT_OF_RESOURCES stays a DeviceException away from an
     * allocation: drivers also report kernel faults with it; its message says it may be memory.)
     */
    static EngineException translate(String doing, CLException e) {
        int status = e.getStatus();
        if (status == CL.CL_MEM_OBJECT_ALLOCATION_FAILURE || status == CL.CL_OUT_OF_HOST_MEMORY) {
            return new DeviceOutOfMemoryException("OpenCL ran out of memory while " + doing + " (" + name(status)
                    + "): free tensors, or use smaller ones", -1, e);
        }
        String hint = status == CL.CL_OUT_OF_RESOURCES ? " (the device ran out of resources: memory on some drivers, or a "
                + "kernel fault)" : "";
        return new DeviceException("OpenCL failed while " + doing + ": " + e.getMessage() + hint, status, name(status), e);
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
