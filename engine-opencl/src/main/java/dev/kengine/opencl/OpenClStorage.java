package dev.kengine.opencl;

import dev.kengine.DType;
import dev.kengine.spi.Storage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.cl_mem;

/**
 * One tensor's device buffer. OpenCL forbids empty buffers, so an empty tensor holds one
 * element that no op touches. Release may come from a cleaner thread; clReleaseMemObject is
 * thread-safe, and OpenCL keeps the buffer alive until commands already enqueued on it finish.
 */
final class OpenClStorage implements Storage {
    final cl_mem mem;
    private final long size;
    /** Bytes per element: 4 for float32 and int32, 2 for the half types, 1 for uint8. */
    final int width;
    /** The element type. */
    final DType dtype;
    private final AtomicBoolean released = new AtomicBoolean();

    OpenClStorage(cl_mem mem, long size) {
        this(mem, size, DType.FLOAT32);
    }

    OpenClStorage(cl_mem mem, long size, DType dtype) {
        this.mem = mem;
        this.size = size;
        this.width = dtype.byteSize();
        this.dtype = dtype;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void release() {
        if (released.compareAndSet(false, true)) {
            try {
                CL.clReleaseMemObject(mem);
            } catch (CLException e) {
                // The context may be gone already; the memory went with it.
            }
        }
    }

    boolean isReleased() {
        return released.get();
    }
}
