package dev.kengine.cuda;

import static jcuda.driver.JCudaDriver.cuCtxPopCurrent;
import static jcuda.driver.JCudaDriver.cuCtxPushCurrent;
import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuMemFree;

import java.util.concurrent.locks.ReentrantReadWriteLock;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;

/**
 * The device's primary context, retained for one driver instance (backends on one device share
 * it, each with its own stream). The driver API keeps a current context per thread, so every
 * entry point binds it first; a cleaner thread freeing a tensor does the same. Frees and close
 * exclude each other, so a late free after close is a no-op rather than a call into a released
 * context.
 */
final class CudaContext {
    private final CUdevice device;
    private final CUcontext context = new CUcontext();
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    CudaContext(CUdevice device) {
        this.device = device;
        CudaErrors.check(cuDevicePrimaryCtxRetain(context, device), "retaining the device's primary context");
        bind();
    }

    /** Makes the context current on the calling thread. */
    void bind() {
        CudaErrors.check(cuCtxSetCurrent(context), "making the context current");
    }

    /** Frees device memory unless the context is gone (it freed everything with it). */
    void free(CUdeviceptr ptr) {
        lock.readLock().lock();
        try {
            if (!closed) {
                // Push and pop rather than set: the calling thread may be working with another
                // backend's context (another device), which must still be current afterwards.
                cuCtxPushCurrent(context);
                try {
                    cuMemFree(ptr);
                } finally {
                    cuCtxPopCurrent(new CUcontext());
                }
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    boolean isClosed() {
        lock.readLock().lock();
        try {
            return closed;
        } finally {
            lock.readLock().unlock();
        }
    }

    void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                cuDevicePrimaryCtxRelease(device);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
