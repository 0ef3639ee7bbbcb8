package dev.kengine.cuda;

import dev.kengine.spi.Storage;
import java.util.concurrent.atomic.AtomicBoolean;
import jcuda.driver.CUdeviceptr;

/**
 * One tensor's device memory, from cuMemAlloc (256-byte aligned, which the vectorised kernels rely
 * on). An empty tensor holds one element no op touches. Release may come from a cleaner thread:
 * it makes the context current on that thread first (the driver's calls are thread-safe once it
 * is), and does nothing once the driver has closed, since its context took the memory with it.
 */
final class CudaStorage implements Storage {
    final CUdeviceptr ptr;
    private final long size;
    private final CudaContext context;
    private final AtomicBoolean released = new AtomicBoolean();
    /** Bytes per element: 4 for float32 and int32, 2 for the half types, 1 for uint8. */
    final int width;

    CudaStorage(CUdeviceptr ptr, long size, CudaContext context) {
        this(ptr, size, context, 4);
    }

    CudaStorage(CUdeviceptr ptr, long size, CudaContext context, int width) {
        this.ptr = ptr;
        this.size = size;
        this.context = context;
        this.width = width;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void release() {
        if (released.compareAndSet(false, true)) {
            context.free(ptr);
        }
    }

    boolean isReleased() {
        return released.get();
    }
}
