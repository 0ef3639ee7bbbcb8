package dev.kengine.cuda;

import dev.kengine.Backend;
import dev.kengine.BackendUnavailableException;
import dev.kengine.Engine;
import dev.kengine.Tensor;
import dev.kengine.op.Activation;
import dev.kengine.op.Reduction;
import dev.kengine.spi.Availability;
import dev.kengine.spi.Storage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The CUDA backend's benchmarks, timed on the GPU with CUDA events on the backend's stream:
 * matmul GFLOP/s (FP32 and TF32) at 1024 to 8192, the device's copy bandwidth (cuMemcpyDtoD),
 * the fused activations forward and backward and the softmax cross-entropy as a fraction of it,
 * and the per-op launch overhead from Java (wall clock, through the public API). Prints one
 * {@code key value} line per result (machine-readable; scripts/gpu-run.sh compares them with
 * cuBLAS). Exits 0 with the reason when CUDA is unavailable.
 *
 * <p>Usage: {@code java -cp ... dev.kengine.cuda.CudaBench [sizes=1024,2048,4096,8192] [elements=268435456] [quick] [probe] [only=matmul,activation,xent,launch]}
 * ({@code probe}: only say whether CUDA is available, and why not).
 */
public final class CudaBench {
    private CudaBench() {}

    public static void main(String[] args) {
        int[] sizes = {1024, 2048, 4096, 8192};
        long elements = 1L << 28;
        int reps = 10;
        boolean probeOnly = false;
        List<String> only = List.of("matmul", "activation", "xent", "launch");
        for (String a : args) {
            if (a.startsWith("sizes=")) {
                sizes = Arrays.stream(a.substring(6).split(",")).mapToInt(Integer::parseInt).toArray();
            } else if (a.startsWith("elements=")) {
                elements = Long.parseLong(a.substring(9));
            } else if (a.equals("quick")) {
                reps = 3;
            } else if (a.equals("probe")) {
                probeOnly = true;
            } else if (a.startsWith("only=")) {
                only = List.of(a.substring(5).split(","));
            }
        }
        Availability av = new CudaProvider().probe();
        if (!av.available()) {
            System.out.println("cuda.available false");
            System.out.println("cuda.reason " + av.reason());
            return;
        }
        System.out.println("cuda.available true");
        if (probeOnly) {
            return;
        }
        av.capabilities().details().forEach((k, v) -> System.out.println("device." + k.replace(' ', '_') + " " + v));
        System.out.println("device.name " + av.capabilities().deviceName());

        try (CudaDriver fp32 = (CudaDriver) new CudaProvider().open(Map.of());
             CudaDriver tf32 = (CudaDriver) new CudaProvider().open(Map.of("precision", "tf32"))) {
            for (int n : only.contains("matmul") ? sizes : new int[0]) {
                matmul("fp32", fp32, n, reps);
                if (tf32.usesTf32()) {
                    matmul("tf32", tf32, n, reps);
                }
            }
            double copy = copyBandwidth(fp32, elements, reps);
            System.out.printf(Locale.ROOT, "copy.GBps %.1f%n", copy);
            if (only.contains("activation")) {
                for (Activation act : List.of(Activation.RELU, Activation.GELU, Activation.SILU, Activation.SIGMOID)) {
                    activation(fp32, act, elements, reps, copy);
                }
            }
            if (only.contains("xent")) {
                crossEntropy(fp32, 1L << 16, 1024, reps, copy);
                crossEntropy(fp32, 1L << 13, 32000, reps, copy);
            }
        }
        if (only.contains("launch")) {
            launchOverhead();
        }
    }

    private static void matmul(String label, CudaDriver d, int n, int reps) {
        long e = (long) n * n;
        Storage a = d.allocate(e);
        Storage b = d.allocate(e);
        Storage c = d.allocate(e);
        try {
            d.initUniform(a, e, 1, 0, -1, 1);
            d.initUniform(b, e, 2, 0, -1, 1);
            Runnable op = () -> d.matmul(a, false, b, false, c, 1, n, n, n, 1f, 0f, 0, 0, 0);
            for (int i = 0; i < 2; i++) {
                op.run();
            }
            int r = n >= 8192 ? Math.max(2, reps / 3) : reps;
            List<Double> ms = new ArrayList<>();
            for (int i = 0; i < r; i++) {
                ms.add((double) d.elapsedMillis(op));
            }
            double best = ms.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
            double median = ms.stream().sorted().toList().get(ms.size() / 2);
            double flops = 2.0 * n * n * n;
            System.out.printf(Locale.ROOT, "matmul.%s.%d.gflops %.1f%n", label, n, flops / median / 1e6);
            System.out.printf(Locale.ROOT, "matmul.%s.%d.best_gflops %.1f%n", label, n, flops / best / 1e6);
        } finally {
            d.synchronize();
            a.release();
            b.release();
            c.release();
        }
    }

