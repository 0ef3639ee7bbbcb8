package dev.kengine.bench.anchor;

import dev.kengine.bench.OpDescriptor.GemmShape;
import dev.kengine.bench.report.Timing;
import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code dev.ludovic.netlib:blas}: its native path (JNIBLAS over the system's libblas.so.3, which
 * Debian's libopenblas0 provides) or its pure-Java path (VectorBLAS with jdk.incubator.vector,
 * else Java11BLAS). Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ, so the operands swap.
 *
 * <p>Threads: OpenBLAS is told its thread count through {@code openblas_set_num_threads} (found
 * with FFM in the same library netlib loaded); the pure-Java path is single-threaded, so on N
 * threads the report splits C's rows into N bands, one sgemm call per thread, as a user would.
 */
@SuppressWarnings("restricted") // FFM calls into OpenBLAS; the report runs with --enable-native-access=ALL-UNNAMED
public final class NetlibAnchor implements Anchor {
    private final boolean nativePath;
    private final BLAS blas;
    private final String reason;
    private final String implementation;
    private final MethodHandle setThreads;
    private ExecutorService pool;

    private NetlibAnchor(boolean nativePath) {
        this.nativePath = nativePath;
        BLAS b = null;
        String why = null;
        String impl = null;
        MethodHandle threads = null;
        try {
            if (nativePath) {
                b = NativeBLAS.getInstance();
                impl = b.getClass().getName();
                Optional<String> config = Optional.empty();
                try {
                    // dlopen of the same soname returns the handle netlib already holds.
                    SymbolLookup lib = SymbolLookup.libraryLookup("libblas.so.3", Arena.global());
                    Linker linker = Linker.nativeLinker();
                    threads = lib.find("openblas_set_num_threads").map(s -> linker.downcallHandle(s,
                            FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT))).orElse(null);
                    config = lib.find("openblas_get_config").map(s -> {
                        try {
                            MethodHandle h = linker.downcallHandle(s, FunctionDescriptor.of(ValueLayout.ADDRESS));
                            MemorySegment p = (MemorySegment) h.invokeExact();
                            return p.reinterpret(512).getString(0);
                        } catch (Throwable e) {
                            return "?";
                        }
                    });
                } catch (RuntimeException e) {
                    // Not OpenBLAS (reference BLAS or MKL behind libblas.so.3): no thread control.
                }
                impl += " over libblas.so.3 = " + config.map(c -> "OpenBLAS " + c.trim()).orElse("not OpenBLAS");
                if (config.isEmpty()) {
                    why = "libblas.so.3 is not OpenBLAS (install libopenblas0 and select it with update-alternatives)";
                }
            } else {
                b = JavaBLAS.getInstance();
                impl = b.getClass().getName()
                        + (b.getClass().getSimpleName().equals("VectorBLAS") ? " (Vector API)" : " (no Vector API: scalar Java)");
            }
        } catch (Throwable e) {
            why = nativePath ? "native BLAS did not load (" + e.getMessage() + "); install libopenblas0" : e.toString();
        }
        this.blas = b;
        this.reason = why;
        this.implementation = impl == null ? "none" : impl;
        this.setThreads = threads;
    }

    /** OpenBLAS through netlib's JNI path. */
    public static NetlibAnchor openBlas() {
        return new NetlibAnchor(true);
    }

    /** netlib's pure-Java path. */
    public static NetlibAnchor pureJava() {
        return new NetlibAnchor(false);
    }

    @Override
    public String name() {
        return nativePath ? "openblas" : "netlib-java";
    }

    @Override
    public String unavailableReason() {
        return reason;
    }

    @Override
    public String implementation() {
        return implementation;
    }

    @Override
    public boolean threaded() {
        return true;
    }

    @Override
    public Result sgemm(GemmShape s, float[] a, float[] b, int threads, Timing.Plan plan) {
        float[] c = new float[s.m() * s.n()];
        try (Call call = call(s, a, b, c, threads)) {
            Timing t = Timing.measure(call::run, () -> {}, plan);
            return new Result(t, c);
        }
    }

    /**
     * One row-major C = A·B on {@code threads} threads, as a call to time (the report's alternation and the JMH
     * anchor benchmark use it too). For OpenBLAS it sets the library's thread count now, and closing the call sets
     * it back to the number of processors.
     */
    @Override
    public Call call(GemmShape s, float[] a, float[] b, float[] c, int threads) {
        if (reason != null) {
            throw new IllegalStateException(name() + " is not present: " + reason);
        }
        Runnable run = runnable(s, a, b, c, threads);
        return new Call() {
            @Override
            public void run() {
                run.run();
            }

            @Override
            public void close() {
                if (nativePath) {
                    setNativeThreads(Runtime.getRuntime().availableProcessors());
                }
            }
        };
    }

    private Runnable runnable(GemmShape s, float[] a, float[] b, float[] c, int threads) {
        if (nativePath) {
            setNativeThreads(threads);
            return () -> blas.sgemm("N", "N", s.n(), s.m(), s.k(), 1f, b, s.n(), a, s.k(), 0f, c, s.n());
        }
        if (threads <= 1) {
            return () -> band(s, a, b, c, 0, s.m());
        }
        if (pool == null) {
            pool = Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(r, "netlib-java-band");
                t.setDaemon(true);
                return t;
            });
        }
        int bandRows = (s.m() + threads - 1) / threads;
        return () -> {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int lo = Math.min(s.m(), t * bandRows);
                int hi = Math.min(s.m(), lo + bandRows);
                fs.add(pool.submit(() -> band(s, a, b, c, lo, hi)));
            }
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        };
    }

    /** Rows [lo, hi) of row-major C: the column-major call on the matching columns of Cᵀ and Aᵀ. */
    private void band(GemmShape s, float[] a, float[] b, float[] c, int lo, int hi) {
        if (hi > lo) {
            blas.sgemm("N", "N", s.n(), hi - lo, s.k(), 1f, b, 0, s.n(), a, lo * s.k(), s.k(), 0f, c, lo * s.n(), s.n());
        }
    }

    private void setNativeThreads(int threads) {
        if (setThreads != null) {
            try {
                setThreads.invokeExact(threads);
            } catch (Throwable e) {
                throw new IllegalStateException("openblas_set_num_threads failed", e);
            }
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
