package dev.kengine.opencl;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Whether the process can still get {@code bytes} of address space from the C allocator. A CPU
 * OpenCL device (PoCL's pthread device) keeps buffers in host memory and allocates them lazily, at
 * the first command that uses the buffer; when that allocation fails PoCL 3–5 abort the process
 * (an assertion in its migration code) instead of returning an error. So before a CPU device's
 * buffer is created, the same amount is asked of {@code malloc} and given back at once: a
 * {@code NULL} answer (a {@code ulimit -v} reached, say) becomes a
 * {@link dev.kengine.DeviceOutOfMemoryException} while the process is still intact. The pages are
 * never touched, so the probe costs a mapping and an unmapping. It narrows the window, it cannot
 * close it: memory the JVM or another thread takes between the probe and PoCL's own allocation
 * can still make PoCL abort.
 */
final class HostMemory {
    private static final MethodHandle MALLOC;
    private static final MethodHandle FREE;

    static {
        MethodHandle m = null;
        MethodHandle f = null;
        try {
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            m = linker.downcallHandle(libc.find("malloc").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            f = linker.downcallHandle(libc.find("free").orElseThrow(), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
        } catch (RuntimeException | LinkageError e) {
            // Without native access the probe is skipped; PoCL's own behaviour then applies.
        }
        MALLOC = m;
        FREE = f;
    }

    private HostMemory() {}

    /** True when {@code bytes} could be allocated now (or when the probe is unavailable). */
    static boolean available(long bytes) {
        if (MALLOC == null) {
            return true;
        }
        try {
            MemorySegment p = (MemorySegment) MALLOC.invokeExact(bytes);
            if (p.address() == 0) {
                return false;
            }
            FREE.invokeExact(p);
            return true;
        } catch (Throwable t) {
            return true;
        }
    }
}