    private static double median(CudaDriver d, Runnable op, int reps) {
        op.run();
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            ms[i] = d.elapsedMillis(op);
        }
        Arrays.sort(ms);
        return ms[reps / 2];
    }

    /** Bytes read plus bytes written per second by cuMemcpyDtoD. */
    private static double copyBandwidth(CudaDriver d, long n, int reps) {
        Storage x = d.allocate(n);
        Storage y = d.allocate(n);
        try {
            d.fill(x, n, 1f);
            double ms = median(d, () -> d.copy(x, y, n), reps);
            return 2.0 * n * 4 / ms / 1e6;
        } finally {
            d.synchronize();
            x.release();
            y.release();
        }
    }

    private static void activation(CudaDriver d, Activation act, long n, int reps, double copyGBps) {
        Storage x = d.allocate(n);
        Storage y = d.allocate(n);
        Storage dy = d.allocate(n);
        Storage dx = d.allocate(n);
        try {
            d.initUniform(x, n, 3, 0, -4, 4);
            d.initUniform(dy, n, 4, 0, -1, 1);
            double fwd = median(d, () -> d.activation(act, x, y, n), reps);
            double bwd = median(d, () -> d.activationBackward(act, dy, x, y, dx, n), reps);
            double fwdBytes = 8.0 * n;
            double bwdBytes = (act.backwardUsesOutput() ? 16.0 : 12.0) * n;
            String name = act.kind().name().toLowerCase(Locale.ROOT);
            System.out.printf(Locale.ROOT, "activation.%s.forward.GBps %.1f%n", name, fwdBytes / fwd / 1e6);
            System.out.printf(Locale.ROOT, "activation.%s.forward.of_copy %.3f%n", name, fwdBytes / fwd / 1e6 / copyGBps);
            System.out.printf(Locale.ROOT, "activation.%s.backward.GBps %.1f%n", name, bwdBytes / bwd / 1e6);
            System.out.printf(Locale.ROOT, "activation.%s.backward.of_copy %.3f%n", name, bwdBytes / bwd / 1e6 / copyGBps);
        } finally {
            d.synchronize();
            for (Storage s : List.of(x, y, dy, dx)) {
                s.release();
            }
        }
    }

    private static void crossEntropy(CudaDriver d, long rows, long cols, int reps, double copyGBps) {
        long n = rows * cols;
        Storage logits = d.allocate(n);
        Storage grad = d.allocate(n);
        Storage loss = d.allocate(1);
        int[] labels = new int[(int) rows];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = (int) ((i * 7919L) % cols);
        }
        try {
            d.initNormal(logits, n, 5, 0, 0, 3);
            double ms = median(d, () -> d.softmaxCrossEntropy(logits, labels, null, Reduction.MEAN, loss, grad, rows, cols), reps);
            double bytes = 8.0 * n + 4.0 * rows; // logits read once, gradient written once, labels
            System.out.printf(Locale.ROOT, "xent.%dx%d.GBps %.1f%n", rows, cols, bytes / ms / 1e6);
            System.out.printf(Locale.ROOT, "xent.%dx%d.of_copy %.3f%n", rows, cols, bytes / ms / 1e6 / copyGBps);
            // Where the op's time goes: the labels' upload from the Java array alone, and the op without the loss's sum.
            Storage labelCopy = d.allocate(rows);
            try {
                double upload = median(d, () -> d.write(labelCopy, 0, java.lang.foreign.MemorySegment.ofArray(labels), rows), reps);
                double noSum = median(d, () -> d.softmaxCrossEntropy(logits, labels, null, Reduction.MEAN, null, grad, rows, cols), reps);
                // As a training loop runs it: ops enqueued back to back, so the host's staging of the next labels
                // overlaps the device's work on this op (the events bracket 10 ops; per op).
                int batch = 10;
                double pipelined = median(d, () -> {
                    for (int i = 0; i < batch; i++) {
                        d.softmaxCrossEntropy(logits, labels, null, Reduction.MEAN, loss, grad, rows, cols);
                    }
                }, reps) / batch;
                System.out.printf(Locale.ROOT, "xent.%dx%d.ms %.4f%n", rows, cols, ms);
                System.out.printf(Locale.ROOT, "xent.%dx%d.back_to_back_ms %.4f%n", rows, cols, pipelined);
                System.out.printf(Locale.ROOT, "xent.%dx%d.back_to_back_of_copy %.3f%n", rows, cols,
                        bytes / pipelined / 1e6 / copyGBps);
                System.out.printf(Locale.ROOT, "xent.%dx%d.labels_upload_ms %.4f%n", rows, cols, upload);
                System.out.printf(Locale.ROOT, "xent.%dx%d.without_loss_sum_ms %.4f%n", rows, cols, noSum);
            } finally {
                labelCopy.release();
            }
        } finally {
            d.synchronize();
            logits.release();
            grad.release();
            loss.release();
        }
    }

    /** Wall-clock microseconds per small op enqueued from Java through the public API, averaged over many. */
    private static void launchOverhead() {
        try (Backend b = Engine.open("cuda"); Tensor x = b.of(new float[] {1, 1, 1, 1}, 4); Tensor y = b.zeros(4)) {
            int n = 20_000;
            for (int i = 0; i < n; i++) {
                b.axpy(x, y, 0.5f);
            }
            b.synchronize();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                b.axpy(x, y, 0.5f);
            }
            long enqueued = System.nanoTime();
            b.synchronize();
            long done = System.nanoTime();
            System.out.printf(Locale.ROOT, "launch.enqueue_us %.2f%n", (enqueued - t0) / 1e3 / n);
            System.out.printf(Locale.ROOT, "launch.throughput_us %.2f%n", (done - t0) / 1e3 / n);
            float[] probe = y.toArray();
            System.out.println("launch.check " + (probe[0] > 0 ? "ok" : "BAD"));
        } catch (BackendUnavailableException e) {
            System.out.println("launch.error " + e.getMessage());
        }
    }
}
